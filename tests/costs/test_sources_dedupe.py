"""Proxy rows and session-file records of the same response are counted once."""
from relay.costs.sources import FINGERPRINT_WINDOW, Item, dedupe
from relay.models import Usage

GEMINI = Usage(input_tokens=500, output_tokens=12, cache_read_input_tokens=1000, reasoning_tokens=5)


def test_codex_rows_and_rollouts_share_the_response_id():
    usage = Usage(input_tokens=234, output_tokens=7, cache_read_input_tokens=1000)
    proxy = Item("proxy", 100.0, "gpt-5-codex", usage, "resp_1", "thread", None, "openai")
    file = Item("file", 101.0, "gpt-5-codex", usage, "resp_1", "thread", "/proj", "codex")
    [kept], dropped = dedupe([file, proxy])
    assert dropped == 1 and kept.source == "proxy" and kept.project == "/proj"


def test_gemini_file_record_matched_by_model_usage_and_time():
    proxy = Item("proxy", 1000.0, "gemini-2.5-pro", GEMINI, "fake-abc", None, None, "gemini")
    same = Item("file", 1001.5, "models/gemini-2.5-pro", GEMINI, "uuid-1", "sess-1", "/proj", "gemini")
    later = Item("file", 1000.0 + FINGERPRINT_WINDOW + 5, "gemini-2.5-pro", GEMINI, "uuid-2", "sess-1", "/proj",
                 "gemini")
    other = Item("file", 1000.5, "gemini-2.5-pro", Usage(input_tokens=1), "uuid-3", "sess-1", "/proj", "gemini")
    kept, dropped = dedupe([same, later, other, proxy])
    assert dropped == 1
    assert sorted((i.source, i.message_id) for i in kept) == [("file", "uuid-2"), ("file", "uuid-3"),
                                                              ("proxy", "fake-abc")]
    [merged] = [i for i in kept if i.source == "proxy"]
    assert (merged.session_id, merged.project) == ("sess-1", "/proj")


def test_one_proxied_gemini_response_absorbs_one_file_record_only():
    proxy = Item("proxy", 1000.0, "gemini-2.5-pro", GEMINI, "fake-1", None, None, "gemini")
    files = [Item("file", 1000.0 + n, "gemini-2.5-pro", GEMINI, f"uuid-{n}", "s", None, "gemini") for n in range(2)]
    kept, dropped = dedupe(files + [proxy])
    assert dropped == 1 and len(kept) == 2
