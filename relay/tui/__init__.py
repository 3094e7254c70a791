"""Terminal views: `relay top` (a rich Live screen over relay.tui.feed snapshots)."""
