"""Request pruning for the Anthropic Messages API (issue 4, scope 4 and 5), and the stage running it.

  edits.py       Edit (one planned change), Context (facts about a body shared by strategies),
                 size estimates and apply(body, edits)
  text.py        text helpers the strategies share (places that hold text, trimming, line runs)
  validate.py    check_request(body): the Messages API rules relay must keep
  cost.py        cache-aware decision per edit (applied | skipped_cost | dry_run), on the
                 cached prefix upstream measured
  sticky.py      per-session decisions and the last measured cache
  savings.py     the unpruned request's billing split against upstream's usage (the saving)
  strategies/    twelve strategies, four per tier, each plan(body, ctx) -> [Edit]
  engine.py      prune(body_bytes, tier, dry_run, force) -> PruneResult
  stage.py       PruneStage: the proxy stage that runs prune() on each request body
All pure, no I/O: the stage's effects are the edits it records on the exchange and the measured
saving it hands to the store's queue.
"""
from relay.proxy.stages.prune.engine import PruneResult, prune
from relay.proxy.stages.prune.stage import PruneStage

__all__ = ["PruneResult", "PruneStage", "prune"]
