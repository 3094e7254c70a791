"""A dotenv file (Gemini CLI reads ~/.gemini/.env): read KEY=VALUE lines, set one key in a relay block."""
from relay.setup import blocks

TAG = "gemini"


def read(path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return out


def set_key(text, key, value):
    return blocks.put(text, TAG, [f"{key}={value}"], replaces=rf"\s*(export\s+)?{key}\s*=")


def unset(text):
    return blocks.remove(text, TAG)
