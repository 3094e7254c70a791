"""Where tokens come from: proxy rows and session files, as one list of priced-to-be items.

An `Item` is one model response: a proxied request (source "proxy") or an assistant message of
a session file (source "file", Claude Code's split lines already merged by the parser, so a
message is one item however many lines it spans). When the proxy and a file both saw the same
response they share its message id; `dedupe` keeps one item, the proxy's usage (measured on the
wire from the final usage event) with the file's session and project filled in.

The session index keeps per-session totals only (no per-message model or id), so file items
come from parsing the files; only files modified since the window start are opened, since an
older file cannot hold a newer message.
"""
from dataclasses import astuple, dataclass, replace
from typing import Optional

from relay.diagnostics.scan import parse_time
from relay.costs.prices import normalize as normalize_model
from relay.models import Usage
from relay.sessions.discover import discover
from relay.sessions.parsers import parse_file
from relay.store import queries


@dataclass
class Item:
    source: str                      # proxy or file
    ts: float                        # epoch seconds, UTC
    model: Optional[str]
    usage: Usage
    message_id: Optional[str] = None
    session_id: Optional[str] = None
    project: Optional[str] = None
    provider: Optional[str] = None


def proxy_items(store, since=None):
    rows = store.read(lambda c: queries.list_usage(c, since=since))
    return [Item("proxy", ex.ts, ex.model, ex.usage, ex.message_id, ex.session_id, None, ex.provider) for ex in rows]


def _session_items(source, path, since, fallback_ts):
    session = parse_file(source.provider, path)
    session_id = session.session_id or source.key.split(":", 1)[-1]
    project = session.cwd or source.project
    for msg in session.messages:
        if msg.role != "assistant" or msg.usage is None or not msg.usage.total:
            continue
        when = parse_time(msg.timestamp)
        ts = when.timestamp() if when else fallback_ts
        if since is not None and ts < since:
            continue
        yield Item("file", ts, msg.model, msg.usage, msg.message_id, session_id, project, source.provider)


def file_items(since=None, providers=None, environ=None):
    """Items of every session file (main thread and subagents) touched since `since`."""
    items = []
    for source in discover(providers, environ):
        for sf in source.files:
            if sf.role not in ("main", "subagent"):
                continue                 # "alt" files are resume stubs of a session parsed elsewhere
            if since is not None and sf.mtime_ns / 1e9 < since:
                continue
            try:
                items.extend(_session_items(source, sf.path, since, sf.mtime_ns / 1e9))
            except OSError:
                continue                 # deleted or unreadable since discovery: nothing to count
    return items


# The Gemini API's responseId is not in Gemini CLI's session files (their record ids are the
# CLI's own), so a proxied Gemini response and its file record share no id. They are matched by
# what both measured instead: the model, the same normalised usage, within this many seconds.
FINGERPRINT_WINDOW = 120.0


def _fingerprint(item):
    return (normalize_model(item.model), astuple(item.usage))


def _drop_fingerprinted(items):
    """(items, dropped): Gemini file items that repeat a proxied Gemini response are dropped, the
    proxy item keeping the file's session and project."""
    proxied = {}
    for index, item in enumerate(items):
        if item.source == "proxy" and item.provider == "gemini":
            proxied.setdefault(_fingerprint(item), []).append(index)
    if not proxied:
        return items, 0
    keep, dropped = [True] * len(items), 0
    claimed = set()
    for index, item in enumerate(items):
        if item.source != "file" or item.provider != "gemini":
            continue
        for candidate in proxied.get(_fingerprint(item), ()):
            if candidate not in claimed and abs(items[candidate].ts - item.ts) <= FINGERPRINT_WINDOW:
                claimed.add(candidate)
                winner = items[candidate]
                items[candidate] = replace(winner, session_id=winner.session_id or item.session_id,
                                           project=winner.project or item.project)
                keep[index], dropped = False, dropped + 1
                break
    return [item for item, kept in zip(items, keep) if kept], dropped


def dedupe(items):
    """(items, dropped): one item per message id (items without an id are all kept), then Gemini's
    file items that repeat a proxied response (see FINGERPRINT_WINDOW)."""
    kept, by_id, dropped = [], {}, 0
    for item in sorted(items, key=lambda i: i.source != "proxy"):   # proxy rows first
        if not item.message_id:
            kept.append(item)
            continue
        first = by_id.get(item.message_id)
        if first is None:
            by_id[item.message_id] = len(kept)
            kept.append(item)
            continue
        dropped += 1
        winner = kept[by_id[item.message_id]]
        kept[by_id[item.message_id]] = replace(winner, session_id=winner.session_id or item.session_id,
                                               project=winner.project or item.project)
    kept, fingerprinted = _drop_fingerprinted(kept)
    return kept, dropped + fingerprinted
