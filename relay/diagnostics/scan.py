"""The scan service: update the session index, then answer from it. Used by `relay scan` and
(later) by the API and MCP, so every reader gets the same JSON-ready dict:

  {"ok": true,
   "sessions": [{provider, session_id, path, project, started, ended, turns, tokens,
                 composition, findings: [{detector, severity, message, where}]}],
   "summary": {sessions, turns, tokens, findings{info,warning,error}, worst_severity,
               providers{...}, parse{...}, index{...}}}

`since` first skips sessions whose files were not written since then (their bytes are never
read), then keeps sessions whose last record is that recent. Findings and composition come from
the index, so an unchanged session is listed without re-running the detectors.
"""

from relay.models import SEVERITIES
from relay.sessions import discover, index
from relay.store import session_index
from relay.times import parse_since, parse_time

FINDING_KEYS = ("detector", "severity", "message", "where")
SESSION_KEYS = ("provider", "session_id", "path", "project", "started", "ended", "turns", "tokens", "composition")


def _session_view(row):
    view = {key: row[key] for key in SESSION_KEYS}
    view["findings"] = [{key: f.get(key) for key in FINDING_KEYS} for f in row["findings"]]
    return view


def _summary(rows, report):
    tokens, findings, providers = {}, dict.fromkeys(SEVERITIES, 0), {}
    parse = {"bad_lines": 0, "non_utf8_lines": 0, "truncated_tails": 0, "duplicate_lines": 0, "unknown_types": {}}
    for row in rows:
        for name, value in row["tokens"].items():
            tokens[name] = tokens.get(name, 0) + value
        for f in row["findings"]:
            if f.get("severity") in findings:
                findings[f["severity"]] += 1
        providers[row["provider"]] = providers.get(row["provider"], 0) + 1
        stats = row["parse_stats"]
        for name in ("bad_lines", "non_utf8_lines", "duplicate_lines"):
            parse[name] += stats.get(name, 0)
        parse["truncated_tails"] += stats.get("truncated_tail", 0)
        for kind, n in stats.get("unknown_types", {}).items():
            parse["unknown_types"][kind] = parse["unknown_types"].get(kind, 0) + n
    worst = next((s for s in reversed(SEVERITIES) if findings[s]), None)
    c = report.counters
    return {"sessions": len(rows), "turns": sum(r["turns"] for r in rows), "tokens": tokens, "findings": findings,
            "worst_severity": worst, "providers": providers, "parse": parse,
            "index": {"sessions_on_disk": report.sessions, "files": report.files, "unchanged": report.unchanged,
                      "refreshed": c.groups, "removed": report.removed, "files_parsed": c.files_parsed,
                      "bytes_read": c.bytes_read, "files_skipped": c.files_skipped, "workers": report.workers,
                      "elapsed_ms": round(report.elapsed_ms, 1)}}


def run(store, providers=None, since=None, session_id=None, progress=None, environ=None, workers=None, until=None):
    """Scan the session files of `providers` (all when None); see the module docstring. `until`
    keeps the sessions that started before it (a date: before the end of that day)."""
    providers = list(providers) if providers else list(discover.PROVIDERS)
    cutoff = parse_since(since) if isinstance(since, str) else since
    end = parse_since(until, name="until", end=True) if isinstance(until, str) else until
    sources = discover.discover(providers, environ)
    wanted = None
    if cutoff is not None:
        floor_ns = int(cutoff.timestamp() * 1e9)
        wanted = {s.key for s in sources if s.newest_mtime_ns >= floor_ns}
    report = index.update(store, sources, providers=providers, wanted=wanted, progress=progress, workers=workers)
    rows = store.read(lambda conn: session_index.list_sessions(conn, providers, session_id))
    if wanted is not None:
        rows = [r for r in rows if r["session_key"] in wanted and _recent(r, cutoff)]
    if end is not None:
        rows = [r for r in rows if _started_before(r, end)]
    return {"ok": True, "sessions": [_session_view(r) for r in rows], "summary": _summary(rows, report)}


def _recent(row, cutoff):
    ended = parse_time(row["ended"]) or parse_time(row["started"])
    return ended is None or ended >= cutoff


def _started_before(row, end):
    started = parse_time(row["started"]) or parse_time(row["ended"])
    return started is None or started < end


def has_errors(payload):
    return any(f["severity"] == "error" for s in payload["sessions"] for f in s["findings"])


__all__ = ["run", "parse_since", "parse_time", "has_errors"]
