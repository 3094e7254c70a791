"""prune(body_bytes, tier, dry_run=False, force=False) -> PruneResult: the whole pruning pass.

Steps: parse (bytes that are not a JSON object with a messages list come back untouched, no
edits); plan every strategy of the tier against the original body, in strategies.ORDER; resolve
conflicts (a message or block claimed by an earlier strategy is skipped_conflict for later ones;
groups stand or fall together); decide by cost (cost.py); apply; validate. With a session's
sticky.Memory, what it decided on earlier requests comes first: its applied edits are re-applied
(decision sticky, ahead of every planned edit in conflicts, not priced again), the planned edits
it skipped stay skipped (skipped_sticky), and only new edits are priced, with later_turns = the
requests the session made before this one (a session that ran n requests is expected to run
about as many more), on the session's Layout placed where upstream last measured the cache
(cost.py); the result then carries the savings.Accounting the stage keeps for the response.
A result with
problems the original did not have (counted per rule of validate.py, since indices move) is
never sent: strategies are re-admitted one at a time in order and those whose edits add a
problem are marked skipped_invalid. When nothing is applied, the ORIGINAL bytes object is
returned, so an unpruned request stays byte-identical.
Serialization follows the client: compact separators unless the body used ", " and ": ", and
non-ASCII kept raw unless the body was pure ASCII (Claude Code sends compact JSON with raw UTF-8).
"""
import json
from collections import Counter
from dataclasses import dataclass, field

from relay.proxy.stages.prune import cost, savings
from relay.proxy.stages.prune.edits import DROP_MESSAGE, Context, Edit, apply
from relay.proxy.stages.prune.sticky import SKIPPED_STICKY, STICKY, Memory, identity
from relay.proxy.stages.prune.strategies import for_tier
from relay.proxy.stages.prune.validate import check_request, rule_of

PLANNED, SKIPPED_CONFLICT, SKIPPED_INVALID = "planned", "skipped_conflict", "skipped_invalid"


@dataclass
class PruneResult:
    body: bytes                                   # what to send upstream
    edits: list = field(default_factory=list)     # every planned Edit, each with its decision
    problems: list = field(default_factory=list)  # check_request() of the original body
    accounting: savings.Accounting | None = None  # with a session: for the saving measured on the response

    @property
    def applied(self):
        """The edits in the body sent: applied now or re-applied from an earlier request."""
        return [e for e in self.edits if e.decision in (cost.APPLIED, STICKY)]


def prune(body_bytes, tier, dry_run=False, force=False, memory=None):
    """memory: a function body -> sticky.Memory or None (the session's decisions, see sticky.py)."""
    strategies = for_tier(tier)
    try:
        body = json.loads(body_bytes)
    except (ValueError, UnicodeDecodeError):
        return PruneResult(body_bytes)
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return PruneResult(body_bytes)
    problems = check_request(body)
    ctx = Context.of(body)
    edits = [e for s in strategies for e in s.plan(body, ctx)]
    session: Memory | None = memory(body) if memory is not None else None
    model = body.get("model") if isinstance(body.get("model"), str) else None
    if session is not None:
        edits, hashes = _recalled(session, body, edits)
    _resolve_conflicts(edits)
    later = session.requests if session is not None else None
    layout = None
    if session is not None:
        layout = cost.Layout(body)
        if model in session.cached:
            removed: dict[int, int] = {}
            for e in edits:
                if e.decision == STICKY:
                    removed[layout.unit(e)] = removed.get(layout.unit(e), 0) + e.tokens_removed
            layout.use_measured(session.cached[model], removed)
    cost.decide(body, [e for e in edits if e.decision == PLANNED], force=force, dry_run=dry_run, later_turns=later,
                layout=layout)
    if dry_run:
        for e in edits:
            e.decision = cost.DRY_RUN if e.decision == STICKY else e.decision
    chosen = [e for e in edits if e.decision in (cost.APPLIED, STICKY)]
    new = _validated(body, chosen, problems) if chosen else body
    accounting = None
    if session is not None and layout is not None:
        session.remember(body, edits, hashes, cost.DRY_RUN if dry_run else cost.APPLIED)
        session.requests += 1
        sent = layout.total - sum(e.tokens_removed for e in edits if e.decision in (cost.APPLIED, STICKY))
        accounting = savings.Accounting(model, sent, savings.counterfactual(layout, session.previous.get(model)))
        session.previous[model] = savings.signature(layout)
    out = body_bytes if new is body else serialize(new, body_bytes)
    return PruneResult(out, edits, problems, accounting)


