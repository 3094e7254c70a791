"""Cache-aware cost of edits: which ones pay for themselves on this request and the later ones.

The prompt is cached as a prefix in the order tools, system, messages, up to the last
cache_control breakpoint. Prices are in input-token units (multiples of the model's base input
price; relay/costs turns them into money):
  READ = 0.1            a cached token read
  WRITE_5M = 1.25       a token written to the 5-minute cache (cache_control without ttl)
  WRITE_1H = 2.0        a token written to the 1-hour cache (cache_control.ttl == "1h")
  INPUT = 1.0           a token after the last breakpoint (plain input)
A unit is one tool, one system block or one message block; each unit is written at the price of
the first breakpoint at or after it.

What is already cached. Claude Code moves its breakpoint to the newest message every request and
re-sends the whole history, so the previous request (its last message is the latest user message
before this request's last one) cached the prefix up to the end of that message. Its boundary is
    C = min(last breakpoint, last unit of the latest user message before the final message)
(with no such message, the last breakpoint before the messages: tools and system). That is only
the inference, for a session's first request. Once upstream has answered a request of the session
(same model), C is what it measured: the last response's cache_read_input_tokens +
cache_creation_input_tokens is the prefix cached up to that request's last breakpoint; scaled to
relay's estimate by the ratio of the body's estimated tokens to the prompt tokens upstream
counted (sticky.Memory.measure), it is walked over this request's units, the session's sticky
edits taking their tokens out as they did in the body measured, and C is the last unit ending
within it, never past this request's last breakpoint (Layout.use_measured). A cold or expired
cache (read + write 0) gives C = -1: no edit can break a cache that is not there. Without an
edit this request reads units <= C at READ, writes units in (C, last breakpoint] (the tail the
moving breakpoint re-caches anyway) and pays INPUT after the last breakpoint. A client with a
fixed breakpoint gets C = last breakpoint: the whole prefix is taken as cached.
  * An edit after the last breakpoint saves its tokens at INPUT.
  * An edit in the tail (C, last breakpoint] saves its tokens at their write price: that part is
    written either way, so nothing is invalidated.
  * Edits at or before C break the cached prefix: from the earliest such edit (unit u) to C the
    prefix is written again instead of read. With W(u) the write price of those units and T(u)
    their tokens, the set costs, on this request,
        W(u) - READ * T(u) - sum(tokens_e * write price at e)
Every later request that re-sends the edited prefix (the stage re-applies an applied edit to the
rest of its session, stage.py) reads tokens_e fewer cached tokens: each edit also saves
later_turns * READ * tokens_e, later_turns being the stage's estimate of the requests still to
come. The cache is broken once, then the edit pays back on every later turn.
Without a session (later_turns=None) nothing promises that the next request makes the same edit:
an edit made in the tail would be inside C next time, and sending the original then would break
the cache again. So stateless pruning takes the whole prefix up to the last breakpoint as cached
(C = last breakpoint) and this request alone must pay for an edit.
The prefix edits applied are the ones from the position that gives the lowest delta onwards,
and only when that delta is negative; the rest are skipped_cost, their delta being what they
would have cost alone. Edits after C apply whenever they remove tokens. force=True applies
every edit. dry_run=True marks would-be-applied edits dry_run. Edits sharing a group are decided
together, at the group's earliest position.
"""
import json

from relay.proxy.stages.prune.edits import Edit, block_tokens
from relay.sessions.composition import estimate_tokens

READ, WRITE_5M, WRITE_1H, INPUT = 0.1, 1.25, 2.0, 1.0
APPLIED, SKIPPED_COST, DRY_RUN = "applied", "skipped_cost", "dry_run"


def write_price(cache_control):
    return WRITE_1H if isinstance(cache_control, dict) and cache_control.get("ttl") == "1h" else WRITE_5M


