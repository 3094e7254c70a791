"""Measured quota from stored rate-limit values: Anthropic's unified 5h/7d windows, Codex's
primary/secondary windows (headers, or ChatGPT's wham/usage answer stored as x-codex-*) and Gemini
Code Assist's per-model buckets (retrieveUserQuota, stored as code-assist-quota-<model>-<field>),
parsed from the raw dicts the proxy stored.

A leaf of relay.costs (relay.times only), so `relay statusline` reads the windows without loading
the cost reports; relay.costs.quota builds `relay quota` on it.
"""
from relay import times

UNIFIED = "anthropic-ratelimit-unified-"
_CODEX = "x-codex-"
_BUCKET = "code-assist-quota-"
_BUCKET_FIELDS = ("remaining-fraction", "reset-time", "remaining-amount")
_DIGITS = "0123456789"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# The header names are split by hand, not by regular expressions: `re` (with the `enum` it loads)
# is a fifth of what `relay statusline` imports when it reads a new exchange's headers.


def _lead(text, chars=None):
    """How many of the first characters of `text` are in `chars` (default: decimal digits)."""
    n = 0
    while n < len(text) and (text[n] in chars if chars else text[n].isdecimal()):
        n += 1
    return n


def _line(text):
    """`text` without one final newline, None when a newline is left (as `.+$` reads a name)."""
    text = text[:-1] if text.endswith("\n") else text
    return None if "\n" in text else text


def window_key(rest):
    """("5h", "utilization") for "5h-utilization", ("7d_opus", "reset") for "7d_opus-reset": a
    unified header name after its prefix as (window, field), or None. A window is digits, lowercase
    letters and an optional `_suffix` of lowercase letters, digits and underscores."""
    name, dash, field = rest.partition("-")
    field = _line(field)
    if not dash or not field:
        return None
    digits = _lead(name)
    letters = _lead(name[digits:], _LETTERS)
    suffix = name[digits + letters:]
    if not digits or not letters:
        return None
    if suffix and (len(suffix) < 2 or suffix[0] != "_" or _lead(suffix, _LETTERS + _DIGITS + "_") != len(suffix)):
        return None
    return name, field


def codex_key(key):
    """("primary", "used-percent") for "x-codex-primary-used-percent", else None."""
    if not key.startswith(_CODEX):
        return None
    name, dash, field = key[len(_CODEX):].partition("-")
    field = _line(field)
    return (name, field) if name in ("primary", "secondary") and field else None


def bucket_key(key):
    """("gemini-2.5-pro", "reset-time") for "code-assist-quota-gemini-2.5-pro-reset-time", else None."""
    rest = _line(key[len(_BUCKET):]) if key.startswith(_BUCKET) else None
    for field in _BUCKET_FIELDS if rest else ():
        model = rest[:-len(field) - 1]
        if rest.endswith("-" + field) and model:
            return model, field
    return None


def iso(ts):
    """Epoch seconds as ISO 8601 UTC, or None."""
    return times.iso(ts)


def claim_window(claim):
    """`five_hour` -> `5h`, `seven_day_opus` -> `7d_opus`: the window a representative claim names."""
    if not claim:
        return None
    return claim.replace("five_hour", "5h").replace("seven_day", "7d")


class _Values:
    """Typed reads of raw header strings; a garbled value becomes None and a listed problem."""

    def __init__(self, headers, problems):
        self.headers, self.problems = headers, problems

    def number(self, key, quiet=False):
        raw = self.headers.get(key)
        if raw is None:
            return None
        try:
            return float(raw)
        except (TypeError, ValueError):
            if not quiet:
                self.problems.append(f"{key}: not a number: {raw!r}")
            return None

    def percent(self, key):
        # The unified headers send fractions (0.12 = 12 %); above 1 means over the limit.
        value = self.number(key)
        return None if value is None else round(value * 100, 2)

    def epoch(self, key):
        """Epoch seconds, or an ISO-8601 time (the API-key style reset headers send those)."""
        value = self.number(key, quiet=True)
        raw = self.headers.get(key)
        if value is not None or raw is None:
            return value
        when = times.parse_time(str(raw))
        if when is None:
            self.problems.append(f"{key}: not a time: {raw!r}")
            return None
        return when.timestamp()


def _anthropic_fields(headers):
    """Split one response's unified headers into top-level values, windows and sub-families."""
    top, windows, families = {}, {}, {}
    for key in headers:
        if not key.startswith(UNIFIED):
            continue
        rest = key[len(UNIFIED):]
        match = window_key(rest)
        if match:
            windows.setdefault(match[0], {})[match[1]] = key
        elif rest.startswith(("overage-", "fallback-")):
            family, _, field = rest.partition("-")
            families.setdefault(family, {})[field] = key
        else:
            top[rest] = key
    return top, windows, families


