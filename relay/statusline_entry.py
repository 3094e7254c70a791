"""The status line as Claude Code runs it after every assistant message: the command that
`relay init --statusline` writes, `<python> -I -S <this file>` (relay.paths.statusline_command).

Why a file of its own rather than `relay statusline`: an installed `relay` script starts the
interpreter with its site-packages, and every .pth file there runs at start-up (tens of ms on some
machines, before relay's first line), and `-m relay` would do the same. `-S` skips site entirely and
`-I` ignores PYTHON* variables and the user's site, so the process costs the bare interpreter plus
relay.statusline, whose imports are the standard library and relay's own small modules only. With
-S nothing of site-packages is importable, so this file puts the directory holding the relay package
on sys.path itself. It sits above every other layer and imports relay.statusline alone.

Bytecode: pip compiles relay's modules at install, and -I ignores PYTHONDONTWRITEBYTECODE, so a
source checkout writes its __pycache__ once, on the first run.
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
# Run as a script without -I, Python puts relay/ itself first on sys.path; its modules are not
# top-level modules, so that entry is replaced by the directory that holds the package.
sys.path[:] = [_ROOT] + [p for p in sys.path if p not in (_HERE, _ROOT)]

from relay import statusline  # noqa: E402


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not statusline.main(argv):
        # --help or a typo: click (and its help text) is not importable under -S, and a status
        # line must not show a traceback. One line that says what to run instead.
        sys.stdout.write(f"relay: unknown statusline option {' '.join(argv)!r} (see `relay statusline --help`)\n")


if __name__ == "__main__":
    main()
    # The line is printed and flushed, the database closed and the totals file renamed into place:
    # nothing is left for the interpreter's shutdown, which would spend ~5 ms tearing down modules.
    try:
        sys.stdout.flush()
    except OSError:             # Claude Code gone: nobody left to show the line to
        pass
    os._exit(0)
