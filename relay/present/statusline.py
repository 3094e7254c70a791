"""The status line's view data and its one line of text: `relay statusline` (Claude Code's
statusLine command) and its JSON twin /api/v1/statusline.

Claude Code sends a JSON object on stdin whose fields grew over its versions (cost in 1.0,
context_window in 2.0, used_percentage and rate_limits in 2.1); every field is optional here. What
relay measured wins over what the JSON says where both exist (quota windows, session cost, cache
hit rate), because relay saw every CLI's traffic; the JSON fills in what relay did not see.
Only small modules are imported: this runs after every assistant message, most often drawn from the
line's cached state; what it reads from the database is relay.present.statusline_reads'.
"""
from relay import guard as guards
from relay import times
from relay.present.costs import usd
from relay.present.format import relative

SEGMENTS = ("model", "context", "quota", "cost", "cache", "mcp", "alert")
COLORS = {"ok": "32", "notice": "36", "warn": "33", "critical": "1;31"}
_JSON_WINDOWS = (("five_hour", "5h"), ("seven_day", "7d"))


def _dict(value):
    return value if isinstance(value, dict) else {}


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _epoch(value):
    """resets_at as Claude Code sends it: epoch seconds (2.1.80+) or an ISO time (some builds)."""
    number = _number(value)
    if number is not None:
        return number / 1000 if number > 1e11 else number
    when = times.parse_time(value) if isinstance(value, str) else None
    return None if when is None else when.timestamp()


def _text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


def _model(status, last):
    model = status.get("model")
    if isinstance(model, str):        # a few early builds sent the id as a plain string
        model = {"id": model}
    model = _dict(model)
    model_id = _text(model.get("id")) or (last["model"] if last else None)
    return {"id": model_id, "name": _text(model.get("display_name")) or model_id}


def _usage_prompt(usage):
    return sum(int(_number(usage.get(k)) or 0) for k in (
        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))


def _context(status, last, model_id):
    """Fill of the context window: Claude Code's own percentage, else its current usage over its
    window size, else the latest exchange relay saw for the session."""
    window = _dict(status.get("context_window"))
    size = _number(window.get("context_window_size"))
    usage = _dict(window.get("current_usage"))
    pct = _number(window.get("used_percentage"))
    tokens = _usage_prompt(usage) if usage else None
    if pct is None and tokens and size:
        pct = tokens * 100 / size
    if pct is not None:
        size = size or guards.context_window(model_id)
        if tokens is None:
            tokens = round(pct * size / 100)
        return {"pct": round(pct, 1), "tokens": tokens, "window": int(size), "source": "claude-code"}
    if last is not None:
        fill, size = guards.context_fill(last["model"], last["prompt"])
        if fill is not None:
            return {"pct": round(fill, 1), "tokens": round(fill * size / 100), "window": size, "source": "measured"}
    if status.get("exceeds_200k_tokens") is True:
        return {"pct": None, "tokens": 200_000, "window": None, "source": "claude-code", "over_200k": True}
    return None


def _window(provider, name, pct, reset_ts, measured_ts, now):
    if reset_ts is not None and reset_ts <= now:
        pct = None                    # the window has reset since it was measured
    return {"provider": provider, "name": name, "used_pct": None if pct is None else round(pct, 1),
            "reset_ts": reset_ts, "reset": times.iso(reset_ts), "measured_ts": measured_ts}


def _json_windows(status, now):
    limits = _dict(status.get("rate_limits"))
    out = []
    for key, name in _JSON_WINDOWS:
        w = _dict(limits.get(key))
        pct = _number(w.get("used_percentage"))
        if pct is not None:
            out.append(_window("claude", name, pct, _epoch(w.get("resets_at")), None, now))
    return out


def _busiest(windows):
    return max((w["used_pct"] for w in windows if w["used_pct"] is not None), default=None)


def _quota(status, measured, now):
    """Claude's 5h/7d windows (measured, else Claude Code's rate_limits), or Codex's when those
    are fuller than Claude's. `measured`: relay.present.statusline_reads.quota_windows."""
    claude, codex = ([[_window(w["provider"], w["name"], w["pct"], w["reset_ts"], w["measured_ts"], now)
                       for w in measured.get(cli, [])] for cli in ("claude", "codex")])
    source = "measured" if claude else None
    if _busiest(claude) is None:      # nothing measured, or every measured window has reset since
        from_json = _json_windows(status, now)
        if from_json:
            claude, source = from_json, "claude-code"
    shown = claude
    codex_peak, claude_peak = _busiest(codex), _busiest(claude)
    if codex_peak is not None and (claude_peak is None or codex_peak > claude_peak):
        shown, source = codex, "measured"
    return {"source": source, "windows": shown, "busiest_pct": _busiest(shown)}


def _cache_hit(sums):
    total = sums["input"] + sums["cache_read"] + sums["cache_creation"]
    return round(100 * sums["cache_read"] / total, 1) if total else None


def _json_cache(status):
    usage = _dict(_dict(status.get("context_window")).get("current_usage"))
    if not usage:
        return None
    return _cache_hit({"input": _number(usage.get("input_tokens")) or 0,
                       "cache_read": _number(usage.get("cache_read_input_tokens")) or 0,
                       "cache_creation": _number(usage.get("cache_creation_input_tokens")) or 0})


