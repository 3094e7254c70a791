"""`relay mcp`: the MCP server over stdio. Tools are declared here with typed, described
parameters; their answers come from relay.mcp.tools (the same services and presenters as the
API). It opens relay's database itself, so it works with or without `relay serve`.

Runs in its own process under asyncio: never imports gevent or Flask. Long tools (delegation,
scan) run in a worker thread so the stdio loop keeps answering pings.
"""
import threading
from typing import Annotated, Any, Literal

from pydantic import Field

from relay import __version__
from relay.errors import RelayError
from relay.mcp import tools
from relay.store import open_user_store

CliName = Annotated[Literal["claude", "codex", "gemini"], Field(description="Which CLI: claude, codex or gemini.")]
Task = Annotated[str, Field(description="The task, as you would type it to the CLI.", min_length=1)]
Cwd = Annotated[str | None, Field(description="Working directory for the CLI (default: relay mcp's own).")]
Timeout = Annotated[float, Field(description="Seconds before the CLI is stopped.", gt=0, le=3600)]
Limit = Annotated[int, Field(description="How many rows at most.", ge=1, le=1000)]
SessionId = Annotated[str | None, Field(description="Session id (default: the newest one).")]

_store = None
_store_lock = threading.Lock()


def store():
    """relay's database, opened on the first tool call (tools run on the loop and in threads)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = open_user_store()
        return _store


def build():
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer("relay", version=__version__, instructions=(
        "relay records Claude Code, Codex and Gemini CLI traffic and session files. Ask it about "
        "cost, quota, sessions and findings, or hand a task to another installed CLI."))

    async def call(fn, *args, thread=False, **kwargs):
        try:
            if thread:
                import anyio
                return await anyio.to_thread.run_sync(lambda: fn(store(), *args, **kwargs))
            return fn(store(), *args, **kwargs)
        except RelayError as exc:
            raise ToolError(exc.message + (f" (hint: {exc.hint})" if exc.hint else "")) from None

    @server.tool(description="Installed AI coding CLIs: path, version and auth state (never secrets).")
    async def cli_status() -> dict[str, Any]:
        return await call(tools.cli_status, thread=True)

    @server.tool(description="Look deeper at one CLI: config files, the base URL its traffic uses, "
                             "and whether that is a relay that answers.")
    async def cli_probe(cli: CliName) -> dict[str, Any]:
        return await call(tools.cli_probe, cli, thread=True)

    @server.tool(description="Run a task on one named CLI non-interactively (claude -p, codex exec, "
                             "gemini -p) and return its answer; no fallback.")
    async def cli_delegate(cli: CliName, task: Task, cwd: Cwd = None, timeout: Timeout = 600.0) -> dict[str, Any]:
        return await call(tools.delegate, task, strategy="explicit", cli=cli, cwd=cwd, timeout=timeout,
                          fallback=False, thread=True)

    @server.tool(description="Run a task on the CLI a routing strategy picks, falling back to the next "
                             "installed CLI when one fails.")
    async def orch_delegate(
            task: Task,
            strategy: Annotated[Literal["first", "cheapest", "least_quota", "round_robin"], Field(
                description="first: claude, codex, gemini in order; cheapest: least spent today; "
                            "least_quota: lowest measured quota use; round_robin: after the last one used.")] = "first",
            cwd: Cwd = None, timeout: Timeout = 600.0,
            fallback: Annotated[bool, Field(description="Try the next CLI when one fails.")] = True) -> dict[str, Any]:
        return await call(tools.delegate, task, strategy=strategy, cwd=cwd, timeout=timeout, fallback=fallback,
                          thread=True)

    @server.tool(description="Past delegations (newest first) and per-CLI success statistics.")
    async def orch_history(limit: Limit = 20,
                           cli: Annotated[Literal["claude", "codex", "gemini"] | None,
                                          Field(description="Only this CLI.")] = None) -> dict[str, Any]:
        return await call(tools.orch_history, limit=limit, cli=cli)

    @server.tool(description="relay's state: version, database, request/session counts, whether the proxy runs.")
    async def relay_stats() -> dict[str, Any]:
        return await call(tools.relay_stats)

    @server.tool(description="The requests of one session as seen by the proxy, oldest first, with tokens.")
    async def session_turns(session_id: SessionId = None, limit: Limit = 200) -> dict[str, Any]:
        return await call(tools.session_turns, session_id=session_id, limit=limit)

    @server.tool(description="Sessions seen by the proxy, newest first, with token sums and models.")
    async def session_history(limit: Limit = 20) -> dict[str, Any]:
        return await call(tools.session_history, limit=limit)

    @server.tool(description="Sessions whose turns relay captured (history on), newest first, with turn and "
                             "compaction counts; read one turn with history_turn.")
    async def history_sessions(limit: Limit = 20) -> dict[str, Any]:
        return await call(tools.history_sessions, limit=limit)

    @server.tool(description="One captured turn in full: system prompt, tools offered, every message the model "
                             "saw (text, tool_use inputs, tool_result contents, thinking; images as placeholders) "
                             "and its answer. Default: the newest session's last turn.")
    async def history_turn(session_id: SessionId = None,
                           turn: Annotated[int | None, Field(description="Turn number (default: the last).",
                                                             ge=0)] = None) -> dict[str, Any]:
        return await call(tools.history_turn, session_id=session_id, turn=turn)

    @server.tool(description="Why the prompt cache broke in a captured session: each break's turn, cause "
                             "(tools_changed, system_changed, messages_edited, model_changed, ttl_expired, "
                             "breakpoint_moved, unknown), what changed and its cost; the window by MCP server. "
                             "Default: the newest captured session.")
    async def cache_forensics(session_id: SessionId = None) -> dict[str, Any]:
        return await call(tools.cache_forensics, session_id=session_id)

    @server.tool(description="Diagnose a session file: findings (detector, severity, message) and context "
                             "composition. Default: the newest session of this project.")
    async def session_scan(session_id: SessionId = None, cwd: Cwd = None) -> dict[str, Any]:
        return await call(tools.session_scan, session_id=session_id, cwd=cwd, thread=True)

    @server.tool(description="What the traffic cost, grouped by model, session, project or day.")
    async def cost_summary(
            since: Annotated[str, Field(description="today (UTC), or 7d, 24h, 30m, 2w, a date or ISO time.")] = "today",
            by: Annotated[Literal["model", "session", "project", "day"], Field(description="Grouping.")] = "model",
    ) -> dict[str, Any]:
        return await call(tools.cost_summary, since=since, by=by, thread=True)

    @server.tool(description="5h and 7d quota: utilization, status and resets as last measured, or an estimate.")
    async def quota_status() -> dict[str, Any]:
        return await call(tools.quota_status)

    return server


def main():
    build().run("stdio")
