"""The header names and model ids the status line reads are split by hand (relay.costs.ratelimits,
relay.costs.prices) so that its process loads no `re`: the same answers as the regular expressions
they replaced, on the names relay meets and on a seeded corpus of near misses."""
import random
import re

from relay.costs import prices, ratelimits

_WINDOW = re.compile(r"^(\d+[a-z]+(?:_[a-z0-9_]+)?)-(.+)$")
_CODEX = re.compile(r"^x-codex-(primary|secondary)-(.+)$")
_BUCKET = re.compile(r"^code-assist-quota-(.+)-(remaining-fraction|reset-time|remaining-amount)$")
_NEW = re.compile(r"^claude-(opus|sonnet|haiku|fable|mythos)-(\d+)(?:-(\d{1,2}))?(?=-|$)")
_OLD = re.compile(r"^claude-(\d+)(?:-(\d{1,2}))?-(opus|sonnet|haiku)(?=-|$)")


def _groups(pattern, text):
    match = pattern.match(text)
    return match.groups() if match else None


def _version(name):
    m = _NEW.match(name)
    if m:
        return m.group(1), int(m.group(2)), int(m.group(3) or 0)
    m = _OLD.match(name)
    return (m.group(3), int(m.group(1)), int(m.group(2) or 0)) if m else None


def _normalize(model):
    name = (model or "").strip().lower().rsplit("/", 1)[-1]
    if "anthropic." in name:
        name = re.sub(r"-v\d+(:\d+)?$", "", name.split("anthropic.", 1)[1])
    name = re.sub(r"\[.*?\]$", "", name)
    return name.split("@", 1)[0].split(":", 1)[0]


def _corpus(pieces, n, seed, prefix=""):
    rnd = random.Random(seed)
    for _ in range(n):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))
        yield prefix + text if rnd.random() < 0.5 else text


def test_header_names_split_as_the_patterns_did():
    names = ["5h-utilization", "7d_opus-reset", "7d-status", "overage-status", "5h-", "h-reset", "5-reset",
             "7d_-reset", "7d_x-a-b", "7D-reset", "x-codex-primary-used-percent", "x-codex-secondary-",
             "x-codex-tertiary-x", "code-assist-quota-gemini-2.5-pro-reset-time", "code-assist-quota--reset-time",
             "code-assist-quota-m-remaining-fraction-reset-time", "code-assist-quota-reset-time"]
    pieces = ["5", "10", "h", "d", "_", "opus", "-", "reset", "x", "Z", "٣", "\n", "x-codex-", "primary", "secondary",
              "code-assist-quota-", "remaining-fraction", "reset-time", "remaining-amount"]
    for name in names + list(_corpus(pieces, 50000, 19)):
        assert ratelimits.window_key(name) == _groups(_WINDOW, name), name
        assert ratelimits.codex_key(name) == _groups(_CODEX, name), name
        assert ratelimits.bucket_key(name) == _groups(_BUCKET, name), name


def test_model_ids_split_as_the_patterns_did():
    names = list(prices.price_table.MODELS) + [
        "claude-opus-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-sonnet-20241022", "claude-3-opus-latest",
        "claude-sonnet-4-5[1m]", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic/claude-haiku-4-5",
        "claude-opus-4-123", "claude-opus-45x", "claude-3-55-haiku", "claude-3-555-haiku", "claude-opus-5\n"]
    pieces = ["claude-", "opus", "sonnet", "haiku", "fable", "mythos", "-", "4", "1", "20250514", "45", "x", "[",
              "]", "1m", "anthropic.", "-v", ":", "0", "us.", "/", "@", "\n", "٣", "opusx", " "]
    for name in names + list(_corpus(pieces, 50000, 20, "claude-")):
        assert prices.claude_version(name) == _version(name), name
        assert prices.normalize(name) == _normalize(name), name
