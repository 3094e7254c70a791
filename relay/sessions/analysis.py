"""One session's index row: aggregates, composition and findings, computed once per change.

Only relay.sessions.worker imports this module, and only when a file changed: the detectors, the
composition and the parsers behind them stay out of warm reports.
Tokens count the main thread and its subagents, since both were paid for; `turns` counts the
model responses of the main thread.
"""
import dataclasses
import time

from relay.models import SEVERITIES, analysing
from relay.sessions.composition import compose_summary
from relay.sessions.detectors import detect_all


def tokens(session):
    total = session.usage
    for sub in session.subagents:
        total = total + sub.usage
    data = total.to_dict()
    data["total"] = total.total
    return data


def parse_stats(session):
    merged = dataclasses.asdict(session.stats)
    merged["truncated_tail"] = int(merged["truncated_tail"])
    for sub in session.subagents:
        for name, value in dataclasses.asdict(sub.stats).items():
            if name == "unknown_types":
                for kind, n in value.items():
                    merged["unknown_types"][kind] = merged["unknown_types"].get(kind, 0) + n
            else:
                merged[name] += int(value)
    merged["subagents"] = len(session.subagents)
    merged["resumes"] = len(session.resumes)
    return merged


def worst(findings):
    ranks = [SEVERITIES.index(f["severity"]) for f in findings if f.get("severity") in SEVERITIES]
    return SEVERITIES[max(ranks)] if ranks else None


def row(source, session):
    """The `session_index` row (as a dict) for `session`, the parsed form of `source`."""
    with analysing(session):      # the detectors and the composition share one grouping into turns
        findings = [f.to_dict() for f in detect_all(session)]
        # Per-turn rows can run to hundreds of KB per session; the index keeps the summary so that
        # listing thousands of sessions stays fast. A session's turns are recomputed on demand.
        composition = compose_summary(session)
        turns = sum(1 for t in session.turns() if t.messages and t.messages[-1].role == "assistant")
    usage = tokens(session)
    return {
        "session_key": source.key,
        "provider": source.provider,
        "session_id": session.session_id or source.key.split(":", 1)[1],
        "path": session.path or (source.files[0].path if source.files else ""),
        "project": session.cwd or source.project,
        "started": session.started,
        "ended": session.ended,
        "turns": turns,
        "total_tokens": usage["total"],
        "tokens": usage,
        "composition": composition,
        "findings": findings,
        "worst_severity": worst(findings),
        "parse_stats": parse_stats(session),
        "analyzed_at": time.time(),
    }
