"""Cache-aware cost of edits: which ones pay for themselves on this request.

The prompt is cached as a prefix in the order tools, system, messages, up to the last
cache_control breakpoint. relay assumes that prefix was cached by the requests before (the
steady state of a session) and prices in input-token units (multiples of the model's base
input price; relay/costs turns them into money):
  READ = 0.1            a cached token read
  WRITE_5M = 1.25       a token written to the 5-minute cache (cache_control without ttl)
  WRITE_1H = 2.0        a token written to the 1-hour cache (cache_control.ttl == "1h")
  INPUT = 1.0           a token after the last breakpoint (plain input)
A unit is one tool, one system block or one message block; each unit is written at the price of
the first breakpoint at or after it.
  * An edit after the last breakpoint saves its tokens at INPUT: delta = -tokens.
  * Edits at or before it change the cached prefix: from the earliest such edit (unit u) to the
    last breakpoint, the prefix is written again instead of read. With R_w(u) the write price of
    those units and R(u) their tokens, the set of prefix edits costs
        delta = R_w(u) - READ * R(u) - sum(tokens_e * write price at e)
    The earliest edit of the set carries the first two terms, every edit its own saving.
The prefix edits applied are the ones from the position that gives the lowest delta onwards,
and only when that delta is negative; the rest are skipped_cost, their delta being what they
would have cost alone. force=True applies every edit. dry_run=True marks would-be-applied
edits dry_run. Edits sharing a group are decided together, at the group's earliest position.
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

    def __init__(self, body):
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
        # suffix sums over the cached prefix: tokens and write price from unit k to the last breakpoint
        n = self.last_bp + 1
        self.price = [0.0] * n
        self.rest_tokens = [0] * (n + 1)
        self.rest_write = [0.0] * (n + 1)
        price = WRITE_5M
        for k in range(n - 1, -1, -1):
            if self.marks[k]:
                price = write_price(self.marks[k])
            self.price[k] = price
            self.rest_tokens[k] = self.rest_tokens[k + 1] + self.tokens[k]
            self.rest_write[k] = self.rest_write[k + 1] + self.tokens[k] * price

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
        """What rewriting the cached prefix from `unit` costs over reading it."""
        return self.rest_write[unit] - READ * self.rest_tokens[unit]


def decide(body, edits, force=False, dry_run=False):
    """Set decision and cost_delta on every edit; return the summed delta of the applied ones."""
    if not edits:
        return 0.0
    layout = Layout(body)
    groups: dict[str, list[Edit]] = {}
    for e in edits:
        groups.setdefault(e.group, []).append(e)
    prefix: list[tuple[int, list[Edit]]] = []
    after: list[tuple[int, list[Edit]]] = []
    for members in groups.values():
        pos = min(layout.unit(e) for e in members)
        (prefix if pos <= layout.last_bp else after).append((pos, members))
    yes = DRY_RUN if dry_run else APPLIED
    for _, members in after:
        for e in members:
            e.cost_delta = -e.tokens_removed * INPUT
        ok = force or sum(e.cost_delta for e in members) < 0
        for e in members:
            e.decision = yes if ok else SKIPPED_COST
    prefix.sort(key=lambda g: g[0])
    saving = [sum(e.tokens_removed * layout.price[layout.unit(e)] for e in members) for _, members in prefix]
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
            e.cost_delta = -e.tokens_removed * layout.price[layout.unit(e)]
            e.decision = yes if chosen else SKIPPED_COST
        if c == best or not chosen:     # the earliest applied group, or a skipped one priced alone
            min(members, key=layout.unit).cost_delta += layout.invalidation(pos)
    return sum(e.cost_delta for e in edits if e.decision == yes)
