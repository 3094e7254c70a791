"""Process entry.

gevent must patch the standard library before anything imports socket, ssl or threading, so
the decision is made here from argv alone, and only for `serve` (other commands, `relay mcp` in
particular, run asyncio code that must not be patched).
"""
import sys


def _wants_gevent(argv):
    if "serve" not in argv:
        return False
    for i, arg in enumerate(argv):
        if arg == "--server" and i + 1 < len(argv):
            return argv[i + 1] == "gevent"
        if arg.startswith("--server="):
            return arg.split("=", 1)[1] == "gevent"
    import os
    return os.environ.get("RELAY_SERVER", "gevent") == "gevent"


def main(argv=None):
    if getattr(sys, "frozen", False):
        import multiprocessing  # 10 ms of imports that only a frozen build's workers need
        multiprocessing.freeze_support()  # the scan's worker processes in a PyInstaller build
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["statusline"]:
        from relay import statusline  # Claude Code runs it after every message: skip click's start-up
        if statusline.main(argv[1:]):
            return
    if _wants_gevent(argv):
        try:
            from gevent import monkey
            monkey.patch_all()
        except ImportError:
            pass  # serve falls back to waitress and says so
    from relay.cli import cli
    cli.main(args=argv, prog_name="relay")


if __name__ == "__main__":
    main()
