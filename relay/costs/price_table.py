"""The price table shipped with relay: data only, read offline, never fetched.

Rates are US dollars per million tokens. Anthropic rows list base input and output; their cache
rates follow Anthropic's published multipliers (a 5-minute cache write costs 1.25x base input,
a 1-hour write 2x, a cache read 0.1x), so they are derived in one place rather than typed five
times. OpenAI and Gemini do not charge extra for writing their automatic caches, so a cache
write there costs plain input; their cache reads have their own listed price.

Long-context tiers: where the provider bills a request whose prompt (input + cache writes +
cache reads) exceeds `threshold` tokens at higher rates for the whole request, the row carries
`long` with those rates.

A Claude id newer than every listed row of its family is priced at the newest row and flagged
`assumed` in every output (relay.costs.prices). Edit `<data dir>/prices.toml` to correct or add
a model.
"""
TABLE_DATE = "2026-11-23"
SOURCE = ("compiled by hand from Anthropic's model and pricing pages, platform.openai.com/docs/pricing and "
          "ai.google.dev/gemini-api/docs/pricing as published on TABLE_DATE; override in <data dir>/prices.toml")
LONG_THRESHOLD = 200_000

ANTHROPIC_5M, ANTHROPIC_1H, ANTHROPIC_READ = 1.25, 2.0, 0.1


def _anthropic(inp, out, long=None, read=ANTHROPIC_READ, threshold=LONG_THRESHOLD):
    """A Claude row. `read` is the cache-read multiplier: newer generations cut it below 0.1x."""
    def rates(i, o):
        return {"input": i, "output": o, "cache_write_5m": round(i * ANTHROPIC_5M, 6),
                "cache_write_1h": round(i * ANTHROPIC_1H, 6), "cache_read": round(i * read, 6)}
    row = {"provider": "anthropic", **rates(inp, out), "assumed": False}
    if long:
        row["long"] = {"threshold": threshold, **rates(*long)}
    return row


def _cached(provider, inp, out, read, long=None, assumed=False, threshold=LONG_THRESHOLD):
    def rates(i, o, r):
        return {"input": i, "output": o, "cache_write_5m": i, "cache_write_1h": i, "cache_read": r}
    row = {"provider": provider, **rates(inp, out, read), "assumed": assumed}
    if long:
        row["long"] = {"threshold": threshold, **rates(*long)}
    return row


