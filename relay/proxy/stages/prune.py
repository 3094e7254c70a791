"""The pruning stage: runs relay/proxy/prune on each request body (issue 4).

PruneStage(tier, dry_run=False, force=False).request(exchange, body) -> body sends the pruned
body (or, with dry_run, the original bytes object) and records every planned edit, as a dict
with its decision and estimated cost delta, on exchange.changes (a list the stage creates when
the exchange has none; the store will persist it). Non-JSON and non-Messages bodies pass as they
are. relay/proxy/pipeline.default_stages() builds it from the prune, prune_dry_run and
prune_force settings.
"""
from relay.proxy.pipeline import Stage
from relay.proxy.prune import prune
from relay.proxy.prune.strategies import for_tier


class PruneStage(Stage):
    name = "prune"

    def __init__(self, tier="gentle", dry_run=False, force=False):
        for_tier(tier)          # an unknown tier fails here, at startup, not on a request
        self.tier, self.dry_run, self.force = tier, dry_run, force
        self.name = f"prune-{tier}"

    def request(self, exchange, body):
        result = prune(body, self.tier, dry_run=self.dry_run, force=self.force)
        if result.edits:
            changes = getattr(exchange, "changes", None)
            if changes is None:
                changes = []
                exchange.changes = changes
            changes.extend(dict(e.to_dict(), tier=self.tier) for e in result.edits)
        return result.body