def _guard(context, quota, thresholds):
    context_tier = guards.tier(context and context["pct"], thresholds["context"])
    quota_tier = guards.tier(quota["busiest_pct"], thresholds["quota"])
    worst = max(context_tier, quota_tier, key=guards.TIERS.index)
    alert = None
    if guards.TIERS.index(worst) >= guards.TIERS.index("warn"):
        if guards.TIERS.index(quota_tier) >= guards.TIERS.index(context_tier):
            window = max((w for w in quota["windows"] if w["used_pct"] is not None), key=lambda w: w["used_pct"])
            alert = f"{window['name']} quota {window['used_pct']:.0f}%"
        else:
            alert = f"context {context['pct']:.0f}%"
    return {"tier": worst, "context": context_tier, "quota": quota_tier, "alert": alert}


def session_of(status):
    return _text(_dict(status).get("session_id"))


def statusline(status, measured, thresholds, now, database="ok"):
    """The line's data from Claude Code's status JSON (any dict, maybe empty) and what `measure`
    read from relay's database (relay.present.statusline_reads.measure; None when `database` says
    why it is unavailable)."""
    status = _dict(status)
    session_id = session_of(status)
    last = measured["last"] if measured else None
    model = _model(status, last)
    context = _context(status, last, model["id"])
    quota = _quota(status, measured["windows"] if measured else {}, now)
    for window in quota["windows"]:
        window["tier"] = guards.tier(window["used_pct"], thresholds["quota"])
    claude_cost = _number(_dict(status.get("cost")).get("total_cost_usd"))
    mine = measured["session"] if measured else None
    if mine and mine["requests"]:
        session = {"usd": mine["cost"] if mine["requests"] > mine["unpriced"] else None, "source": "measured"}
    else:
        session = {"usd": claude_cost, "source": "claude-code" if claude_cost is not None else None}
    cache = _cache_hit(mine) if mine else None
    return {"session_id": session_id, "version": _text(status.get("version")), "database": database,
            "model": model, "context": context, "quota": quota,
            "cost": {"session_usd": usd(session["usd"]), "session_source": session["source"],
                     "today_usd": usd(measured["today"]["cost"]) if measured else None},
            "cache_hit_pct": cache if cache is not None else _json_cache(status),
            "mcp": measured.get("mcp") if measured else None,
            "guard": _guard(context, quota, thresholds), "now": times.iso(now)}


# --- the line -------------------------------------------------------------------------------

def _paint(text, tier, color):
    return f"\033[{COLORS[tier]}m{text}\033[0m" if color and text else text


def _usd(value):
    return "$?" if value is None else f"${value:,.2f}"


def _segments(data, now, color):
    tiers = data["guard"]
    out = {"model": data["model"]["name"] or "", "context": "", "quota": "", "cost": "", "cache": "", "alert": ""}
    ctx = data["context"]
    if ctx and ctx["pct"] is not None:
        out["context"] = _paint(f"ctx {ctx['pct']:.0f}%", tiers["context"], color)
    elif ctx and ctx.get("over_200k"):
        out["context"] = _paint("ctx >200k", tiers["context"], color)
    parts = []
    for w in data["quota"]["windows"]:
        label = w["name"] if w["provider"] == "claude" else f"{w['provider']} {w['name']}"
        pct = "reset" if w["used_pct"] is None else f"{w['used_pct']:.0f}%"
        when = ""
        if w["used_pct"] is not None and w["reset_ts"]:
            when = " ↻" + relative(w["reset_ts"], now).removeprefix("in ")
        parts.append(_paint(f"{label} {pct}{when}", w["tier"], color))
    out["quota"] = " · ".join(parts)
    cost = data["cost"]
    money = []
    if cost["session_usd"] is not None or cost["session_source"]:
        money.append(f"{_usd(cost['session_usd'])} session")
    if cost["today_usd"] is not None:
        money.append(f"{_usd(cost['today_usd'])} today")
    out["cost"] = " ".join(money)
    if data["cache_hit_pct"] is not None:
        out["cache"] = f"cache {data['cache_hit_pct']:.0f}%"
    out["mcp"] = data.get("mcp") or ""
    if tiers["alert"]:
        out["alert"] = _paint(f"⚠ {tiers['alert']}", tiers["tier"], color)
    out["note"] = "" if data["database"] == "ok" else f"relay: {data['database']}"
    return out


class _Blank(dict):
    def __missing__(self, key):
        return ""


def line(data, now, fmt=None, color=True):
    """One line of text: the segments named in `fmt` ("model,context,...") or a template with
    {segment} fields, joined with " · "; empty segments are left out."""
    segments = _segments(data, now, color)
    dot = _paint("●", data["guard"]["tier"], color) if color else ""
    if fmt and "{" in fmt:
        return fmt.format_map(_Blank(segments, tier=data["guard"]["tier"], dot=dot)).strip()
    names = [n.strip() for n in (fmt or ",".join(SEGMENTS)).split(",") if n.strip()] + ["note"]
    text = " · ".join(segments[n] for n in names if segments.get(n))
    return f"{dot} {text}".strip() if dot else text
