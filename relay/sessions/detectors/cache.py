"""cache: prompt-cache misses and cache writes that are never read back.

Reads each model turn's usage (turns without usage are skipped). Rules:
- Cache miss after warm-up: a turn reads 0 cached tokens although its prompt is at least
  MIN_PROMPT_TOKENS (1,024, the smallest cacheable prompt) and an earlier turn read at least
  WARM_TOKENS (1,024) from the cache. **warning**: the whole prompt was paid at full or
  cache-write price. Not reported when a compaction or a model switch lies between the two turns
  (both start a new cache by design). **info** instead when the gap since the previous turn
  exceeds the cache lifetime (TTL_5M_S = 300 s, or TTL_1H_S = 3,600 s when that turn wrote
  1-hour cache): the cache simply expired while idle.
- Cache writes not read back: REWRITE_RUN (3) or more consecutive turns that each write at least
  REWRITE_MIN_TOKENS (2,048) to the cache while the next turn reads back less than
  READ_BACK_RATIO (half) of that write on top of what was already read. **warning**: the
  prompt prefix changes on every request (a timestamp, a reordered tool list, an edited early
  message), so each write is paid for and thrown away.
At most MAX_FINDINGS findings per session.
"""

from relay.sessions.detectors.common import Locator, finding
from relay.times import parse_time

NAME = "cache"
SEVERITY = "warning"
MIN_PROMPT_TOKENS = 1024
WARM_TOKENS = 1024
TTL_5M_S = 300
TTL_1H_S = 3600
REWRITE_MIN_TOKENS = 2048
REWRITE_RUN = 3
READ_BACK_RATIO = 0.5
MAX_FINDINGS = 20


def _seconds(ts):
    when = parse_time(ts)
    return None if when is None else when.timestamp()


def _usage_turns(session):
    return [t for t in session.turns() if t.usage.total and any(m.role == "assistant" for m in t.messages)]


def _reply(turn):
    return [m for m in turn.messages if m.role == "assistant"][-1]


def _reset_between(session, before, after):
    """True when a compaction or a model switch separates two turns: a new cache is expected."""
    lo, hi = _reply(before).line, _reply(after).line
    if any(lo < c.line < hi for c in session.compactions):
        return True
    return bool(before.model and after.model and before.model != after.model)


def _idle(before, after):
    """Seconds from the previous reply to the first message of this turn (when the request
    went out), when longer than the cache lifetime; else None."""
    start = _seconds(before.timestamp)
    end = next((s for s in (_seconds(m.timestamp) for m in after.messages) if s is not None), None)
    if start is None or end is None:
        return None
    ttl = TTL_1H_S if before.usage.cache_creation_1h_input_tokens else TTL_5M_S
    return end - start if end - start > ttl else None


def _misses(session, turns, where):
    warm = False
    for prev, turn in zip(turns, turns[1:]):
        warm = warm or prev.usage.cache_read_input_tokens >= WARM_TOKENS
        u = turn.usage
        prompt = u.input_tokens + u.cache_creation_input_tokens
        if not warm or u.cache_read_input_tokens or prompt < MIN_PROMPT_TOKENS or _reset_between(session, prev, turn):
            continue
        idle = _idle(prev, turn)
        spot = where(_reply(turn), prompt_tokens=prompt, cache_write_tokens=u.cache_creation_input_tokens)
        if idle is not None:
            yield finding(NAME, "info", session,
                          f"the cache expired after {idle / 60:.0f} min idle: {prompt:,} prompt tokens were "
                          "sent again uncached", spot,
                          "expected after a pause; long pauses in a big session cost a full re-write")
        else:
            yield finding(NAME, SEVERITY, session,
                          f"cache miss mid-session: 0 tokens read from a warm cache, {prompt:,} prompt tokens "
                          "paid at full or cache-write price", spot,
                          "something early in the prompt changed (edited CLAUDE.md, a tool or MCP server "
                          "added or removed, a changed system prompt); keep those stable during a session")


def _unread_writes(session, turns, where):
    run = []
    for prev, turn in zip(turns, turns[1:]):
        p, u = prev.usage, turn.usage
        wasted = (p.cache_creation_input_tokens >= REWRITE_MIN_TOKENS
                  and u.cache_read_input_tokens < p.cache_read_input_tokens
                  + READ_BACK_RATIO * p.cache_creation_input_tokens
                  and not _reset_between(session, prev, turn))
        if wasted:
            run.append(prev)
            continue
        if len(run) >= REWRITE_RUN:
            yield _rewrite_finding(session, run, where)
        run = []
    if len(run) >= REWRITE_RUN:
        yield _rewrite_finding(session, run, where)


def _rewrite_finding(session, run, where):
    written = sum(t.usage.cache_creation_input_tokens for t in run)
    return finding(NAME, SEVERITY, session,
                   f"{len(run)} turns in a row wrote {written:,} tokens to the cache that the next request did "
                   "not read back: the prompt prefix changes every request",
                   where(_reply(run[0]), count=len(run), turns=[t.index for t in run][:10], cache_write_tokens=written),
                   "look for content that changes each request near the start of the prompt (timestamps, "
                   "random ids, tool lists in a different order) and keep it stable or move it to the end")


def detect(session):
    turns = _usage_turns(session)
    if len(turns) < 2:
        return []
    where = Locator.of(session).where
    out = list(_misses(session, turns, where)) + list(_unread_writes(session, turns, where))
    return out[:MAX_FINDINGS]
