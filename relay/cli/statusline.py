"""`relay statusline`: the click face of relay.statusline (help text, option errors). A plain
`relay statusline [--format F] [--no-color] [--json]` never reaches click: relay.__main__ hands
it to relay.statusline.main, and the options there mirror these."""
import click

from relay import statusline
from relay.present import statusline as view


@click.command("statusline")
@click.option("--format", "fmt", default=None, metavar="SEGMENTS|TEMPLATE",
              help=f"Segments to show, comma-separated ({','.join(view.SEGMENTS)}), or a template such as "
                   "'{dot} {model} {context} | {quota}'.")
@click.option("--no-color", is_flag=True, help="No ANSI colors (also when NO_COLOR is set).")
@click.option("--json", "as_json", is_flag=True, help="The line's data as JSON instead of the line.")
def command(fmt, no_color, as_json):
    """Claude Code's status line: reads the status JSON on stdin, prints one line.

    Never blocks and always exits 0: without relay's database (missing or locked) it prints
    what Claude Code's JSON gives, with a short note.

    \b
    In ~/.claude/settings.json (or run `relay init --statusline`):
      "statusLine": {"type": "command", "command": "relay statusline"}
    """
    statusline.run(fmt, no_color, as_json)
