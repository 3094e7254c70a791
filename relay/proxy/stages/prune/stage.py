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
"""
from relay.models import Exchange
from relay.proxy.providers.anthropic import session_from_metadata
from relay.proxy.stages.prune.engine import prune
from relay.proxy.stages.prune.sticky import MAX_SESSIONS, Sessions
from relay.proxy.stages.prune.strategies import for_tier


class PruneStage:
    captures = False

    def __init__(self, tier="gentle", dry_run=False, force=False, max_sessions=MAX_SESSIONS):
        for_tier(tier)          # an unknown tier fails here, at startup, not on a request
        self.tier, self.dry_run, self.force = tier, dry_run, force
        self.name = f"prune-{tier}"
        self.sessions = Sessions(max_sessions)

    def request(self, exchange: Exchange, body: bytes) -> bytes:
        def memory(parsed):
            metadata = parsed.get("metadata")
            session_id = exchange.session_id or (
                session_from_metadata(metadata.get("user_id")) if isinstance(metadata, dict) else None)
            return self.sessions.get(session_id) if session_id else None

        result = prune(body, self.tier, dry_run=self.dry_run, force=self.force, memory=memory)
        exchange.changes.extend(dict(e.to_dict(), tier=self.tier) for e in result.edits)
        return result.body
