"""synthetic: user turns that the CLI wrote, not the person.

A user-role message counts when its parser set `Message.synthetic`: interrupt markers, hook
output, system reminders, slash-command plumbing, compaction summaries. Tool results are
protocol, and context attachments ("attachment", "context": environment, date, directory
listing) ride along with every prompt by design; neither is a turn. Rules:
- One **info** finding per kind of tool-written turn present: how many, their size
  (characters and estimated tokens) and where the first ones are.
- **warning** for each tool-written user message (attachments included, compaction summaries
  excepted: large by design) over LARGE_CHARS (10,000) characters: a big injection is re-sent
  on every later request. At most MAX_LARGE findings.
- **warning** when tool-written turns dominate: at least MIN_DOMINANT (5) of them, compaction
  summaries left out, and more than the person's own prompts.
- **warning** for assistant entries the CLI wrote itself instead of the model (model
  "<synthetic>": "API Error: Rate limit reached", "Prompt is too long" ...; no tokens were
  used): the run hit a wall there. One finding, the count and the first texts.
"""
from relay.sessions.composition import estimate_tokens
from relay.sessions.detectors.common import Locator, finding, first_lines

NAME = "synthetic"
SEVERITY = "info"
LARGE_CHARS = 10_000
MAX_LARGE = 10
MIN_DOMINANT = 5
SYNTHETIC_MODEL = "<synthetic>"
_NOT_TURNS = ("tool_result", "attachment", "context")
_KINDS = {
    "interrupt": "interrupt markers (the person stopped the model; the CLI wrote the marker)",
    "hook": "hook outputs injected as user text",
    "system_reminder": "system reminders injected as user text",
    "meta": "meta lines (slash-command plumbing)",
    "command": "slash-command lines",
    "compact_summary": "compaction summaries",
}


def _chars(msg):
    return sum(b.chars for b in msg.blocks)


def detect(session):
    users = [m for m in session.messages if m.role == "user" and m.synthetic != "tool_result"]
    locator = Locator.of(session)
    out = []
    turns = [m for m in users if m.synthetic and m.synthetic not in _NOT_TURNS]
    by_kind = {}
    for msg in turns:
        by_kind.setdefault(msg.synthetic, []).append(msg)
    for kind, msgs in by_kind.items():
        chars = sum(_chars(m) for m in msgs)
        out.append(finding(NAME, SEVERITY, session,
                           f"{len(msgs)} {_KINDS.get(kind, kind + ' lines')}: {chars:,} characters "
                           f"(~{estimate_tokens(chars):,} tokens)",
                           locator.where(msgs[0], kind=kind, count=len(msgs), lines=first_lines(m.line for m in msgs)),
                           "these were written by the CLI, not typed by you; see them in the session replay"))
    large = [m for m in users if m.synthetic and m.synthetic != "compact_summary" and _chars(m) > LARGE_CHARS]
    for msg in large[:MAX_LARGE]:
        chars = _chars(msg)
        out.append(finding(NAME, "warning", session,
                           f"a {msg.synthetic} injection of {chars:,} characters (~{estimate_tokens(chars):,} tokens) "
                           "was added as user text and is re-sent with every later request",
                           locator.where(msg, kind=msg.synthetic, chars=chars),
                           "shorten the hook, reminder or attachment that writes it, or make it conditional"))
    counted = [m for m in turns if m.synthetic != "compact_summary"]
    human = sum(1 for m in users if not m.synthetic)
    if len(counted) >= MIN_DOMINANT and len(counted) > human:
        out.append(finding(NAME, "warning", session,
                           f"{len(counted)} user turns were written by the CLI and only {human} by you",
                           locator.where(counted[0], count=len(counted), human=human),
                           "check your hooks and slash commands: they may be talking to the model more than you"))
    return out + _cli_replies(session, locator)


def _cli_replies(session, locator):
    replies = [m for m in session.messages if m.role == "assistant" and m.model == SYNTHETIC_MODEL]
    if not replies:
        return []
    texts = []
    for msg in replies:
        text = " ".join(msg.text.split())[:120]
        if text and text not in texts:
            texts.append(text)
    return [finding(NAME, "warning", session,
                    f"{len(replies)} assistant {'entry was' if len(replies) == 1 else 'entries were'} written by the "
                    "CLI, not the model" + (f": {'; '.join(texts[:3])}" if texts else ""),
                    locator.where(replies[0], kind="cli_reply", count=len(replies),
                                  lines=first_lines(m.line for m in replies)),
                    "the run hit a wall there (rate limit, prompt too long, API error): check `relay quota` and the "
                    "error, then resume")]
