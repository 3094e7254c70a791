"""Time, one way for every reader: timestamps as the CLIs write them, the one UTC ISO format relay
prints, the `--since` forms every command takes, and what "today" means.

Today is the user's local calendar day (midnight in the machine's time zone to now): the dashboard,
`relay top`, MCP's cost summary and the orchestrator's `cheapest` strategy all count from it.
Reports keyed by date (`relay report daily`, `relay cost --by day`) use the UTC date (utc_day).
"""
import re
from datetime import datetime, timedelta, timezone

from relay.errors import ConfigError

_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$")
_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text):
    """An ISO-8601 date or datetime (a trailing Z, any fraction digits) -> aware UTC, or None.
    A naive time is taken as UTC, never as local time."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = _FRACTION.match(value)
    if match:  # Python 3.10 accepts 3 or 6 fraction digits only
        fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
        value = f"{match.group(1)}.{fraction}{match.group(3)}"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def parse_since(text, now=None):
    """`7d`, `24h`, `30m`, `2w`, a date `2026-11-01` or an ISO datetime -> aware UTC datetime."""
    now = now or datetime.now(timezone.utc)
    match = _RELATIVE.match(text or "")
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    when = parse_time(text)
    if when is None:
        raise ConfigError(f"--since {text!r} is neither a duration nor a date",
                          hint="use e.g. --since 7d, --since 24h or --since 2026-11-01")
    return when


def since_ts(text, now=None):
    """parse_since as epoch seconds, with `today` for the start of the local day."""
    if text == "today":
        return start_of_day(now.timestamp() if now else None)
    return parse_since(text, now).timestamp()


def start_of_day(now=None):
    """Epoch seconds of the last local midnight at or before `now` (default: the current time)."""
    when = datetime.now() if now is None else datetime.fromtimestamp(now)
    return when.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def iso(ts):
    """Epoch seconds -> `2026-11-23T14:05:09Z` (UTC, whole seconds); None stays None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_ms(ts):
    """Epoch seconds -> `2026-11-23T14:05:09.123Z`: ccusage's JSON times carry milliseconds."""
    when = datetime.fromtimestamp(ts, timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def utc_day(ts):
    """Epoch seconds -> the UTC date `2026-11-23` that date-keyed reports group by."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def local_clock(ts, fmt="%Y-%m-%d %H:%M:%S"):
    """Epoch seconds -> `2026-11-23 15:05:09` (or `fmt`) in the machine's zone, for people reading."""
    return datetime.fromtimestamp(ts).astimezone().strftime(fmt)
