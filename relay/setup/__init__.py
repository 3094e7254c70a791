"""`relay init`: point the CLIs at relay and register its MCP server, editing each config file in
place (backed up first, undoable), and start relay in the background."""
