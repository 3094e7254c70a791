"""Text bound for a terminal: control characters from session content shown, never obeyed.

A session file or a recorded request can hold OSC 0 (set the window title), OSC 52 (write the
clipboard), `ESC[2J` (clear the screen) or any other C0/C1 control; printed raw, the terminal
would act on them. Every terminal output (`--format plain` and `rich`, `relay top`) passes its
payload through safe_tree(), which writes each such character as a visible `\\xNN` escape. Line
breaks and tabs stay: they lay text out and command nothing.
"""

_KEEP = {"\n", "\t"}
_TABLE = {c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7f, 0xa0)) if chr(c) not in _KEEP}
# JSON escapes C0 itself; C1 (0x80-0x9f; 0x9b is an 8-bit CSI) and DEL pass through json.dumps.
_JSON_TABLE = {c: f"\\u{c:04x}" for c in range(0x7f, 0xa0)}


def safe_text(text):
    return text.translate(_TABLE)


def safe_tree(value):
    """`value` (dicts, lists, tuples, strings, anything else as it is) with every string,
    keys included, made safe_text."""
    if isinstance(value, str):
        return value.translate(_TABLE)
    if isinstance(value, dict):
        return {safe_tree(k): safe_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(safe_tree(v) for v in value)
    return value


def safe_json(text):
    """Output of json.dumps(ensure_ascii=False) with the controls JSON leaves raw escaped."""
    return text.translate(_JSON_TABLE)
