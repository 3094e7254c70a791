"""The argv relay builds per CLI (../shared/REAL-CLIENTS.md) and how it reads their answers."""
import json

from relay.orch.clis import SPECS, for_model


def test_argv_per_cli_follows_the_non_interactive_modes():
    assert SPECS["claude"].argv("/b/claude", "do it") == ["/b/claude", "-p", "do it", "--output-format", "json"]
    assert SPECS["codex"].argv("/b/codex", "do it") == ["/b/codex", "exec", "--skip-git-repo-check", "--json", "do it"]
    assert SPECS["gemini"].argv("/b/gemini", "do it") == ["/b/gemini", "-p", "do it", "--output-format", "stream-json"]
    # Headless Gemini exits 55 in an untrusted directory; Claude and Codex need nothing extra.
    assert SPECS["gemini"].extra_env == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
    assert SPECS["claude"].extra_env == {} and SPECS["codex"].extra_env == {}


def test_a_task_that_looks_like_a_flag_stays_one_argument():
    argv = SPECS["codex"].argv("codex", "--help me")
    assert argv[-1] == "--help me" and argv.count("--help me") == 1


def test_claude_json_result_gives_text_and_tokens_including_cache():
    out = json.dumps({"type": "result", "result": "hi", "usage": {
        "input_tokens": 12, "cache_creation_input_tokens": 1500, "cache_read_input_tokens": 3000, "output_tokens": 7}})
    assert SPECS["claude"].parse(out) == ("hi", {"input_tokens": 4512, "output_tokens": 7, "total_tokens": 4519})


def test_codex_jsonl_gives_agent_messages_and_turn_usage():
    lines = [{"type": "thread.started"},
             {"type": "item.completed", "item": {"type": "command_execution", "aggregated_output": "x"}},
             {"type": "item.completed", "item": {"type": "agent_message", "text": "answer"}},
             {"type": "turn.completed",
              "usage": {"input_tokens": 1234, "cached_input_tokens": 1000, "output_tokens": 7}}]
    out = "WARNING: noise\n" + "\n".join(json.dumps(x) for x in lines)
    assert SPECS["codex"].parse(out) == ("answer", {"input_tokens": 1234, "output_tokens": 7, "total_tokens": 1241})


def test_gemini_stream_json_joins_deltas_and_reads_stats():
    lines = [{"type": "init", "session_id": "g"}, {"type": "message", "role": "user", "content": "q"},
             {"type": "message", "role": "assistant", "content": "Hel", "delta": True},
             {"type": "message", "role": "assistant", "content": "lo", "delta": True},
             {"type": "result", "status": "success", "stats": {"total_tokens": 50, "input_tokens": 40,
                                                                "output_tokens": 10}}]
    out = "\n".join(json.dumps(x) for x in lines)
    assert SPECS["gemini"].parse(out) == ("Hello", {"input_tokens": 40, "output_tokens": 10, "total_tokens": 50})


def test_unparseable_output_is_returned_as_is_without_tokens():
    for spec in SPECS.values():
        assert spec.parse("plain words") == ("plain words", {})


def test_models_map_back_to_their_cli():
    assert for_model("claude-opus-5-5") == "claude"
    assert for_model("gpt-5-codex") == "codex"
    assert for_model("gemini-2.5-pro") == "gemini"
    assert for_model("llama") is None and for_model(None) is None
