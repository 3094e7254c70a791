"""How relay delegates to each CLI: how to run one task non-interactively and how to read the
answer and its token counts. Its binary, home and login are relay.clients'.

The argv follow ../shared/REAL-CLIENTS.md: `claude -p`, `codex exec --skip-git-repo-check`,
`gemini -p` with the workspace trusted (headless Gemini exits 55 in an untrusted directory).
"""
import json
from dataclasses import dataclass, field

from relay.clients import claude, codex, gemini


@dataclass(frozen=True)
class CliSpec:
    name: str
    binary: str
    provider: str                      # the provider relay's proxy records its traffic under
    model_prefixes: tuple              # how a model name in the cost tables maps back to this CLI
    extra_env: dict = field(default_factory=dict)

    def argv(self, binary_path, task):
        raise NotImplementedError

    def parse(self, stdout):
        """(answer text, {"input_tokens", "output_tokens", "total_tokens"} or {})."""
        return stdout, {}


def _tokens(inp, out, total=None):
    if inp is None and out is None and total is None:
        return {}
    inp, out = inp or 0, out or 0
    return {"input_tokens": inp, "output_tokens": out, "total_tokens": total if total is not None else inp + out}


def _json_lines(text):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue


class Claude(CliSpec):
    def argv(self, binary_path, task):
        return [binary_path, "-p", task, "--output-format", "json"]

    def parse(self, stdout):
        try:
            data = json.loads(stdout)
        except ValueError:
            return stdout, {}
        if not isinstance(data, dict):
            return stdout, {}
        usage = data.get("usage") or {}
        inp = sum(usage.get(k) or 0 for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
        return str(data.get("result") or ""), _tokens(inp if usage else None, usage.get("output_tokens"))


class Codex(CliSpec):
    def argv(self, binary_path, task):
        return [binary_path, "exec", "--skip-git-repo-check", "--json", task]

    def parse(self, stdout):
        texts, usage = [], None
        for event in _json_lines(stdout):
            item = event.get("item") or {}
            if event.get("type") == "item.completed" and item.get("type") == "agent_message":
                texts.append(item.get("text") or "")
            if event.get("type") == "turn.completed":
                usage = event.get("usage") or {}
        if not texts and usage is None:
            return stdout, {}
        tokens = _tokens(usage.get("input_tokens"), usage.get("output_tokens")) if usage else {}
        return "\n".join(texts), tokens


class Gemini(CliSpec):
    def argv(self, binary_path, task):
        return [binary_path, "-p", task, "--output-format", "stream-json"]

    def parse(self, stdout):
        texts, stats = [], None
        for event in _json_lines(stdout):
            if event.get("type") == "message" and event.get("role") == "assistant":
                texts.append(event.get("content") or "")
            if event.get("type") == "result":
                stats = event.get("stats") or {}
        if not texts and stats is None:
            return stdout, {}
        if not stats:
            return "".join(texts), {}
        return "".join(texts), _tokens(stats.get("input_tokens"), stats.get("output_tokens"), stats.get("total_tokens"))


SPECS = {
    claude.NAME: Claude(claude.NAME, claude.BINARY, "anthropic", ("claude",)),
    codex.NAME: Codex(codex.NAME, codex.BINARY, "openai", ("gpt", "codex", "o1", "o3", "o4")),
    gemini.NAME: Gemini(gemini.NAME, gemini.BINARY, "gemini", ("gemini",), {"GEMINI_CLI_TRUST_WORKSPACE": "true"}),
}
NAMES = tuple(SPECS)


def for_model(model):
    """The CLI whose traffic a model name belongs to, or None."""
    name = (model or "").lower()
    for spec in SPECS.values():
        if name.startswith(spec.model_prefixes):
            return spec.name
    return None
