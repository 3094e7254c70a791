"""Cost arithmetic with hand-computed dollars for every token kind and tier, the unpriced
path, and counting from session files and proxy rows without double counting."""
import shutil

import pytest

from relay.costs import cost, prices, sources
from relay.models import Exchange, Usage
from relay.store import writes
from tests.session_homes import DATA, populate


def usage(input=0, output=0, lump=0, w5m=0, w1h=0, read=0):
    return Usage(input_tokens=input, output_tokens=output, cache_creation_input_tokens=lump,
                 cache_creation_5m_input_tokens=w5m, cache_creation_1h_input_tokens=w1h, cache_read_input_tokens=read)


@pytest.fixture
def table():
    return prices.load()


def test_every_kind_at_base_rates(table):
    # claude-opus-4-6: input 5, output 25, 5m write 6.25, 1h write 10, read 0.5 ($/MTok)
    # prompt 1000 + 4000 + 8000 + 100000 = 113000 <= 200k: base rates
    got = cost.cost_of(usage(1000, 2000, lump=12000, w5m=4000, w1h=8000, read=100_000), table.lookup("claude-opus-4-6"))
    assert got["dollars"] == pytest.approx({
        "input": 1000 * 5 / 1e6,             # 0.005
        "output": 2000 * 25 / 1e6,           # 0.05
        "cache_write_5m": 4000 * 6.25 / 1e6,  # 0.025
        "cache_write_1h": 8000 * 10 / 1e6,    # 0.08  (at the 5m rate it would be 0.05: the common bug)
        "cache_read": 100_000 * 0.5 / 1e6,   # 0.05
    })
    assert got["total"] == pytest.approx(0.21)
    assert (got["long_context"], got["estimated_ttl"]) == (False, False)


def test_lump_without_split_is_priced_at_5m_and_flagged(table):
    # 12000 unsplit write tokens x 6.25 = 0.075; 0 input/output/read
    got = cost.cost_of(usage(lump=12000), table.lookup("claude-opus-4-6"))
    assert got["dollars"]["cache_write_5m"] == pytest.approx(0.075)
    assert got["total"] == pytest.approx(0.075) and got["estimated_ttl"]


def test_partial_split_prices_the_rest_at_5m(table):
    # claude-haiku-4-5 (input 1): 1h 2000 x 2 = 0.004; unsplit rest 3000 - 2000 = 1000 x 1.25 = 0.00125
    got = cost.cost_of(usage(lump=3000, w1h=2000), table.lookup("claude-haiku-4-5"))
    assert got["tokens"]["cache_write_5m"] == 1000
    assert got["total"] == pytest.approx(0.00525) and got["estimated_ttl"]


LONG_PROMPT = dict(input=50_000, output=1000, lump=30_000, w5m=10_000, w1h=20_000, read=150_000)


def test_long_context_tier_anthropic(table):
    # prompt 50000 + 10000 + 20000 + 150000 = 230000 > 200k: the whole request at Sonnet 4.5's
    # long rates (input 6, output 22.5, 5m 7.5, 1h 12, read 0.6)
    got = cost.cost_of(usage(**LONG_PROMPT), table.lookup("claude-sonnet-4-5"))
    expected = 50_000 * 6 / 1e6 + 1000 * 22.5 / 1e6 + 10_000 * 7.5 / 1e6 + 20_000 * 12 / 1e6 + 150_000 * 0.6 / 1e6
    assert expected == pytest.approx(0.3 + 0.0225 + 0.075 + 0.24 + 0.09) == pytest.approx(0.7275)
    assert got["total"] == pytest.approx(0.7275) and got["long_context"]


def test_opus_4_6_bills_the_whole_window_at_base(table):
    # the same 230k prompt on Opus 4.6 (5 / 25 / 6.25 / 10 / 0.5), no surcharge:
    # 0.25 + 0.025 + 0.0625 + 0.2 + 0.075 = 0.6125
    got = cost.cost_of(usage(**LONG_PROMPT), table.lookup("claude-opus-4-6"))
    assert got["total"] == pytest.approx(0.6125) and not got["long_context"]


