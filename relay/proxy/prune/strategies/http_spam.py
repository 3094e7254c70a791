"""Aggressive: runs of HTTP and log spam in tool output.

Rule: a run of at least MIN_RUN consecutive spam lines inside a tool_result keeps its first
KEEP_HEAD and last KEEP_TAIL lines; a marker counts the lines and chars removed. Spam lines are
access-log lines (`"GET /x HTTP/1.1" 200`, `GET /x 200`) and log lines at TRACE, DEBUG or INFO
level (with or without a leading timestamp). WARNING and ERROR lines are not spam: they end a run
and stay, as does anything else.
Thresholds: MIN_RUN = 8 lines, KEEP_HEAD = KEEP_TAIL = 2, an edit only when it saves MIN_SAVED
chars or more.
"""
import re

from relay.proxy.prune.text import collapse_runs, tool_output

NAME = "http_spam"
TIER = "aggressive"
MIN_RUN = 8
KEEP_HEAD = KEEP_TAIL = 2
MIN_SAVED = 200
_METHOD = r"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)"
_ACCESS = re.compile(rf"{_METHOD} (?:\S+ HTTP/\d(?:\.\d)?\"?[ \t]+|/\S* )\d{{3}}\b")  # access logs; dev servers
_LEVEL = re.compile(r"^\W*(?:\d{4}-\d\d-\d\d[T ][\d:.,]+\S*[ \t]+)?\W*(?:TRACE|DEBUG|INFO)\b", re.M)
_BAD = ("WARN", "ERROR", "CRITICAL", "FATAL", "Traceback")
_HINTS = ("HTTP/", "GET /", "POST /", "PUT /", "DELETE /", "PATCH /", "HEAD /", "OPTIONS /", "INFO", "DEBUG", "TRACE")


def _spam_lines(text):
    """The distinct spam lines of a text. Whole-text regex passes (in C) and a line lookup per
    match: a regex call per line of every tool output was most of the 10 MB time budget."""
    found = set()
    for pattern in (_ACCESS, _LEVEL):
        for m in pattern.finditer(text):
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            line = text[start:end if end >= 0 else len(text)]
            if not any(word in line for word in _BAD):
                found.add(line)
    return found


def plan(body, ctx=None):
    edits = []
    for place in tool_output(body):
        if place.text.count("\n") < MIN_RUN or not any(h in place.text for h in _HINTS):
            continue
        spam = _spam_lines(place.text)
        text, lines, chars = collapse_runs(NAME, place.text, lambda line: "spam" if line in spam else None,
                                           MIN_RUN, KEEP_HEAD, KEEP_TAIL, "HTTP/log lines")
        if chars >= MIN_SAVED:
            edits.append(place.edit(NAME, text, f"removed {lines:,} HTTP/log lines ({chars:,} chars) "
                                    f"from tool output in message {place.message}"))
    return edits
