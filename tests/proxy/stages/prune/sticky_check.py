"""Checks on what a sticky pruning pass sent upstream over a conversation. Bodies are compared
without their cache_control markers: the prompt cache matches content, and Claude Code moves its
breakpoint every request."""
import json


def unmarked(value):
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


def assert_never_back(sent_bodies):
    """No message sent upstream goes back to an earlier form (pruned, original, pruned again):
    each message index changes form only to a new one. sent_bodies: the bytes, in order."""
    seen: dict[int, list[bytes]] = {}
    for n, sent in enumerate(sent_bodies):
        for i, msg in enumerate(unmarked(json.loads(sent))["messages"]):
            form = json.dumps(msg, sort_keys=True).encode()
            forms = seen.setdefault(i, [])
            if forms and forms[-1] == form:
                continue
            assert form not in forms, f"message {i} went back to an earlier form at request {n}"
            forms.append(form)
