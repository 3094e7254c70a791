"""Sticky pruning decisions: what was decided about a message once holds for its session.

Claude Code re-sends the whole history every request. If relay applied an edit at one request
and sent the original at the next (or the reverse), the prefix upstream sees would change twice
and its cache would be written twice. So, per session:
  * an edit once applied to a message is re-applied, with the very same replacement value, to
    every later request carrying that message (decision "sticky"), whether or not its strategy
    or the cost model would plan it again (a marker naming "the later read" must not change when
    an even later read arrives);
  * an edit once skipped on cost or as invalid is never applied to that message later (decision
    "skipped_sticky"), even when it would pay by then.
A message is identified by its position (its index in the client's messages, or the system
list) and a hash of its original content without cache_control markers (the client moves its
breakpoint from message to message; the content stays). An edit is identified on it by strategy,
block, sub-block and action. A message whose content changed at that position (a compaction, a
sub-agent sharing the session id) gets no sticky decision. Groups are re-applied whole or not at
all (a tool_use never loses its tool_result). A re-applied replacement takes the cache_control
the client put on the block in this request, never the one it had when the edit was made.

Memory is per session (Memory), in an LRU of MAX_SESSIONS sessions (Sessions): a session
evicted, or relay restarted, starts over with fresh decisions.
"""
import dataclasses
import hashlib
import json
from collections import OrderedDict

from relay.proxy.stages.prune.edits import REPLACE, Edit

MAX_SESSIONS = 500
STICKY, SKIPPED_STICKY = "sticky", "skipped_sticky"


def identity(e: Edit):
    return e.strategy, e.block, e.sub, e.action


def _unmarked(block):
    """The block without cache_control, also inside a tool_result's content list."""
    if not isinstance(block, dict):
        return block
    if "cache_control" in block:
        block = {k: v for k, v in block.items() if k != "cache_control"}
    content = block.get("content")
    if isinstance(content, list) and any(isinstance(b, dict) and "cache_control" in b for b in content):
        block = {**block, "content": [_unmarked(b) for b in content]}
    return block


def content_hash(value):
    """A hash of a message (or the system value) as the model reads it, breakpoints left out."""
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        value = {**value, "content": [_unmarked(b) for b in value["content"]]}
    elif isinstance(value, list):
        value = [_unmarked(b) for b in value]
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _located(body, e: Edit):
    """The original value at the edit's location, or None."""
    if e.where == "system":
        content = body.get("system")
    else:
        messages = body.get("messages") or []
        msg = messages[e.message] if e.message < len(messages) else None
        content = msg.get("content") if isinstance(msg, dict) else None
    if e.block is None:
        return content
    if not isinstance(content, list) or e.block >= len(content):
        return None
    value = content[e.block]
    if e.sub is None:
        return value
    inner = value.get("content") if isinstance(value, dict) else None
    return inner[e.sub] if isinstance(inner, list) and e.sub < len(inner) else None


class Memory:
    """One session's decisions."""

    def __init__(self):
        self.requests = 0              # requests of the session pruned so far
        self.applied: dict[tuple, dict[tuple, Edit]] = {}   # (where, message, hash) -> identity -> template
        self.skipped: dict[tuple, set] = {}                  # (where, message, hash) -> identities
        self.groups: dict[str, int] = {}                     # group -> members applied
        self.places: set[tuple] = set()                      # (where, message) holding decisions
        # per model: the cached prefix upstream last reported, in estimated tokens (cost.py)
        self.cached: dict[str | None, float] = {}
        self.previous: dict[str | None, tuple] = {}          # per model: savings.signature()

    def measure(self, model, usage, sent_tokens):
        """Keep what upstream reported cached after a response: cache read + cache write is the
        prefix up to the request's last breakpoint, turned into relay's estimate by the ratio of
        the body's estimated tokens (sent_tokens) to the prompt tokens upstream counted."""
        cached = usage.cache_read_input_tokens + usage.cache_creation_input_tokens
        counted = cached + usage.input_tokens
        if counted > 0:
            self.cached[model] = cached * sent_tokens / counted

    def recall(self, body):
        """(edits to re-apply, {(where, message): skipped identities}, hashes) for this body."""
        messages = body.get("messages") or []
        hashes = {}
        for where, index in self.places:
            if where == "system":
                hashes[(where, index)] = content_hash(body.get("system"))
            elif index < len(messages):
                hashes[(where, index)] = content_hash(messages[index])
        found: dict[str, list[Edit]] = {}
        skipped = {}
        for (where, index), h in hashes.items():
            for template in self.applied.get((where, index, h), {}).values():
                found.setdefault(template.group, []).append(self._renewed(body, template))
            if (where, index, h) in self.skipped:
                skipped[(where, index)] = self.skipped[(where, index, h)]
        sticky = [e for group, members in found.items() if len(members) == self.groups.get(group)
                  for e in members]
        return sticky, skipped, hashes

    @staticmethod
    def _renewed(body, template):
        e = dataclasses.replace(template, decision=STICKY)
        if e.action == REPLACE and isinstance(e.new, dict):
            now = _located(body, e)
            mark = now.get("cache_control") if isinstance(now, dict) else None
            e.new = {**e.new, "cache_control": mark} if mark else e.new
        return e

    def remember(self, body, edits, hashes, yes):
        """Record the decisions of this request; `yes` is the decision that means applied."""
        messages = body.get("messages") or []
        for e in edits:
            place = (e.where, e.message if e.where == "messages" else 0)
            if place not in hashes:
                if e.where == "messages" and e.message >= len(messages):
                    continue
                hashes[place] = content_hash(body.get("system") if e.where == "system" else messages[e.message])
            key = (*place, hashes[place])
            if e.decision == yes:
                applied = self.applied.setdefault(key, {})
                if identity(e) not in applied:
                    new = {k: v for k, v in e.new.items() if k != "cache_control"} \
                        if isinstance(e.new, dict) else e.new
                    applied[identity(e)] = dataclasses.replace(e, new=new, decision="planned")
                    self.groups[e.group] = self.groups.get(e.group, 0) + 1
            elif e.decision in ("skipped_cost", "skipped_invalid"):
                if self.applied.get(key, {}).pop(identity(e), None) is not None:
                    self.groups[e.group] -= 1    # a re-applied edit now invalid: never again
                self.skipped.setdefault(key, set()).add(identity(e))
            else:
                continue
            self.places.add(place)


class Sessions:
    """Memory per session id, the MAX_SESSIONS most recently used kept."""

    def __init__(self, limit=MAX_SESSIONS):
        self.limit = limit
        self._memories: OrderedDict[str, Memory] = OrderedDict()

    def __len__(self):
        return len(self._memories)

    def __contains__(self, session_id):
        return session_id in self._memories

    def get(self, session_id):
        memory = self._memories.pop(session_id, None) or Memory()
        self._memories[session_id] = memory
        while len(self._memories) > self.limit:
            self._memories.popitem(last=False)
        return memory