def _window(name, keys, values, ts):
    window = {"name": name, "utilization_pct": values.percent(keys["utilization"]) if "utilization" in keys else None,
              "status": values.headers.get(keys["status"]) if "status" in keys else None,
              "reset_ts": values.epoch(keys["reset"]) if "reset" in keys else None,
              "measured_ts": ts, "measured_at": iso(ts)}
    window["reset"] = iso(window["reset_ts"])
    for field, key in keys.items():
        if field not in ("utilization", "status", "reset"):
            window[field.replace("-", "_")] = values.headers.get(key)
    return window


def _family(keys, values):
    out = {}
    for field, key in keys.items():
        name = field.replace("-", "_")
        if field == "reset":
            out["reset_ts"] = values.epoch(key)
            out["reset"] = iso(out["reset_ts"])
        elif field in ("utilization", "percentage"):
            out[name + "_pct"] = values.percent(key)
        else:
            out[name] = values.headers.get(key)
    return out


def parse_anthropic(rows):
    """The measured Anthropic quota from header rows (newest first): top-level values from the
    newest row that has them, each window from the newest row that reported it."""
    problems, windows, result = [], {}, None
    for row in rows:
        top, found, families = _anthropic_fields(row["ratelimit"])
        if not (top or found or families):
            continue
        values = _Values(row["ratelimit"], problems)
        if result is None:
            result = {"provider": row["provider"] or "anthropic", "measured_ts": row["ts"],
                      "measured_at": iso(row["ts"]), "status": row["ratelimit"].get(top.get("status")),
                      "representative_claim": row["ratelimit"].get(top.get("representative-claim")),
                      "reset_ts": values.epoch(top["reset"]) if "reset" in top else None,
                      "raw": {k: v for k, v in row["ratelimit"].items() if k.startswith("anthropic-ratelimit-")}}
            result["reset"] = iso(result["reset_ts"])
            if "fallback" in top:
                families.setdefault("fallback", {})["value"] = top["fallback"]
            for family, keys in families.items():
                result[family] = _family(keys, values)
        for name, keys in found.items():
            if name not in windows:
                windows[name] = _window(name, keys, values, row["ts"])
    if result is None:
        return None
    representative = claim_window(result["representative_claim"])
    ordered = sorted(windows.values(), key=lambda w: (not w["name"].startswith("5h"), w["name"]))
    for window in ordered:
        window["representative"] = window["name"] == representative
    result.update(representative_window=representative, windows=ordered, problems=problems)
    return result


def _grouped(headers, split):
    """{window: {field: header name}} of the headers `split` (codex_key, bucket_key) recognises."""
    found = {}
    for key in headers:
        match = split(key)
        if match:
            found.setdefault(match[0], {})[match[1]] = key
    return found


def parse_codex(rows):
    """Codex's primary/secondary windows (`x-codex-*`), which report percent used, the window
    length in minutes and a reset as seconds-after (relative to the measurement) or an epoch."""
    problems, windows = [], {}
    for row in rows:
        values = _Values(row["ratelimit"], problems)
        found = _grouped(row["ratelimit"], codex_key)
        for name, keys in found.items():
            if name in windows:
                continue
            used = values.number(keys["used-percent"]) if "used-percent" in keys else None
            minutes = values.number(keys["window-minutes"]) if "window-minutes" in keys else None
            reset_ts = values.epoch(keys["reset-at"]) if "reset-at" in keys else None
            if reset_ts is None and "reset-after-seconds" in keys:
                after = values.number(keys["reset-after-seconds"])
                reset_ts = None if after is None else row["ts"] + after
            windows[name] = {"name": name, "utilization_pct": used, "window_minutes": minutes,
                             "reset_ts": reset_ts, "reset": iso(reset_ts), "measured_ts": row["ts"],
                             "measured_at": iso(row["ts"]), "representative": False}
    if not windows:
        return None
    return {"windows": [windows[n] for n in ("primary", "secondary") if n in windows], "problems": problems}


def parse_gemini(rows):
    """Gemini Code Assist's quota buckets, one per model (and token type when not requests): the
    fraction left and its reset, each from the newest row that reported it."""
    problems, buckets = [], {}
    for row in rows:
        values = _Values(row["ratelimit"], problems)
        found = _grouped(row["ratelimit"], bucket_key)
        for name, keys in found.items():
            if name in buckets:
                continue
            fraction = values.number(keys["remaining-fraction"]) if "remaining-fraction" in keys else None
            remaining = None if fraction is None else round(fraction * 100, 2)
            reset_ts = values.epoch(keys["reset-time"]) if "reset-time" in keys else None
            buckets[name] = {"name": name, "remaining_pct": remaining,
                             "utilization_pct": None if remaining is None else round(100 - remaining, 2),
                             "remaining_amount": row["ratelimit"].get(keys.get("remaining-amount", "")),
                             "reset_ts": reset_ts, "reset": iso(reset_ts), "measured_ts": row["ts"],
                             "measured_at": iso(row["ts"]), "representative": False}
    if not buckets:
        return None
    return {"windows": [buckets[n] for n in sorted(buckets)], "problems": problems}
