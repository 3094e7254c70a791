"""`loads` for the status line's short process: CPython's C JSON scanner without the `json`
package, whose decoder and scanner compile regular expressions at import and so load `re` and
`enum` (about a third of the line's start-up above the bare interpreter). Same values and the same
errors (ValueError) as json.loads for the JSON texts the line reads: Claude Code's status on stdin,
the line's own state file, the rate-limit headers relay stored. Another interpreter without
CPython's `_json` gets json.loads itself.
"""
_SPACE = " \t\n\r"      # JSON's whitespace (str.strip() alone would take more than JSON allows)


class _Options:
    """What the C scanner reads from a json.JSONDecoder: the defaults of json.loads."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float          # NaN, Infinity, -Infinity, as json.loads parses them
    memo: dict = {}


try:
    from _json import make_scanner
    _scan = make_scanner(_Options())  # type: ignore[arg-type]
except ImportError:       # not CPython: the json package, whose cost is then that interpreter's
    _scan = None  # type: ignore[assignment]


def loads(text):
    """The value of the JSON document `text` (str or UTF-8 bytes); ValueError when it is not one."""
    if _scan is None:
        import json
        return json.loads(text)
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if text[end:].strip(_SPACE):
        raise ValueError(f"Extra data: char {end}")
    return value
