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

from relay.proxy.stages.prune.text import collapse_runs, tool_output

NAME = "http_spam"
TIER = "aggressive"
MIN_RUN = 8
KEEP_HEAD = KEEP_TAIL = 2
MIN_SAVED = 200
_METHOD = r"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)"
_ACCESS = re.compile(rf"{_METHOD} (?:\S+ HTTP/\d(?:\.\d)?\"?[ \t]+|/\S* )\d{{3}}\b")  # access logs; dev servers
_BY_METHOD = [(f"{m} ", re.compile(rf"{m} {_ACCESS.pattern[len(_METHOD) + 1:]}"))
              for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")]
_LEVEL = re.compile(r"^\W*(?:\d{4}-\d\d-\d\d[T ][\d:.,]+\S*[ \t]+)?\W*(?:TRACE|DEBUG|INFO)\b", re.M)
_BAD = ("WARN", "ERROR", "CRITICAL", "FATAL", "Traceback")
_HINTS = ("GET /", "POST /", "PUT /", "DELETE /", "PATCH /", "HEAD /", "OPTIONS /")
_NOT_CAPS = bytes(c for c in range(256) if not (65 <= c <= 90 or c == 47))       # all but A-Z and /
_CAPS_HINTS = tuple(h.replace(" ", "").encode() for h in _HINTS)


def _hints(text):
    """(access patterns, level, bad) for a text: the _BY_METHOD patterns worth running, whether
    _LEVEL can match, whether a line can hold a _BAD word. One bytes.translate (in C) keeps only
    the capitals and slashes, where every word still appears ("GET /" as "GET/"), and the short
    result is searched instead of the text. The answers may say yes where the text has no match
    (the spaces are gone), never no where it has one; a yes only costs a search."""
    caps = text.encode("utf-8", "surrogatepass").translate(None, _NOT_CAPS)
    access = []
    if b"HTTP/" in caps or any(hint in caps for hint in _CAPS_HINTS):
        access = [pattern for method, pattern in _BY_METHOD if method.strip().encode() in caps]
    level = b"INFO" in caps or b"DEBUG" in caps or b"TRACE" in caps
    bad = any(word in caps for word in (b"WARN", b"ERROR", b"CRITICAL", b"FATAL")) or "Traceback" in text
    return access, level, bad


def _spam_lines(text, lines, access, level, bad):
    """The distinct spam lines of a text. Access-log matches never span lines, so they are found
    by one regex search per line (filter() runs the loop in C); level matches can (\\W* takes
    line breaks), so those come from a whole-text pass and a line lookup per match. A line lookup
    per match of every pattern, and a bad-word test per line, were most of the 10 MB time budget;
    the bad-word test now runs per line only when the text may hold a bad word at all."""
    found: set[str] = set()
    for pattern in access:      # _ACCESS, one method at a time: a literal start lets the regex skip ahead
        found.update(filter(pattern.search, lines))
    if level:
        for m in _LEVEL.finditer(text):
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end())
            found.add(text[start:end if end >= 0 else len(text)])
    if bad:
        found = {line for line in found if not any(word in line for word in _BAD)}
    return found


def plan(body, ctx=None):
    edits = []
    for place in tool_output(body):
        if place.text.count("\n") < MIN_RUN:
            continue
        access, level, bad = _hints(place.text)
        if not (access or level):
            continue
        lines = place.text.split("\n")
        spam = _spam_lines(place.text, lines, access, level, bad)
        if not spam:
            continue
        keys = ["spam" if line in spam else None for line in lines]
        text, lines, chars = collapse_runs(NAME, place.text, None, MIN_RUN, KEEP_HEAD, KEEP_TAIL,
                                           "HTTP/log lines", keys=keys)
        if chars >= MIN_SAVED:
            edits.append(place.edit(NAME, text, f"removed {lines:,} HTTP/log lines ({chars:,} chars) "
                                    f"from tool output in message {place.message}"))
    return edits
