"""Gentle: repeated progress and status lines in tool output.

Rules, on every text place inside a tool_result:
  * a line that a carriage return rewrote in place ("45%\r46%\r...") keeps only what a terminal
    would show: the text after its last carriage return;
  * a run of at least MIN_RUN consecutive progress lines of the same shape (a percentage, an
    n/m counter or a spinner glyph, at most MAX_LINE chars; the shape is the line without digits,
    bar and spinner characters) keeps its first and last line, and a marker counts the rest.
Lines of a different shape (a pytest line naming a failing file, an error) end a run and stay.
Thresholds: MIN_RUN = 4 lines, MAX_LINE = 300 chars, and an edit only when it saves MIN_SAVED
chars or more.
"""
import re

from relay.proxy.stages.prune.text import collapse_runs, tool_output

NAME = "progress_ticks"
TIER = "gentle"
MIN_RUN = 4
MAX_LINE = 300
MIN_SAVED = 80
_PROGRESS = re.compile(r"\d{1,3}(?:\.\d+)?\s?%|\b\d+\s?/\s?\d+\b|^[\s\[]*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏◐◓◑◒]")
# "/" first: the regex engine then scans for the literal at memchr speed; a leading \d made
# this one test cost 100 ms on a 10 MB body of numbers.
_COUNTER = re.compile(r"/(?<=\d/)\d")
# _PROGRESS's percentage alternative, "%" first (a match of it ends in a digit, an optional
# space and "%"): the common case found at memchr speed before the full search.
_PERCENT = re.compile(r"%(?:(?<=\d%)|(?<=\d\s%))")
_SPINNERS = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏◐◓◑◒"
_SHAPE = re.compile(r"[\d#=>\-.,:|/\\\s█▉▊▋▌▍▎▏░▒▓⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏◐◓◑◒\[\]()]+")


def _may_have_progress(text):
    """A whole-text test in C before the per-line work, which most tool output does not need."""
    return ("%" in text or "\r" in text or _COUNTER.search(text) is not None
            or not text.isascii() and any(c in text for c in _SPINNERS))      # spinners are not ASCII


def _key(line):
    if len(line) > MAX_LINE or not (_PERCENT.search(line) or _PROGRESS.search(line)):
        return None
    return _SHAPE.sub("", line)


def _overwrites(text):
    """Each line cut to what follows its last carriage return (a CRLF ending is kept)."""
    if "\r" not in text:
        return text
    out = []
    for line in text.split("\n"):
        end = "\r" if line.endswith("\r") else ""
        body = line[:-1] if end else line
        if "\r" in body:
            body = body[body.rindex("\r") + 1:]
        out.append(body + end)
    return "\n".join(out)


def plan(body, ctx=None):
    edits = []
    for place in tool_output(body):
        if not _may_have_progress(place.text):
            continue
        text = _overwrites(place.text)
        text, lines, _ = collapse_runs(NAME, text, _key, MIN_RUN, 1, 1, "progress lines")
        saved = len(place.text) - len(text)
        if saved < MIN_SAVED:
            continue
        if lines == 0:     # only carriage-return overwrites: say so in the text, as for a run
            text += f"\n[relay {NAME}: removed {saved:,} chars of progress overwritten by carriage returns]"
        edits.append(place.edit(NAME, text, f"removed {saved:,} chars of progress output ({lines:,} repeated lines)"))
    return edits
