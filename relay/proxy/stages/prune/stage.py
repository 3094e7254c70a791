"""The pruning stage: runs the pruning pass of this package on each request body (issue 4).

PruneStage(tier, dry_run=False, force=False).request(exchange, body) -> body sends the pruned
body (or, with dry_run, the original bytes object) and records every planned edit, as a dict
with its decision and estimated cost delta, on exchange.changes (the store persists them).
Non-JSON and non-Messages bodies pass as they are. relay.proxy.stages.default_stages() builds it
from the prune, prune_dry_run and prune_force settings.
"""
from relay.models import Exchange
from relay.proxy.stages.prune.engine import prune
from relay.proxy.stages.prune.strategies import for_tier


class PruneStage:
    captures = False

    def __init__(self, tier="gentle", dry_run=False, force=False):
        for_tier(tier)          # an unknown tier fails here, at startup, not on a request
        self.tier, self.dry_run, self.force = tier, dry_run, force
        self.name = f"prune-{tier}"

    def request(self, exchange: Exchange, body: bytes) -> bytes:
        result = prune(body, self.tier, dry_run=self.dry_run, force=self.force)
        exchange.changes.extend(dict(e.to_dict(), tier=self.tier) for e in result.edits)
        return result.body