# Claude ids are matched by family and version (relay.costs.prices): a version newer than any
# listed here takes the newest listed row of its family, flagged as assumed.
# Long-context tiers: Sonnet 4 and 4.5 billed prompts over 200k at 2x input / 1.5x output; from
# the 4.6 generation on the whole 1M window is billed at the standard rate. Haiku 5.5 is the
# exception the other way: prompts over 100k tokens pay 5x on every token of the request.
MODELS = {
    # Anthropic, current naming: claude-<family>-<major>[-<minor>][-<date>]
    "claude-fable-5-1": _anthropic(10.0, 50.0, read=0.025),
    "claude-fable-5": _anthropic(10.0, 50.0),
    "claude-mythos-5-1": _anthropic(10.0, 50.0, read=0.025),
    "claude-mythos-5": _anthropic(10.0, 50.0),
    "claude-opus-5-5": _anthropic(4.0, 20.0, read=0.05),
    "claude-opus-5": _anthropic(5.0, 25.0),
    "claude-opus-4-8": _anthropic(5.0, 25.0),
    "claude-opus-4-7": _anthropic(5.0, 25.0),
    "claude-opus-4-6": _anthropic(5.0, 25.0),
    "claude-opus-4-5": _anthropic(5.0, 25.0),
    "claude-opus-4-1": _anthropic(15.0, 75.0),
    "claude-opus-4": _anthropic(15.0, 75.0),
    "claude-sonnet-5-5": _anthropic(2.0, 10.0, read=0.05),     # cache read cut to 0.05x on 2026-10-07
    "claude-sonnet-5": _anthropic(2.0, 10.0),
    "claude-sonnet-4-6": _anthropic(3.0, 15.0),
    "claude-sonnet-4-5": _anthropic(3.0, 15.0, long=(6.0, 22.5)),
    "claude-sonnet-4": _anthropic(3.0, 15.0, long=(6.0, 22.5)),
    "claude-haiku-5-5": _anthropic(0.1, 0.5, long=(0.5, 2.5), threshold=100_000),
    "claude-haiku-4-5": _anthropic(1.0, 5.0),
    # Anthropic, older naming: claude-<major>-<minor>-<family>
    "claude-3-7-sonnet": _anthropic(3.0, 15.0),
    "claude-3-5-sonnet": _anthropic(3.0, 15.0),
    "claude-3-5-haiku": _anthropic(0.8, 4.0),
    "claude-3-opus": _anthropic(15.0, 75.0),
    # Claude 3 Haiku predates the uniform multipliers: its published 5m write is 0.30, not 0.3125
    "claude-3-haiku": {**_anthropic(0.25, 1.25, read=0.12), "cache_write_5m": 0.30},
    # OpenAI (Codex CLI): cached input is the cache read price
    "gpt-5": _cached("openai", 1.25, 10.0, 0.125),
    "gpt-5-codex": _cached("openai", 1.25, 10.0, 0.125),
    "gpt-5-mini": _cached("openai", 0.25, 2.0, 0.025),
    "gpt-5-nano": _cached("openai", 0.05, 0.4, 0.005),
    "gpt-5.1": _cached("openai", 1.25, 10.0, 0.125),
    "gpt-5.1-codex": _cached("openai", 1.25, 10.0, 0.125),
    "gpt-5.1-codex-mini": _cached("openai", 0.25, 2.0, 0.025),
    "gpt-5.2": _cached("openai", 1.75, 14.0, 0.175),
    "gpt-5.2-codex": _cached("openai", 1.75, 14.0, 0.175),
    "gpt-5.3-codex": _cached("openai", 1.75, 14.0, 0.175),
    "gpt-5.4": _cached("openai", 2.5, 15.0, 0.25),
    "gpt-5.4-mini": _cached("openai", 0.75, 4.5, 0.075),
    "gpt-5.4-nano": _cached("openai", 0.2, 1.25, 0.02),
    "gpt-5.5": _cached("openai", 5.0, 30.0, 0.5),
    # Codex CLI 0.169.0's built-in default; prompts over 272k tokens pay the long rates
    "gpt-6.1-sol": _cached("openai", 2.0, 10.0, 0.1, long=(4.0, 15.0, 0.2), threshold=272_000),
    "gpt-4.1": _cached("openai", 2.0, 8.0, 0.5),
    "gpt-4.1-mini": _cached("openai", 0.4, 1.6, 0.1),
    "gpt-4o": _cached("openai", 2.5, 10.0, 1.25),
    "gpt-4o-mini": _cached("openai", 0.15, 0.6, 0.075),
    "o3": _cached("openai", 2.0, 8.0, 0.5),
    "o4-mini": _cached("openai", 1.1, 4.4, 0.275),
    "codex-mini-latest": _cached("openai", 1.5, 6.0, 0.375),
    # Google Gemini: Pro models bill prompts over 200k tokens at the long rates
    "gemini-3.1-pro": _cached("google", 2.0, 12.0, 0.2, long=(4.0, 18.0, 0.4)),
    "gemini-3-pro": _cached("google", 2.0, 12.0, 0.2, long=(4.0, 18.0, 0.4)),
    "gemini-3-flash": _cached("google", 0.5, 3.0, 0.05),
    "gemini-2.5-pro": _cached("google", 1.25, 10.0, 0.125, long=(2.5, 15.0, 0.25)),
    "gemini-2.5-flash": _cached("google", 0.3, 2.5, 0.03),
    "gemini-2.5-flash-lite": _cached("google", 0.1, 0.4, 0.01),
    "gemini-2.0-flash": _cached("google", 0.1, 0.4, 0.025),
    # Assumed: the classifier model the Gemini CLI 0.61.0 router calls by itself
    # (../shared/REAL-CLIENTS.md §5), unpublished on TABLE_DATE; priced as the newest flash-lite.
    # The model it then routes to (gemini-3.8-flash in the fixtures) stays unpriced, shown as such.
    "gemini-3.5-flash-lite": _cached("google", 0.1, 0.4, 0.01, assumed=True),
}
