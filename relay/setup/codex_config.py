"""Codex's ~/.codex/config.toml: a `relay` model provider and `model_provider = "relay"`, written
as two relay blocks (the selection must sit among the top-level keys, before any table)."""
from relay.errors import RelayError
from relay.setup import blocks

PROVIDER = "relay"


def _top_region(lines):
    return next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))


def _load(text, path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text or "")
    except ValueError as exc:
        raise RelayError(f"{path} is not valid TOML ({exc})", hint="fix it by hand, then run relay init again") from exc


def point_at(text, base_url, path="config.toml"):
    """config.toml text that sends Codex through relay; the rest of the file is kept."""
    _load(text, path)
    plain = blocks.remove(blocks.remove(text or "", "codex provider"), "codex selection")
    if PROVIDER in (_load(plain, path).get("model_providers") or {}):
        raise RelayError(f"{path} already defines [model_providers.{PROVIDER}] outside relay's block",
                         hint="rename or remove it, then run relay init again")
    text = blocks.put(text, "codex selection", [f'model_provider = "{PROVIDER}"'],
                      replaces=r"\s*model_provider\s*=", at_start=True, region=_top_region)
    text = blocks.put(text, "codex provider", [
        f"[model_providers.{PROVIDER}]", f'name = "{PROVIDER}"', f'base_url = "{base_url}"',
        'wire_api = "responses"', 'env_key = "OPENAI_API_KEY"'])
    _load(text, path)  # never write a file Codex could not read
    return text


def unset(text):
    return blocks.remove(blocks.remove(text, "codex provider"), "codex selection")


def base_url(path):
    """The base URL of the selected model provider, or None (built-in provider, no file)."""
    try:
        data = _load(path.read_text(encoding="utf-8"), path)
    except (OSError, RelayError):
        return None
    selected = data.get("model_provider")
    provider = (data.get("model_providers") or {}).get(selected) if selected else None
    return provider.get("base_url") if isinstance(provider, dict) else None
