"""Where tokens come from: proxy rows and session files, as one list of priced-to-be items.

An `Item` is one model response: a proxied request (source "proxy") or an assistant message of
a session file (source "file", Claude Code's split lines already merged by the parser, so a
message is one item however many lines it spans). When the proxy and a file both saw the same
response they share its message id; `dedupe` keeps one item, the proxy's usage (measured on the
wire from the final usage event) with the file's session and project filled in.

File items come from the session index (`message_usage`, one canonical row per message id +
request id), brought up to date first: only files changed since the last index are read.
"""
from dataclasses import astuple, dataclass, replace

from relay.costs.prices import normalize as normalize_model
from relay.costs.reports import PROVIDERS, refresh
from relay.models import Usage
from relay.store import queries, usage_index


@dataclass
class Item:
    source: str                      # proxy or file
    ts: float                        # epoch seconds, UTC
    model: str | None
    usage: Usage
    message_id: str | None = None
    session_id: str | None = None
    project: str | None = None
    provider: str | None = None


def proxy_items(store, since=None):
    rows = store.read(lambda c: queries.list_usage(c, since=since))
    return [Item("proxy", ex.ts, ex.model, ex.usage, ex.message_id, ex.session_id, None, ex.provider) for ex in rows]


def usage_of(row):
    """The index row's tokens back as a Usage: the lump, its split, and reads."""
    return Usage(input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                 cache_creation_input_tokens=row["cache_creation_tokens"],
                 cache_creation_5m_input_tokens=row["cache_write_5m"] - row["unsplit"],
                 cache_creation_1h_input_tokens=row["cache_write_1h"], cache_read_input_tokens=row["cache_read_tokens"])


def file_items(store, since=None, providers=None, environ=None, workers=None):
    """Items of every session file message (main thread and subagents) since `since`, from the
    session index after updating it."""

    providers = tuple(providers or PROVIDERS)
    refresh(store, providers, environ, workers)
    rows = store.read(lambda c: usage_index.rows(c, providers, since_ts=since))
    return [Item("file", r["ts"], r["model"], usage_of(r), r["message_id"], r["session_id"], r["project"],
                 r["provider"])
            for r in rows]


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
