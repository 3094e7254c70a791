"""Session file parsers: bytes in, `relay.models.Session` out; no database, no network.

`parser_for(provider, path)` picks the parser for a file (the format is sniffed from the name
and, inside the parser, from the records); `read_into(parser, f)` feeds it from an open binary
file in bounded chunks, so a 500 MB session never sits in memory as one string; `parse_bytes`
and `parse_file` are the one-shot forms used by tests and tools.
"""
import io

from relay.sessions.parsers.claude import ClaudeParser
from relay.sessions.parsers.codex import CodexParser
from relay.sessions.parsers.gemini import GeminiJsonParser, GeminiParser
from relay.sessions.regular import open_regular

PROVIDERS = ("claude", "codex", "gemini")
CHUNK = 8 << 20


def parser_for(provider, path="", session_id=None):
    if provider == "claude":
        return ClaudeParser(path, session_id)
    if provider == "codex":
        return CodexParser(path, session_id)
    if provider == "gemini":
        cls = GeminiJsonParser if str(path).endswith(".json") else GeminiParser
        return cls(path, session_id)
    raise ValueError(f"unknown provider {provider!r}")


def read_into(parser, f, chunk_size=CHUNK):
    """Feed `parser` from the current position of binary file `f` to EOF; return bytes read."""
    carry, read = b"", 0
    while True:
        chunk = f.read(chunk_size)
        if not chunk:
            break
        read += len(chunk)
        carry = parser.feed(carry + chunk if carry else chunk)
    parser.end(carry)
    return read


def parse_bytes(provider, data, path="", session_id=None):
    parser = parser_for(provider, path, session_id)
    read_into(parser, io.BytesIO(data))
    return parser.result()


def parse_file(provider, path, session_id=None):
    parser = parser_for(provider, path, session_id)
    with open_regular(path) as f:
        read_into(parser, f)
    return parser.result()


__all__ = ["PROVIDERS", "parser_for", "read_into", "parse_bytes", "parse_file"]
