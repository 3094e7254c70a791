"""Request stages, listed in ALL in pipeline order; default_stages() picks them by name.

The pruning stages, one per tier ('prune-gentle', 'prune-standard', 'prune-aggressive'), each run
the twelve-strategy engine of relay/proxy/prune up to their tier; enable one, not several.
"""
from relay.proxy.stages.prune import TIER_STAGES

ALL = list(TIER_STAGES)
