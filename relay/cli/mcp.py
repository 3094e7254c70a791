"""`relay mcp`: relay's MCP server over stdio (what Claude Code starts)."""
import click

from relay.mcp.server import main


@click.command("mcp")
def command():
    """Serve relay's MCP tools over stdio: CLI status and delegation, sessions, cost and quota.

    Reads relay's database directly, so it works whether or not `relay serve` runs. Register it
    with `relay init`, or `claude mcp add --scope user relay -- relay mcp`.
    """
    main()
