"""Services over the session files and relay's own setup (scan, doctor, recover), shared by the
CLI, the API and MCP: each returns plain JSON-ready dicts."""
