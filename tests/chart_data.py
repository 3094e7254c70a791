"""A known data set for the charts: exchanges at fixed offsets from `now`, two priced models, a
failed request, and 5h/7d quota headers rising towards a reset. The chart tests and
bench/screenshots.py plant it into a store before a relay starts on it."""
import json

from relay.models import Exchange, Usage
from relay.store.writes import record_exchange_finish

HOUR = 3600
MODELS = ("claude-opus-5-5", "claude-haiku-4-5")


def _usage(scale):
    return Usage(input_tokens=100 * scale, output_tokens=40 * scale, cache_creation_input_tokens=500 * scale,
                 cache_creation_5m_input_tokens=500 * scale, cache_read_input_tokens=2000 * scale)


def rows(now, sessions=("sess-chart-a", "sess-chart-b")):
    """(Exchange, ...) of the known data set."""
    out = []
    plan = [  # (hours ago, model, scale, status, 5h utilization, 7d utilization)
        (0.5, MODELS[0], 3, 200, 0.42, 0.16), (1.5, MODELS[0], 2, 200, 0.30, 0.15),
        (2.5, MODELS[1], 5, 200, 0.21, 0.14), (3.5, MODELS[0], 1, 500, None, None),
        (26.5, MODELS[0], 4, 200, 0.55, 0.10), (30.5, MODELS[1], 2, 429, None, None),
        (5 * 24.0, MODELS[0], 6, 200, None, 0.05), (12 * 24.0, MODELS[1], 8, 200, None, None),
    ]
    for n, (ago, model, scale, status, five, seven) in enumerate(plan):
        ts = now - ago * HOUR
        ratelimit = {}
        if five is not None:
            # The window holding `now` resets 2 h from now whatever the time of day (a reset on the
            # clock's 5 h grid would fall just behind `now` one run in ten, leaving no projection);
            # older points keep the grid of their own windows, all ended before that one began.
            reset = now + 2 * HOUR if ago < 3 else ts - ts % (5 * HOUR) + 5 * HOUR
            ratelimit.update({"anthropic-ratelimit-unified-5h-utilization": str(five),
                              "anthropic-ratelimit-unified-5h-reset": str(int(reset))})
        if seven is not None:
            ratelimit.update({"anthropic-ratelimit-unified-7d-utilization": str(seven),
                              "anthropic-ratelimit-unified-7d-reset": str(int(now + 3 * 24 * HOUR)),
                              "anthropic-ratelimit-unified-representative-claim": "five_hour"})
        ok = status == 200
        out.append(Exchange(id=f"chart-{n}", ts=ts, provider="anthropic", method="POST", path="/v1/messages",
                            model=model, session_id=sessions[n % len(sessions)], status=status, stream=True,
                            usage=_usage(scale) if ok else Usage(), message_id=f"msg-chart-{n}",
                            ttfb_ms=120.0, duration_ms=900.0, outcome="ok" if ok else "error",
                            error=None if ok else json.dumps({"type": "error"}), ratelimit=ratelimit))
    return out


def plant(store, now):
    """Write the data set now, on the caller's thread."""
    for ex in rows(now):
        store.write(record_exchange_finish(ex))
