"""relay's MCP server (stdio, asyncio; never gevent)."""
