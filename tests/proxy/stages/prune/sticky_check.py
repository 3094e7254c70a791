"""Bodies without their cache_control markers: the prompt cache matches content, and Claude Code
moves its breakpoint every request, so prefixes are compared without them."""


def unmarked(value):
    if isinstance(value, dict):
        return {k: unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value
