"""Request pruning for the Anthropic Messages API: pure, no I/O (issue 4, scope 4 and 5).

  edits.py       Edit (one planned change), Context (facts about a body shared by strategies),
                 size estimates and apply(body, edits)
  text.py        text helpers the strategies share (places that hold text, trimming, line runs)
  validate.py    check_request(body): the Messages API rules relay must keep
  cost.py        cache-aware decision per edit (applied | skipped_cost | dry_run)
  strategies/    twelve strategies, four per tier, each plan(body, ctx) -> [Edit]
  engine.py      prune(body_bytes, tier, dry_run, force) -> PruneResult
The stage that runs it in the proxy is relay/proxy/stages/prune.py.
"""
from relay.proxy.prune.engine import PruneResult, prune

__all__ = ["PruneResult", "prune"]
