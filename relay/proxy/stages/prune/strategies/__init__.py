"""The twelve pruning strategies in their fixed order, four per tier; a tier includes those below.

Every strategy module has NAME, TIER, a docstring with its rule and thresholds, and a pure
plan(body, ctx=None) -> [Edit] that never mutates the body; edits.apply(body, edits) applies any
of them. When two strategies edit the same block, the one earlier in ORDER wins (engine.py).
"""
from relay.proxy.stages.prune.strategies import (
    billing_noise,
    duplicate_reminders,
    duplicate_snapshots,
    error_retry_loops,
    http_spam,
    mega_blocks,
    old_images,
    old_thinking,
    oversized_tool_output,
    pre_compaction,
    progress_ticks,
    stale_tool_results,
)

TIERS = ("gentle", "standard", "aggressive")
ORDER = (pre_compaction, progress_ticks, duplicate_snapshots, billing_noise,
         old_thinking, oversized_tool_output, stale_tool_results, duplicate_reminders,
         http_spam, error_retry_loops, mega_blocks, old_images)


def for_tier(tier):
    """The strategies a tier runs, in order; ValueError for an unknown tier."""
    if tier not in TIERS:
        raise ValueError(f"unknown pruning tier {tier!r}; known: {', '.join(TIERS)}")
    rank = TIERS.index(tier)
    return [s for s in ORDER if TIERS.index(s.TIER) <= rank]
