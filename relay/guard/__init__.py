"""Guard: four tiers (ok, notice, warn, critical) over two zones of live usage.

Zones:
  context  per session: the prompt of its latest exchange (input + cache writes + cache reads)
           over the model's context window, in percent
  quota    the larger of the 5h and 7d unified utilization of the latest response that carried
           them, in percent
A tier is reached when a value is at or above its threshold. Every change of tier, up or down,
is a transition: it gets an id (increasing within this relay process, whose `instance` names it),
is kept in a bounded in-memory ring, published on the bus as "guard/alert", and handed to the
hooks. `observe` is called once per finished exchange, after the client got the last byte; it
only does arithmetic on the exchange's own fields, so it costs microseconds.
"""
import itertools
import time
from collections import deque

from relay.costs.prices import claude_version, normalize
from relay.errors import ConfigError
from relay.store import queries

TIERS = ("ok", "notice", "warn", "critical")
ZONES = ("context", "quota")
QUOTA_WINDOWS = ("5h", "7d")
UNIFIED = "anthropic-ratelimit-unified-"
DEFAULT_WINDOW = 200_000
RING = 200
PRIME_S = 6 * 3600                  # how far back a starting relay or `relay guard` looks
SESSIONS = 500                      # sessions kept in memory; the least recently active go first


def context_window(model):
    """Tokens of the model's context window. Claude: 1M from the 4.6 generation on (Opus, Sonnet),
    for Haiku from 5.5 and for Fable/Mythos, 200k before unless Claude Code runs the 1M option (its
    `[1m]` suffix); Gemini 1.5+ and 2.x take 1M; GPT-5 400k."""
    name = (model or "").lower()
    if "[1m]" in name or name.endswith("-1m"):
        return 1_000_000
    version = claude_version(normalize(name))
    if version:
        family, major, minor = version
        first_1m = {"opus": (4, 6), "sonnet": (4, 6), "haiku": (5, 5)}.get(family, (0, 0))
        return 1_000_000 if (major, minor) >= first_1m else DEFAULT_WINDOW
    if name.startswith("gemini"):
        return 1_048_576
    if name.startswith("gpt-5"):
        return 400_000
    return DEFAULT_WINDOW


def tier(value, thresholds):
    """The highest tier whose threshold `value` reaches; thresholds are (notice, warn, critical)."""
    if value is None:
        return "ok"
    reached = [name for name, limit in zip(TIERS[1:], thresholds) if value >= limit]
    return reached[-1] if reached else "ok"


def thresholds_from(settings):
    """{zone: (notice, warn, critical)} from the guard_* settings; they must rise strictly."""
    out = {}
    for zone in ZONES:
        values = tuple(float(settings[f"guard_{zone}_{name}"]) for name in TIERS[1:])
        if not (0 < values[0] < values[1] < values[2]):
            raise ConfigError(f"guard_{zone}_* thresholds must rise strictly above 0, got {values}",
                              hint=f"for example RELAY_GUARD_{zone.upper()}_NOTICE=50, _WARN=75, _CRITICAL=90")
        out[zone] = values
    return out


def context_pct(exchange):
    usage = exchange.usage
    return context_fill(exchange.model,
                        usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens)


def context_fill(model, prompt):
    """(percent of `model`'s window that `prompt` tokens fill, the window), (None, 0) for none."""
    if not prompt:
        return None, 0
    window = context_window(model)
    return round(prompt * 100 / window, 2), window


def quota_pct(ratelimit):
    """(max utilization in percent, the window it came from), or (None, None) without headers."""
    best = (None, None)
    for window in QUOTA_WINDOWS:
        try:
            value = float(ratelimit[f"{UNIFIED}{window}-utilization"]) * 100
        except (KeyError, TypeError, ValueError):
            continue
        if best[0] is None or value > best[0]:
            best = (round(value, 2), window)
    return best


