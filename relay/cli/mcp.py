"""`relay mcp`: relay's MCP server over stdio (what Claude Code starts)."""
import click

from relay import runtime
from relay.cli.output import fail
from relay.errors import RelayError


@click.command("mcp")
def command():
    """Serve relay's MCP tools over stdio: CLI status and delegation, sessions, cost and quota.

    Reads relay's database directly, so it works whether or not `relay serve` runs. Register it
    with `relay init`, or `claude mcp add --scope user relay -- relay mcp`.
    """
    mode, note = runtime.mcp_mode()
    if mode != "available":   # one line: the note already says what to use instead
        said = note if note.startswith("unavailable") else f"unavailable: {note}"
        fail(RelayError(f"relay mcp is {said}"))
    # The MCP SDK is optional (a zipapp carries no pydantic-core): imported only once it loads.
    from relay.mcp.server import main
    main()