class Layout:
    """Units of the prompt in cache order, their tokens and the breakpoints among them."""

    def __init__(self, body, moving=True):
        self.tokens: list[int] = []   # per unit: tokens
        self.marks: list[object] = []   # per unit: its cache_control or None
        for tool in body.get("tools") or []:
            self._add(estimate_tokens(len(json.dumps(tool, ensure_ascii=False))), tool)
        system = body.get("system")
        self.system_start = len(self.tokens)
        if isinstance(system, list):
            for b in system:
                self._add(block_tokens(b), b)
        elif isinstance(system, str):
            self._add(estimate_tokens(len(system)), None)
        self.message_start = []
        for msg in body.get("messages") or []:
            self.message_start.append(len(self.tokens))
            content = msg.get("content") if isinstance(msg, dict) else None
            for b in content if isinstance(content, list) else [content]:
                self._add(block_tokens(b) if b is not None else 0, b)
        marks = [k for k, m in enumerate(self.marks) if m]
        self.last_bp = marks[-1] if marks else -1
        self.price = [0.0] * (self.last_bp + 1)
        price = WRITE_5M
        for k in range(self.last_bp, -1, -1):
            if self.marks[k]:
                price = write_price(self.marks[k])
            self.price[k] = price
        self.measured = False
        self._cache_to(min(self.last_bp, self._previous_end(body.get("messages") or [], marks)) if moving
                       else self.last_bp)

    @property
    def total(self):
        return sum(self.tokens)

    def use_measured(self, cached_tokens, removed):
        """Place C where upstream said the cache ends: the last unit (up to the last breakpoint)
        whose end, in tokens of the body as sent (`removed`: unit -> tokens the session's sticky
        edits take out of it, as they did on the previous request), is within the measured cached
        prefix (already scaled to relay's estimate by Memory.measure; half a token for rounding)."""
        limit, end, c = cached_tokens + 0.5, 0, -1
        for k in range(self.last_bp + 1):
            end += self.tokens[k] - removed.get(k, 0)
            if end > limit:
                break
            c = k
        self.measured = True
        self._cache_to(c)

    def _cache_to(self, cached):
        self.cached = cached
        # suffix sums over the cached prefix: tokens and write price from unit k to C
        n = self.cached + 1
        self.rest_tokens = [0] * (n + 1)
        self.rest_write = [0.0] * (n + 1)
        for k in range(n - 1, -1, -1):
            self.rest_tokens[k] = self.rest_tokens[k + 1] + self.tokens[k]
            self.rest_write[k] = self.rest_write[k + 1] + self.tokens[k] * self.price[k]

    def _previous_end(self, messages, marks):
        """The last unit the previous request cached (C of the module docstring, before the min)."""
        for i in range(len(messages) - 2, -1, -1):
            if isinstance(messages[i], dict) and messages[i].get("role") == "user":
                return self.message_start[i + 1] - 1
        first = self.message_start[0] if self.message_start else len(self.tokens)
        return max((k for k in marks if k < first), default=-1)

    def _add(self, tokens, block):
        self.tokens.append(tokens)
        cc = block.get("cache_control") if isinstance(block, dict) else None
        if not cc and isinstance(block, dict) and block.get("type") == "tool_result" \
                and isinstance(block.get("content"), list):
            cc = next((s["cache_control"] for s in block["content"]
                       if isinstance(s, dict) and s.get("cache_control")), None)
        self.marks.append(cc or None)

    def unit(self, edit):
        if edit.where == "system":
            return self.system_start + (edit.block or 0)
        return self.message_start[edit.message] + (edit.block or 0)

    def invalidation(self, unit):
        """What rewriting the cached prefix from `unit` to C costs over reading it."""
        return self.rest_write[unit] - READ * self.rest_tokens[unit]

    def saving(self, edit, later_turns):
        """What the edit saves on this request (its tokens at their price) and on later ones."""
        unit = self.unit(edit)
        now = self.price[unit] if unit <= self.last_bp else INPUT
        return edit.tokens_removed * (now + later_turns * READ)


def decide(body, edits, force=False, dry_run=False, later_turns=None, layout=None):
    """Set decision and cost_delta on every edit; return the summed delta of the applied ones.
    later_turns: None without a session (stateless), else the requests expected after this one.
    layout: the body's Layout, already placed on the measured cache (engine.py), or None."""
    if not edits:
        return 0.0
    layout = layout or Layout(body, moving=later_turns is not None)
    later_turns = later_turns or 0
    groups: dict[str, list[Edit]] = {}
    for e in edits:
        groups.setdefault(e.group, []).append(e)
    prefix: list[tuple[int, list[Edit]]] = []
    after: list[tuple[int, list[Edit]]] = []
    for members in groups.values():
        pos = min(layout.unit(e) for e in members)
        (prefix if pos <= layout.cached else after).append((pos, members))
    yes = DRY_RUN if dry_run else APPLIED
    for _, members in after:
        for e in members:
            e.cost_delta = -layout.saving(e, later_turns)
        ok = force or sum(e.cost_delta for e in members) < 0
        for e in members:
            e.decision = yes if ok else SKIPPED_COST
    prefix.sort(key=lambda g: g[0])
    saving = [sum(layout.saving(e, later_turns) for e in members) for _, members in prefix]
    best, best_delta, rest = None, 0.0, 0.0
    for c in range(len(prefix) - 1, -1, -1):      # the delta of applying groups c.. together
        rest += saving[c]
        delta = layout.invalidation(prefix[c][0]) - rest
        if delta < best_delta:
            best, best_delta = c, delta
    if force and prefix:
        best = 0
    for c, (pos, members) in enumerate(prefix):
        chosen = best is not None and c >= best
        for e in members:
            e.cost_delta = -layout.saving(e, later_turns)
            e.decision = yes if chosen else SKIPPED_COST
        if c == best or not chosen:     # the earliest applied group, or a skipped one priced alone
            min(members, key=layout.unit).cost_delta += layout.invalidation(pos)
    return sum(e.cost_delta for e in edits if e.decision == yes)
