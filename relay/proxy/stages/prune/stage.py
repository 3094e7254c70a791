"""The pruning stage: runs the pruning pass of this package on each request body (issue 4).

PruneStage(tier, dry_run=False, force=False).request(exchange, body) -> body sends the pruned
body (or, with dry_run, the original bytes object) and records every planned edit, as a dict
with its decision and estimated cost delta, on exchange.changes (the store persists them).
Non-JSON and non-Messages bodies pass as they are. relay.proxy.stages.default_stages() builds it
from the prune, prune_dry_run and prune_force settings.

Decisions are sticky per session (sticky.py): the stage keeps each session's decisions in
memory, for the max_sessions most recent sessions. The session is exchange.session_id when
already known, else the body's metadata.user_id as Claude Code sends it (the proxy reads the
session header after the request stages have run). A request without a session is pruned
statelessly.

Measured cache (savings.py, cost.py): for a request with a session, the stage keeps what it
needs until the response (response hook): upstream's cache read + write then tells the session's
cost model where the cache ends for the next request, and the request's saving (the unpruned
body's billing split against upstream's usage) is written to the store (prune_savings) through
`submit`. An exchange that fails (error hook) or answers an error status feeds neither.
"""
from relay.models import Exchange
from relay.proxy.providers.anthropic import session_from_metadata
from relay.proxy.stages.prune import savings
from relay.proxy.stages.prune.engine import prune
from relay.proxy.stages.prune.sticky import MAX_SESSIONS, Memory, Sessions
from relay.proxy.stages.prune.strategies import for_tier
from relay.store.writes import record_prune_savings


class PruneStage:
    captures = False

    def __init__(self, tier="gentle", dry_run=False, force=False, max_sessions=MAX_SESSIONS, submit=None):
        for_tier(tier)          # an unknown tier fails here, at startup, not on a request
        self.tier, self.dry_run, self.force = tier, dry_run, force
        self.name = f"prune-{tier}"
        self.sessions = Sessions(max_sessions)
        self.submit = submit     # the store's queue for the measured savings (savings.py), or None
        # exchange id -> (session memory, accounting) until its response: at most the requests in flight
        self._pending: dict[str, tuple[Memory, savings.Accounting]] = {}

    def request(self, exchange: Exchange, body: bytes) -> bytes:
        used: list[Memory] = []

        def memory(parsed):
            metadata = parsed.get("metadata")
            session_id = exchange.session_id or (
                session_from_metadata(metadata.get("user_id")) if isinstance(metadata, dict) else None)
            if not session_id:
                return None
            used.append(self.sessions.get(session_id))
            return used[-1]

        result = prune(body, self.tier, dry_run=self.dry_run, force=self.force, memory=memory)
        exchange.changes.extend(dict(e.to_dict(), tier=self.tier) for e in result.edits)
        if result.accounting is not None and used:
            self._pending[exchange.id] = (used[-1], result.accounting)
        return result.body

    def response(self, exchange: Exchange):
        """Feed the session's cost model what upstream reported cached, and record the saving."""
        pending = self._pending.pop(exchange.id, None)
        if pending is None or exchange.status != 200:
            return
        memory, accounting = pending
        memory.measure(accounting.model, exchange.usage, accounting.sent_tokens)
        found = savings.row(exchange, self.tier, accounting)
        if found is not None and self.submit is not None:
            self.submit(record_prune_savings(found))

    def error(self, exchange: Exchange, message):
        self._pending.pop(exchange.id, None)
