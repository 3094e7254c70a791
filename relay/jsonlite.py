"""`loads` and `dumps` for the status line's short process: CPython's C JSON scanner and encoder
without the `json` package, whose decoder and scanner compile regular expressions at import and so load `re` and
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


def _unknown(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


try:
    from _json import encode_basestring_ascii, make_encoder, make_scanner
    _scan = make_scanner(_Options())  # type: ignore[arg-type]
except ImportError:       # not CPython: the json package, whose cost is then that interpreter's
    _scan = make_encoder = None  # type: ignore[assignment, misc]


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


def dumps(value):
    """json.dumps(value) with its defaults, for the plain values the status line writes (dicts,
    lists, strings, numbers, None); TypeError for anything else."""
    if make_encoder is None:
        import json
        return json.dumps(value)
    # json.dumps' defaults: circular references checked (a fresh markers dict each call, as a
    # failed call leaves entries in it), ASCII only, NaN allowed, ": " and ", ", no indent or sort.
    encode = make_encoder({}, _unknown, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return "".join(encode(value, 0))