def test_haiku_5_5_long_tier_starts_at_100k(table):
    # prompt 90000 + 20000 reads = 110000 > 100k: input 0.5, output 2.5, read 0.05 for the whole request
    # 90000 x 0.5 = 0.045, 1000 x 2.5 = 0.0025, 20000 x 0.05 = 0.001
    got = cost.cost_of(usage(90_000, 1000, read=20_000), table.lookup("claude-haiku-5-5"))
    assert got["total"] == pytest.approx(0.0485) and got["long_context"]
    # 80000 + 20000 = 100000 is not over: 80000 x 0.1 + 1000 x 0.5 + 20000 x 0.01 = 0.008 + 0.0005 + 0.0002
    got = cost.cost_of(usage(80_000, 1000, read=20_000), table.lookup("claude-haiku-5-5"))
    assert got["total"] == pytest.approx(0.0087) and not got["long_context"]


def test_threshold_is_exclusive(table):
    # exactly 200000 prompt tokens stays at base: 200000 x 3 / 1e6 = 0.6
    got = cost.cost_of(usage(200_000), table.lookup("claude-sonnet-4-5"))
    assert got["total"] == pytest.approx(0.6) and not got["long_context"]


def test_long_context_tier_gemini(table):
    # gemini-2.5-pro above 200k: input 2.5, output 15, read 0.25; prompt 190000 + 20000 = 210000
    # 190000 x 2.5 = 0.475, 1000 x 15 = 0.015, 20000 x 0.25 = 0.005
    got = cost.cost_of(usage(190_000, 1000, read=20_000), table.lookup("gemini-2.5-pro"))
    assert got["total"] == pytest.approx(0.495) and got["long_context"]


def test_openai_cache_write_is_input_and_not_an_estimate(table):
    # gpt-5-codex: input 1.25, output 10: 1000 x 1.25 + 1000 (write) x 1.25 + 500 x 10 = 0.0075
    got = cost.cost_of(usage(1000, 500, lump=1000), table.lookup("gpt-5-codex"))
    assert got["total"] == pytest.approx(0.0075) and not got["estimated_ttl"]


def _item(model, u, ts=1_800_000_000.0, **kw):
    return sources.Item(kw.pop("source", "file"), ts, model, u, **kw)


def test_unknown_model_is_reported_not_zero(table):
    items = [_item("mystery-model", usage(1000, 100)), _item("claude-haiku-4-5", usage(1000, 100))]
    result = cost.summarize(items, table, by="model")
    rows = {r["key"]: r for r in result["rows"]}
    assert rows["mystery-model"]["cost"] is None and rows["mystery-model"]["unpriced_requests"] == 1
    assert rows["mystery-model"]["tokens"]["input"] == 1000
    assert result["unpriced"] == [{"model": "mystery-model", "requests": 1, "tokens": 1100}]
    # total: haiku only, 1000 x 1 + 100 x 5 = 0.0015, with the unpriced response counted apart
    assert result["total"]["cost"] == pytest.approx(0.0015) and result["total"]["unpriced_requests"] == 1


def test_group_by_day_and_session(table):
    day = 86_400.0
    items = [_item("claude-haiku-4-5", usage(1_000_000), ts=day * 20_000, session_id="a"),
             _item("claude-haiku-4-5", usage(0, 1_000_000), ts=day * 20_000 + 60, session_id="b"),
             _item("claude-haiku-4-5", usage(1_000_000), ts=day * 20_001, session_id="a")]
    by_day = cost.summarize(items, table, by="day")["rows"]
    # day 20000 (2024-10-04): $1 input + $5 output; day 20001: $1
    assert [(r["key"], r["cost"]) for r in by_day] == [("2024-10-04", pytest.approx(6.0)), ("2024-10-05", 1.0)]
    by_session = cost.summarize(items, table, by="session")["rows"]
    assert [(r["key"], r["cost"], r["requests"]) for r in by_session] == [("b", 5.0, 1), ("a", 2.0, 2)]