class Guard:
    def __init__(self, thresholds, bus=None, on_alert=None):
        self.thresholds = thresholds
        self.bus = bus
        self.on_alert = on_alert            # fn(alert), must not block (see relay.guard.hooks)
        import threading  # with uuid, ~5 ms that the status line (tiers only) does not load
        import uuid
        self.instance = uuid.uuid4().hex[:12]
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.alerts = deque(maxlen=RING)
        self.quota = {"tier": "ok", "value_pct": None, "window": None, "ts": None}
        self.sessions = {}                  # session id -> zone state, insertion order = recency

    def observe(self, exchange, quiet=False):
        """Update both zones from one finished exchange; returns the transitions it caused.
        quiet=True (priming from the database at start) records state but no alerts."""
        fired = []
        with self._lock:
            value, window = quota_pct(exchange.ratelimit or {})
            if value is not None:
                fired += self._move(self.quota, "quota", value, exchange, quiet, window=window)
            fill, size = context_pct(exchange)
            if fill is not None:
                key = exchange.session_id or "(none)"
                state = self.sessions.pop(key, None) or {"tier": "ok", "value_pct": None}
                self.sessions[key] = state
                state.update(model=exchange.model, context_window=size, tokens=round(fill * size / 100))
                fired += self._move(state, "context", fill, exchange, quiet, session_id=key)
                while len(self.sessions) > SESSIONS:
                    self.sessions.pop(next(iter(self.sessions)))
        for alert in fired:
            if self.bus is not None:
                self.bus.publish("guard/alert", alert)
            if self.on_alert is not None:
                self.on_alert(alert)
        return fired

    def _move(self, state, zone, value, exchange, quiet, **extra):
        new = tier(value, self.thresholds[zone])
        old = state["tier"]
        state.update(value_pct=value, tier=new, ts=exchange.ts, **extra)
        if new == old or quiet:
            return []
        rank = TIERS.index
        alert = {"id": next(self._ids), "instance": self.instance, "ts": time.time(), "zone": zone,
                 "from": old, "to": new, "direction": "up" if rank(new) > rank(old) else "down",
                 "value_pct": value, "threshold_pct": self._threshold(zone, new if rank(new) > rank(old) else old),
                 "session_id": extra.get("session_id"), "window": extra.get("window"),
                 "model": exchange.model, "exchange_id": exchange.id}
        self.alerts.append(alert)
        return [alert]

    def _threshold(self, zone, name):
        return None if name == "ok" else self.thresholds[zone][TIERS.index(name) - 1]

    def prime(self, exchanges):
        """Take the state of stored exchanges (oldest first) without raising alerts for it."""
        for exchange in exchanges:
            self.observe(exchange, quiet=True)
        return self

    def snapshot(self, after=None):
        """The current state of both zones and the alerts (those with id > after, if given)."""
        with self._lock:
            sessions = [{"session_id": k, **v} for k, v in reversed(self.sessions.items())]
            alerts = [a for a in self.alerts if after is None or a["id"] > after]
            return {"instance": self.instance, "quota": dict(self.quota), "sessions": sessions,
                    "alerts": alerts, "last_alert_id": self.alerts[-1]["id"] if self.alerts else 0,
                    "thresholds": {z: dict(zip(TIERS[1:], v)) for z, v in self.thresholds.items()}}


def from_rows(thresholds, exchanges):
    """A guard replayed over stored exchanges (oldest first), without alerts: what `relay guard`
    shows when no relay is running, and the live guard's starting state."""
    return Guard(thresholds).prime(exchanges)


REPLAY_NOTE = "replayed from the last {hours} h of stored exchanges, without alerts"


def replay(store, thresholds, now=None):
    """from_rows over the store's exchanges of the last PRIME_S seconds: the guard's state when no
    relay is running (`relay guard`, `relay top` on the database)."""
    since = (time.time() if now is None else now) - PRIME_S
    return from_rows(thresholds, store.read(lambda c: queries.list_finished(c, since=since)))
