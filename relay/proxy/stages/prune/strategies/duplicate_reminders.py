"""Standard: repeated identical <system-reminder> texts.

Rule: every `<system-reminder>...</system-reminder>` span in user messages (text blocks and
tool output) and in Claude Code's `role: "system"` entries is compared with the ones before it;
a span identical to an earlier one is replaced by a marker naming the message holding the first
copy. The first copy stays, so the earliest part of the prompt (the cached part) changes least.
Thresholds: spans shorter than MIN_CHARS stay (the marker would save nothing).
"""
import re

from relay.proxy.stages.prune.text import places

NAME = "duplicate_reminders"
TIER = "standard"
MIN_CHARS = 120
_SPAN = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)


def plan(body, ctx=None):
    first: dict[str, int] = {}
    edits = []
    for place in places(body, roles=("user", "system")):
        if "<system-reminder>" not in place.text:
            continue
        parts, pos, removed, count = [], 0, 0, 0
        for match in _SPAN.finditer(place.text):
            span = match.group(0)
            if len(span) < MIN_CHARS or span not in first:
                first.setdefault(span, place.message)
                continue
            parts += [place.text[pos:match.start()],
                      f"[relay {NAME}: removed a repeated system-reminder ({len(span):,} chars), "
                      f"first sent in message {first[span]}]"]
            pos = match.end()
            removed += len(span)
            count += 1
        if count:
            text = "".join(parts) + place.text[pos:]
            edits.append(place.edit(NAME, text, f"replaced {count} repeated system-reminder(s) ({removed:,} chars) "
                                    f"in message {place.message}"))
    return edits
