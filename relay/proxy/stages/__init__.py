"""Pruning stages, one module each, listed in ALL in pipeline order (issue 4 adds them)."""
ALL = []