def _recalled(session, body, planned):
    """The session's edits to re-apply first, then the planned ones it did not decide already
    (those it skipped marked skipped_sticky); and the content hashes computed on the way."""
    sticky, skipped, hashes = session.recall(body)
    done = {(e.where, e.message, identity(e)) for e in sticky}
    fresh = []
    for e in planned:
        if (e.where, e.message, identity(e)) in done:
            continue
        if identity(e) in skipped.get((e.where, e.message), ()):
            e.decision = SKIPPED_STICKY
        fresh.append(e)
    lost = {e.group for e in fresh if e.decision == SKIPPED_STICKY}
    for e in fresh:
        e.decision = SKIPPED_STICKY if e.group in lost else e.decision
    return sticky + fresh, hashes


def _resolve_conflicts(edits):
    """One strategy per block: the first claim wins; a dropped message cannot be edited."""
    dropped, touched, whole = set(), set(), set()
    subs: set[tuple] = set()
    groups: dict[str, list[Edit]] = {}
    for e in edits:
        groups.setdefault(e.group, []).append(e)
    for members in groups.values():
        if any(e.decision not in (PLANNED, STICKY) for e in members):
            continue

        def clash(e):
            msg, blk = (e.where, e.message), (e.where, e.message, e.block)
            if e.action == DROP_MESSAGE:
                return msg in touched
            if msg in dropped:
                return True
            if e.sub is None:
                return blk in whole or any(s[:3] == blk for s in subs)
            return blk in whole or (*blk, e.sub) in subs
        if any(clash(e) for e in members):
            for e in members:
                e.decision = SKIPPED_CONFLICT
            continue
        for e in members:
            touched.add((e.where, e.message))
            if e.action == DROP_MESSAGE:
                dropped.add((e.where, e.message))
            elif e.sub is None:
                whole.add((e.where, e.message, e.block))
            else:
                subs.add((e.where, e.message, e.block, e.sub))


def _validated(body, chosen, problems):
    """The body with the largest prefix-closed set of strategies that adds no problem; the
    original body object when none qualifies. Rejected strategies' edits become skipped_invalid."""
    allowed = Counter(rule_of(p) for p in problems)

    def adds_problems(candidate):
        found = Counter(rule_of(p) for p in check_request(candidate, original=body))
        return any(n > allowed[rule] for rule, n in found.items())

    new = apply(body, chosen)
    if not adds_problems(new):
        return new
    kept: list[Edit] = []
    new = body
    for name in dict.fromkeys(e.strategy for e in chosen):
        mine = [e for e in chosen if e.strategy == name]
        trial = apply(body, kept + mine)
        if adds_problems(trial):
            for e in mine:
                e.decision = SKIPPED_INVALID
        else:
            kept, new = kept + mine, trial
    return new


def serialize(body, like=b""):
    """JSON bytes in the client's style (see the module docstring)."""
    head = bytes(like[:4096])
    separators = (", ", ": ") if b'": ' in head and b'":"' not in head else (",", ":")
    if like and like.isascii():
        return json.dumps(body, separators=separators).encode()
    try:
        return json.dumps(body, separators=separators, ensure_ascii=False).encode()
    except UnicodeEncodeError:       # a lone surrogate (sent escaped) cannot be raw UTF-8
        return json.dumps(body, separators=separators).encode()
