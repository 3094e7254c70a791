"""Provider adapters: pure functions and small state machines, bytes in, events and usage out."""
