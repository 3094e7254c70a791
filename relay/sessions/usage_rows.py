"""One index row per assistant message that reported usage, for table `message_usage` (m005).

Built in the worker from the parsed session (main thread and subagents), so reports and
`relay cost` never re-read files. Timestamps are stored as epoch seconds and as the UTC day;
a message without a readable timestamp takes the file's modification time, so it is still
counted, on the day the file was last written.
"""
from datetime import datetime

from relay.times import parse_time, utc_day

_DAYS: dict = {}      # whole UTC days since the epoch -> utc_day(), a cold index's rows span few days


def epoch(text):
    # The CLIs write `2026-11-01T10:00:00.123Z`; fromisoformat reads that shape alone, and as
    # parse_time would (anything else, naive or odd, goes through parse_time).
    if type(text) is str and len(text) in (20, 24) and text[-1] == "Z" and text[10] == "T":
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            pass
    when = parse_time(text)
    return None if when is None else when.timestamp()


def _day(ts):
    key = ts // 86400
    day = _DAYS.get(key)
    if day is None:
        day = _DAYS[key] = utc_day(ts)
    return day


def dedup_key(message_id, request_id):
    """ccusage's rule: message id + request id, falling back to the message id alone (#775)."""
    if not message_id:
        return None
    return f"{message_id}:{request_id}" if request_id else message_id


def _row(source, session_id, project, path, msg, fallback_ts):
    u = msg.usage
    split = u.cache_creation_5m_input_tokens + u.cache_creation_1h_input_tokens
    unsplit = max(u.cache_creation_input_tokens - split, 0)
    lump = max(u.cache_creation_input_tokens, split)
    ts = epoch(msg.timestamp)
    ts = fallback_ts if ts is None else ts
    return {"session_key": source.key, "path": path, "provider": source.provider, "session_id": session_id,
            "project": project, "message_id": msg.message_id, "request_id": msg.request_id,
            "dedup_key": dedup_key(msg.message_id, msg.request_id), "model": msg.model, "ts": ts,
            "day": _day(ts),
            "input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "cache_creation_tokens": lump,
            "cache_write_5m": u.cache_creation_5m_input_tokens + unsplit,
            "cache_write_1h": u.cache_creation_1h_input_tokens, "cache_read_tokens": u.cache_read_input_tokens,
            "unsplit": unsplit, "prompt_tokens": u.input_tokens + lump + u.cache_read_input_tokens}


def rows(source, main, mtimes):
    """Rows of every assistant message with tokens in `main` and its subagents. `mtimes`: path ->
    modification time (epoch s), the fallback time of messages without a timestamp."""
    session_id = main.session_id or source.key.split(":", 1)[-1]
    project = main.cwd or source.project
    out = []
    for session in [main, *main.subagents]:
        path = session.path or (source.files[0].path if source.files else "")
        fallback = mtimes.get(path, 0.0)
        for msg in session.messages:
            if msg.role == "assistant" and msg.usage is not None and msg.usage.total:
                out.append(_row(source, session_id, project, path, msg, fallback))
    return out
