"""The fast measurements and text helpers agree with the slow, obvious definitions."""
import json
import random

from relay.proxy.stages.prune.edits import json_size

SAMPLES = ["", "plain", 'quote " and \\ backslash', "lines\nand\r\ntabs\t", "\b\f\x00\x01\x1f\x7f",
           "héllo wörld ✓ 日本 😀", "\u2028\u2029\x85", {"type": "text", "text": "a\nb"},
           {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "x\"y"}],
            "is_error": True},
           [1, 2.5, -3, None, True, False, 1e100, "s"], {}, [], {"a": {}, "b": []}, {1: "int key"},
           12345678901234567890]


def _dumps_size(value):
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def test_json_size_matches_json_dumps():
    for value in SAMPLES:
        assert json_size(value) == _dumps_size(value), value


def test_json_size_matches_json_dumps_on_random_text():
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0, 40)] + list('\\"abcxyz é✓😀\u2028')
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        value = rng.choice([text, {"type": "text", "text": text}, [text, {"k": text}]])
        assert json_size(value) == _dumps_size(value), repr(value)


def test_size_change_matches_json_dumps():
    from relay.proxy.stages.prune.edits import size_change
    old = {"type": "tool_result", "tool_use_id": "t1", "content": "line\n" * 50, "is_error": False}
    for new in ({**old, "content": "[relay x: \"cut\"]"}, {**old, "is_error": True}, {"type": "text", "text": "é"},
                {"content": old["content"], "type": "tool_result", "tool_use_id": "t1", "is_error": False}):
        assert size_change(old, new) == _dumps_size(old) - _dumps_size(new)


def test_progress_percent_shortcut_agrees_with_the_full_pattern():
    import re

    from relay.proxy.stages.prune.strategies.progress_ticks import _PERCENT
    alternative = re.compile(r"\d{1,3}(?:\.\d+)?\s?%")
    for line in ["45%", "4 %", "4  %", "a%", "% 4", "12.5%", "12.%", "x 9\t%", "%%", "Downloading: 100% |###|",
                 "\u20039\u2003%"]:
        assert bool(_PERCENT.search(line)) == bool(alternative.search(line)), line


def _collapse_runs_reference(strategy, text, key, min_run, keep_head, keep_tail, what):
    """collapse_runs as first written: a Python loop over lines."""
    lines = text.split("\n")
    out, removed, removed_chars, i = [], 0, 0, 0
    while i < len(lines):
        k = key(lines[i])
        j = i + 1
        if k is not None:
            while j < len(lines) and key(lines[j]) == k:
                j += 1
        if k is not None and j - i >= min_run:
            middle = lines[i + keep_head:j - keep_tail]
            chars = sum(len(x) + 1 for x in middle)
            out.extend(lines[i:i + keep_head])
            out.append(f"[relay {strategy}: removed {len(middle):,} {what} ({chars:,} chars)]")
            out.extend(lines[j - keep_tail:j])
            removed += len(middle)
            removed_chars += chars
        else:
            out.extend(lines[i:j])
        i = j
    return ("\n".join(out), removed, removed_chars) if removed else (text, 0, 0)


def test_trim_middle_fast_cut_matches_the_line_list_version():
    from relay.proxy.stages.prune.text import _line_cut, _line_cut_any, _only_newlines, trim_middle
    rng = random.Random(1)
    fast = 0
    for _ in range(5000):
        alphabet = rng.choice(["ab\n", "abcdefgh\n", "a\n\n", "ab\r\n", "x", "a\u2028b\n", "é\n"])
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        head, tail = rng.randrange(0, 30), rng.randrange(0, 30)
        if _only_newlines(text):
            fast += 1
            assert _line_cut(text, head, tail) == _line_cut_any(text, head, tail), (text, head, tail)
        trimmed, note = trim_middle("s", text, head, tail)
        assert "[relay s: " + note + "]" in trimmed
    assert fast > 1000


def test_collapse_runs_matches_the_loop_version():
    from relay.proxy.stages.prune.text import collapse_runs
    rng = random.Random(2)
    key = lambda line: None if line.startswith("x") else line[:1]      # noqa: E731
    for _ in range(3000):
        text = "\n".join(rng.choice(["a1", "a2", "b", "x", "", "xx"]) for _ in range(rng.randrange(0, 40)))
        args = ("s", text, key, rng.randrange(1, 6), rng.randrange(0, 3), rng.randrange(0, 3), "lines")
        assert collapse_runs(*args) == _collapse_runs_reference(*args), args
        keys = [key(line) for line in text.split("\n")]
        assert collapse_runs(*args, keys=keys) == _collapse_runs_reference(*args), args


def test_http_spam_lines_match_the_whole_text_version():
    from relay.proxy.stages.prune.strategies import http_spam as h

    def reference(text):
        found = set()
        for pattern in (h._ACCESS, h._LEVEL):
            for m in pattern.finditer(text):
                start = text.rfind("\n", 0, m.start()) + 1
                end = text.find("\n", m.end())
                line = text[start:end if end >= 0 else len(text)]
                if not any(word in line for word in h._BAD):
                    found.add(line)
        return found

    pieces = ['"GET /a HTTP/1.1" 200 9', "POST /x 201", "GET / 404 ERROR", "INFO started",
              "2026-01-01 10:00:00 DEBUG x", "", "  ", "WARN slow", "Traceback (most recent call last):", "plain é",
              "OPTIONS /o 204\r", "HEAD /h HTTP/2 301", "TRACE t WARNING", "get /lower 200"]
    rng = random.Random(3)
    for _ in range(2000):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12)))
        access, level, bad = h._hints(text)
        assert h._spam_lines(text, text.split("\n"), access, level, bad) == reference(text), text
