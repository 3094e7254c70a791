"""What every output reads its view data from, built by whoever runs the output: the Flask app for
the pages and API, `relay top` on the database, tests."""
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Context:
    settings: Any
    store: Any
    bus: Any = None
    upstream: Any = None
    pipeline: Any = None
    started_at: float = field(default_factory=time.time)
    proxy: Any = None
    guard: Any = None               # the live relay.guard.Guard; None outside a serving relay
    cli_cache: Any = None           # relay.orch.discover.Cache, made on first use
    # () -> the running CLI sessions (relay.sessions.alive entries). A serving relay passes its
    # off-loop cache with registered terminals; None means "scan now" (relay top, tests).
    running: Callable[[], list] | None = None
    # offload(fn) -> fn(): how a serving relay keeps heavy reads off its serving loop (relay.web.offload);
    # None runs them inline.
    offload: Callable[[Callable[[], Any]], Any] | None = None
    started_mono: float = field(default_factory=time.monotonic)   # for durations (uptime)
    telemetry: Any = None           # the OTLP feed (relay.web.otlp.Feed) when otlp_endpoint is set
