"""MCP cold start: spawn `relay mcp` over stdio with the official client, initialize, call one tool
(relay_stats), and time each phase from the spawn. Target: first tool result <= 1 s.

    python bench/mcp_cold_start.py [RUNS]     (default 10; uses a throwaway RELAY_HOME)

Also prints the time to import relay.mcp.server and build the server (the SDK's import is most of
it): the floor under the cold start.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent


async def once(env):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=[str(ROOT / "relay.py"), "mcp"], env=env)
    t0 = time.perf_counter()
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            t_init = time.perf_counter()
            result = await session.call_tool("relay_stats", {})
            t_tool = time.perf_counter()
            assert not result.is_error, result.content
    return (t_init - t0) * 1000, (t_tool - t0) * 1000


def import_ms():
    code = ("import time; t=time.perf_counter(); import relay.mcp.server as s; s.build(); "
            "print((time.perf_counter()-t)*1000)")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, check=True)
    return float(out.stdout)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, RELAY_HOME=home, RELAY_PORT="1")   # port 1: relay_stats finds no server fast
        anyio.run(once, env)  # warm the OS file cache; a user's second start is what this measures
        samples = [anyio.run(once, env) for _ in range(runs)]
    inits, tools = [s[0] for s in samples], [s[1] for s in samples]
    imports = [import_ms() for _ in range(min(runs, 5))]
    print(f"runs={runs}")
    print(f"initialize       p50={statistics.median(inits):7.1f} ms  max={max(inits):7.1f} ms")
    print(f"first tool result p50={statistics.median(tools):7.1f} ms  max={max(tools):7.1f} ms  (target <= 1000 ms)")
    print(f"import + build (SDK included) p50={statistics.median(imports):7.1f} ms")


if __name__ == "__main__":
    main()