def test_split_message_in_claude_code_file_counted_once(isolated_home, store, table):
    # session-tool-bash.jsonl writes message msg_fake_1803... on two lines, each repeating its usage
    lines = (DATA / "claude" / "session-tool-bash.jsonl").read_text().count("msg_fake_1803e6170123451984b4")
    assert lines >= 2
    target = isolated_home / ".claude" / "projects" / "-scratch-work2" / "c6591387-3c88-4bda-9ab0-808028906ae9.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copyfile(DATA / "claude" / "session-tool-bash.jsonl", target)
    items = sources.file_items(store)
    assert sorted(i.message_id for i in items) == ["msg_fake_1803e6170123451984b4", "msg_fake_2a6fb93e941847888895"]
    # each message: 12 input, 7 output, 1500 5m writes, 3000 reads at claude-opus-5-5 (4 / 20 / 5 / 0.2):
    # 12x4 + 7x20 + 1500x5 + 3000x0.2 = 48 + 140 + 7500 + 600 = 8288 -> $0.008288; two messages $0.016576
    result = cost.summarize(items, table, by="model")
    assert result["total"]["requests"] == 2
    assert result["total"]["cost"] == pytest.approx(0.016576)


def test_proxy_and_file_deduplicated_by_message_id(store, table):
    populate()
    mid = "msg_fake_1803e6170123451984b4"
    ex = Exchange(id="ex1", ts=1_800_000_000.0, provider="anthropic", method="POST", path="/v1/messages",
                  model="claude-opus-5-5", status=200, outcome="ok", message_id=mid,
                  usage=usage(12, 9, lump=1500, w5m=1500, read=3000))
    store.write(writes.record_exchange_finish(ex))
    other = Exchange(id="ex2", ts=1_800_000_000.0, provider="anthropic", method="POST", path="/v1/messages",
                     model="claude-opus-5-5", status=200, outcome="ok", message_id="msg_only_proxy",
                     usage=usage(100))
    store.write(writes.record_exchange_finish(other))
    result = cost.report(store, table, since=None, by="session")
    files_only = cost.report(store, table, since=None, by="session", proxy=False)
    assert result["sources"]["proxy"] == 2
    # one proxy row duplicates a file message: +1 new response (msg_only_proxy), and the shared
    # message is priced from the proxy's usage (9 output tokens instead of 7): +2 x 25 / 1e6
    assert result["total"]["requests"] == files_only["total"]["requests"] + 1
    assert result["sources"]["deduplicated"] == files_only["sources"]["deduplicated"] + 1
    assert result["total"]["cost"] == pytest.approx(files_only["total"]["cost"] + 100 * 4 / 1e6 + 2 * 20 / 1e6)
    # the shared message keeps the session the file knows
    session = next(r for r in result["rows"] if r["key"] == "c6591387-3c88-4bda-9ab0-808028906ae9")
    assert session["requests"] == 2 and session["tokens"]["output"] == 9 + 7


def test_gpt_6_1_sol_long_tier_starts_above_272k(table):
    # 272000 prompt tokens stays at base: 262000 x 2 + 10000 x 0.1 + 1000 x 10 = 0.524 + 0.001 + 0.01
    got = cost.cost_of(usage(262_000, 1000, read=10_000), table.lookup("gpt-6.1-sol"))
    assert got["total"] == pytest.approx(0.535) and not got["long_context"]
    # one more input token crosses it: 262001 x 4 + 10000 x 0.2 + 1000 x 15
    got = cost.cost_of(usage(262_001, 1000, read=10_000), table.lookup("gpt-6.1-sol"))
    assert got["total"] == pytest.approx(1.048004 + 0.002 + 0.015) and got["long_context"]
