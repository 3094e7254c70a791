"""`relay mcp` where the MCP SDK cannot load (the zipapp): one clear line and a non-zero exit,
never a ModuleNotFoundError (tests/artifacts runs the real zipapp)."""
from click.testing import CliRunner

from relay import runtime
from relay.cli import mcp


def test_mcp_unavailable_is_one_line_and_fails(monkeypatch):
    note = "unavailable in zipapp (the MCP SDK needs pydantic-core, a compiled extension); use the binary"
    monkeypatch.setattr(runtime, "mcp_mode", lambda: ("unavailable", note))
    result = CliRunner().invoke(mcp.command, [])
    assert result.exit_code == 2
    assert result.output == f"Error: relay mcp is {note}\n"
