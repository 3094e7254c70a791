"""The price table: matching rules, unknown models, and the user's override file."""
import json

import pytest

from relay import paths
from relay.costs import prices
from relay.errors import ConfigError


@pytest.fixture
def table():
    return prices.load()


@pytest.mark.parametrize("model, key, assumed", [
    ("claude-opus-4-6", "claude-opus-4-6", False),
    ("claude-opus-4-1-20250805", "claude-opus-4-1", False),           # date suffix
    ("claude-opus-4-20250514", "claude-opus-4", False),               # a date is not a minor version
    ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5", False),            # Claude Code's 1M-context marker
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5", False),   # Bedrock
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", False),       # older naming
    ("claude-opus-5-5", "claude-opus-5-5", False),
    ("claude-opus-4-7", "claude-opus-4-7", False),                    # not mistaken for claude-opus-4 ($15)
    ("claude-opus-4-9", "claude-opus-4-8", True),                     # newer than published: flagged
    ("claude-opus-6", "claude-opus-5-5", True),
    ("claude-fable-5-1-20260601", "claude-fable-5-1", False),
    ("gpt-5-codex", "gpt-5-codex", False),
    ("gpt-5.1-codex-max", "gpt-5.1-codex", False),
    ("gemini-3-pro-preview", "gemini-3-pro", False),
    ("models/gemini-2.5-flash-lite", "gemini-2.5-flash-lite", False),
])
def test_lookup_rules(table, model, key, assumed):
    price = table.lookup(model)
    assert (price.model, price.assumed) == (key, assumed)


@pytest.mark.parametrize("model", ["mystery-model", "gpt-9-turbo", "claude-2-1", "gemini-3.8-flash", "", None])
def test_unknown_models_are_unpriced_not_free(table, model):
    assert table.lookup(model) is None


def test_anthropic_cache_multipliers(table):
    opus = table.lookup("claude-opus-4-6")
    # 5 $/MTok base input: 5m write 5 x 1.25 = 6.25, 1h write 5 x 2 = 10, read 5 x 0.1 = 0.5
    assert (opus.base.cache_write_5m, opus.base.cache_write_1h, opus.base.cache_read) == (6.25, 10.0, 0.5)
    assert opus.long is None                      # 4.6 on: the 1M window at the base rate
    # Sonnet 4.5's long tier above 200k: input 6 -> 7.5 / 12 / 0.6
    sonnet = table.lookup("claude-sonnet-4-5")
    assert (sonnet.threshold, sonnet.long.input, sonnet.long.cache_write_5m, sonnet.long.cache_write_1h,
            sonnet.long.cache_read) == (200_000, 6.0, 7.5, 12.0, 0.6)
    # newer generations cut the read multiplier: Opus 5.5 reads at 0.05 x 4, Fable 5.1 at 0.025 x 10
    assert (table.lookup("claude-opus-5-5").base.cache_read,
            table.lookup("claude-fable-5-1").base.cache_read) == (0.2, 0.25)
    # OpenAI charges no cache-write surcharge: a write is plain input
    codex = table.lookup("gpt-5-codex")
    assert (codex.base.cache_write_5m, codex.base.cache_write_1h, codex.base.cache_read) == (1.25, 1.25, 0.125)


def test_toml_override_adds_and_replaces(table):
    base = paths.data_dir()
    base.mkdir(parents=True, exist_ok=True)
    (base / "prices.toml").write_text(
        '[models."mystery-model"]\ninput = 2.0\noutput = 8.0\n\n'
        '[models."claude-opus-4-6"]\ninput = 4.0\noutput = 20.0\ncache_read = 0.3\n'
        '[models."claude-opus-4-6".long]\nthreshold = 100000\ninput = 8.0\noutput = 30.0\n')
    loaded = prices.load()
    mystery = loaded.lookup("mystery-model-2026")
    assert (mystery.base.input, mystery.base.output, mystery.source) == (2.0, 8.0, "override")
    # omitted cache rates follow the multipliers: 2 x 1.25 = 2.5, 2 x 2 = 4, 2 x 0.1 = 0.2
    assert (mystery.base.cache_write_5m, mystery.base.cache_write_1h, mystery.base.cache_read) == (2.5, 4.0, 0.2)
    opus = loaded.lookup("claude-opus-4-6-20260101")
    assert (opus.base.input, opus.base.cache_read, opus.threshold, opus.long.input) == (4.0, 0.3, 100_000, 8.0)
    assert loaded.path == base / "prices.toml"
    assert any(r.model == "mystery-model" for r in loaded.rows())


def test_json_override_and_bad_file():
    base = paths.data_dir()
    base.mkdir(parents=True, exist_ok=True)
    (base / "prices.json").write_text(json.dumps({"models": {"local-llm": {"input": 0.5, "output": 1}}}))
    assert prices.load().lookup("local-llm").base.output == 1.0
    (base / "prices.json").write_text(json.dumps({"models": {"local-llm": {"output": 1}}}))
    with pytest.raises(ConfigError, match="local-llm"):
        prices.load()
