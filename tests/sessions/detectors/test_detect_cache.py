from relay.sessions.detectors import cache
from tests.factories import Compaction, assistant, fixture_session, make_session, make_usage, user


def _turns(*usages, models=None, times=None):
    messages = []
    for i, usage in enumerate(usages):
        stamp = times[i] if times else f"2026-01-01T10:00:{i:02d}Z"
        model = models[i] if models else "m"
        messages += [user(f"q{i}", timestamp=stamp), assistant(f"a{i}", usage=usage, model=model, timestamp=stamp)]
    return make_session(messages)


WARM = make_usage(input=10, cache_read=20_000, cache_write=500)
MISS = make_usage(input=10, cache_read=0, cache_write=20_500)


def test_warm_cache_throughout_passes():
    assert cache.detect(_turns(WARM, WARM, WARM)) == []
    assert cache.detect(fixture_session("claude", "session-text-resume-compact.jsonl")) == []


def test_cache_read_dropping_to_zero_after_warm_is_a_warning():
    [f] = cache.detect(_turns(WARM, WARM, MISS))
    assert f.severity == "warning" and f.where["turn"] == 2 and f.where["line"] == 6
    assert f.where["prompt_tokens"] == 20_510


def test_cold_start_is_not_a_miss():
    assert cache.detect(_turns(MISS, WARM)) == []


def test_model_switch_or_compaction_explains_a_miss():
    assert cache.detect(_turns(WARM, MISS, models=["a", "b"])) == []
    session = _turns(WARM, MISS)
    session.compactions = [Compaction(line=3)]
    assert cache.detect(session) == []


def test_miss_after_idle_past_the_ttl_is_info():
    times = ["2026-01-01T10:00:00Z", "2026-01-01T10:06:00Z"]
    [f] = cache.detect(_turns(WARM, MISS, times=times))
    assert f.severity == "info" and "6 min idle" in f.message


def test_one_hour_cache_survives_six_minutes():
    warm_1h = make_usage(input=10, cache_read=20_000, cache_write_1h=500)
    times = ["2026-01-01T10:00:00Z", "2026-01-01T10:06:00Z"]
    [f] = cache.detect(_turns(warm_1h, MISS, times=times))
    assert f.severity == "warning"


def test_large_writes_never_read_back_are_a_warning():
    busting = make_usage(input=10, cache_read=3_000, cache_write=9_000)
    [f] = cache.detect(_turns(busting, busting, busting, busting))
    assert f.severity == "warning" and f.where["count"] == 3 and f.where["turns"] == [0, 1, 2]
    assert f.where["cache_write_tokens"] == 27_000


def test_writes_that_are_read_back_pass():
    growing = [make_usage(input=10, cache_read=3_000 + 9_000 * i, cache_write=9_000) for i in range(4)]
    assert cache.detect(_turns(*growing)) == []
