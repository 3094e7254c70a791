"""How a request body is cut into stored pieces and put back together, byte for byte. Pure.

A JSON object body is read as its top-level values and the text between them (the "glue":
braces, whitespace, commas and the keys exactly as written). The `messages` array is cut the
same way into its elements and their glue. So
    body == glue[0] + value[0] + glue[1] + ... + value[n-1] + glue[n]
and the messages value == mglue[0] + message[0] + mglue[1] + ... + mglue[m]
hold for any JSON text, whatever its key order, spacing or escaping. Each value and message is
stored as a content-addressed blob; the glue and value hashes of the non-message fields form the
"frame" (one blob, identical across the turns of a session unless the system prompt or tools
change). A body that is not a JSON object with a `messages` array is stored whole (`raw`).
The array may be another one, nested too (`split(body, path)`: Responses `input`, Gemini
`contents`, Code Assist `request.contents`): the objects on the way are cut into the same flat
glue-and-values sequence, so storing and rebuilding do not depend on the wire format.
"""
import json

_DECODER = json.JSONDecoder()
_WS = " \t\n\r"
MESSAGES = "messages"


class NotSplittable(ValueError):
    pass


def _skip(text, i):
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _expect(text, i, char):
    if i >= len(text) or text[i] != char:
        raise NotSplittable(f"expected {char!r} at {i}")
    return i + 1


def _array(text, start):
    """(elements as (parsed, raw), glue list) of the JSON array starting at text[start]."""
    i = _skip(text, _expect(text, start, "["))
    glue_start, glue = start, []
    items: list[tuple[object, str]] = []
    if i < len(text) and text[i] == "]":
        return items, [text[start:i + 1]], i + 1
    while True:
        glue.append(text[glue_start:i])
        value, end = _DECODER.raw_decode(text, i)
        items.append((value, text[i:end]))
        i = _skip(text, end)
        glue_start = end
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
            continue
        i = _expect(text, i, "]")
        glue.append(text[glue_start:i])
        return items, glue, i


def _object(text, start, path, prefix, pieces, found):
    """Cut the JSON object at text[start] into `pieces`: glue strings and (key, raw value) pairs,
    the pair of the array at `path` holding None (its items go to `found`). An object on the way
    to that array is cut the same way, its keys named `outer.inner`, so the flat cut of a nested
    body still reads glue, value, glue ... Returns the index after the object."""
    i = _skip(text, _expect(text, start, "{"))
    glue_start = start
    if i < len(text) and text[i] == "}":
        pieces.append(text[start:i + 1])
        return i + 1
    while True:
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, _expect(text, _skip(text, i), ":"))
        pieces.append(text[glue_start:i])
        name = prefix + str(key)
        at = i < len(text) and key == path[0] and "items" not in found
        if at and len(path) == 1 and text[i] == "[":
            found["items"], found["glue"], end = _array(text, i)
            pieces.append((name, None))
        elif at and len(path) > 1 and text[i] == "{":
            end = _object(text, i, path[1:], name + ".", pieces, found)
        else:
            _, end = _DECODER.raw_decode(text, i)
            pieces.append((name, text[i:end]))
        i = _skip(text, end)
        glue_start = end
        if i < len(text) and text[i] == ",":
            i = _skip(text, i + 1)
            continue
        i = _expect(text, i, "}")
        pieces.append(text[glue_start:i])
        return i


def split(body, path=(MESSAGES,)):
    """Cut body bytes into {"keys", "glue", "values", "messages", "message_glue"}: values are raw JSON
    texts (None in the messages slot), messages a list of (parsed, raw text). `path` names the
    array of messages: ("messages",) for Anthropic, ("input",) for OpenAI Responses,
    ("contents",) for Gemini, ("request", "contents") for Code Assist; keys inside a nested
    object are dotted ("request.tools"). Raises NotSplittable for anything but a UTF-8 JSON object
    holding that array."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotSplittable("not UTF-8") from exc
    i = _skip(text, 0)
    pieces: list = [text[:i]]
    found: dict = {}
    try:
        end = _object(text, i, tuple(path), "", pieces, found)
        if _skip(text, end) != len(text):
            raise NotSplittable("text after the object")
        pieces.append(text[end:])
    except (ValueError, IndexError) as exc:
        raise NotSplittable(str(exc)) from exc
    if "items" not in found:
        raise NotSplittable(f"no {'.'.join(path)} array")
    glue, keys = [""], []
    values: list[str | None] = []
    for piece in pieces:
        if isinstance(piece, str):
            glue[-1] += piece
        else:
            keys.append(piece[0])
            values.append(piece[1])
            glue.append("")
    if len(set(keys)) != len(keys):
        raise NotSplittable("duplicate keys")
    return {"keys": keys, "glue": glue, "values": values, "messages": found["items"], "message_glue": found["glue"]}


def compact_glue(message_glue):
    """The messages' glue as [open, sep, close] when every separator is the same (always, for
    compact or single-indent JSON), else as given; `expand_glue` undoes it for m messages."""
    inner = message_glue[1:-1]
    if len(message_glue) >= 2 and len(set(inner)) <= 1:
        return {"open": message_glue[0], "sep": inner[0] if inner else ",", "close": message_glue[-1]}
    return {"list": message_glue}


def expand_glue(layout, count):
    if "list" in layout:      # also every empty array: its glue is one piece, "[]"
        return layout["list"]
    return [layout["open"]] + [layout["sep"]] * (count - 1) + [layout["close"]]


def join(glue, values, message_texts, message_glue):
    """The exact body text from its pieces (see the module docstring)."""
    if not message_texts:
        messages = "".join(message_glue)
    else:
        parts = [message_glue[0]]
        for k, raw in enumerate(message_texts):
            parts.append(raw)
            parts.append(message_glue[k + 1])
        messages = "".join(parts)
    out = [glue[0]]
    for k, value in enumerate(values):
        out.append(messages if value is None else value)
        out.append(glue[k + 1])
    return "".join(out)
