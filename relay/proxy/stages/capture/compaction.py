"""Compaction on the wire: which signals one request shows, compared with the previous request
of the same session. Pure.

  compact_request  the last user message is Claude Code's compact instruction: the model is
                   asked to summarise the conversation (the history is about to be replaced)
  shrink           fewer messages than the previous request while the session goes on
  summary          the first user message is a new "This session is being continued ..." summary
A summary whose only change from the previous request is a moved cache_control breakpoint
(Claude Code marks the newest message of each request) is the same summary, not a new one.
A compact_request and the shrink/summary request that follows it are one compaction: stage.py
records one event per compaction with tokens before and after and the cache write that follows.
"""
SUMMARY_PREFIX = "This session is being continued from a previous conversation"
COMPACT_PREFIX = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools."


def _texts(message):
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [b.get("text") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
    return []


def _starts(message, prefix):
    return any(t.lstrip().startswith(prefix) for t in _texts(message))


def _user_indexes(messages):
    return [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"]


def without_breakpoints(value):
    """`value` with every cache_control key removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_breakpoints(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [without_breakpoints(v) for v in value]
    return value


def _same_message(message, previous, index):
    if previous is None:
        return False
    try:
        before = previous(index)
    except (KeyError, ValueError):
        return False
    return before is not None and without_breakpoints(before) == without_breakpoints(message)


def signals(messages, hashes, prev_hashes, previous=None):
    """The compaction signals of a request: `messages` parsed, `hashes` theirs, `prev_hashes` the
    previous request's (None for a session's first request). `previous(i)`, when given, returns
    the previous request's message i parsed; it is asked only when a summary's hash changed."""
    found = []
    users = _user_indexes(messages)
    if users and _starts(messages[users[-1]], COMPACT_PREFIX):
        found.append("compact_request")
    if prev_hashes is not None and len(hashes) < len(prev_hashes):
        found.append("shrink")
    if users and _starts(messages[users[0]], SUMMARY_PREFIX):
        first = users[0]
        if prev_hashes is None or first >= len(prev_hashes) or (
                prev_hashes[first] != hashes[first] and not _same_message(messages[first], previous, first)):
            found.append("summary")
    return found
