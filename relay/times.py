"""Time, one way for every reader: timestamps as the CLIs write them, the one UTC ISO format relay
prints, the `--since` forms every command takes, and what "today" means.

Today is the user's local calendar day (midnight in the machine's time zone to now): the dashboard,
`relay top`, MCP's cost summary and the orchestrator's `cheapest` strategy all count from it.
`relay cost --by day` keys by the UTC date (utc_day); `relay report` keys by the calendar day of a
chosen zone (`--timezone`, the system zone by default, as ccusage does): `zone` names it and
`offset_pieces` gives its UTC offsets over a span, so SQL can group by that zone's day with
daylight saving time honoured.
"""
import os
from datetime import date, datetime, timedelta, timezone

from relay.errors import ConfigError

# Patterns as text, compiled on first use (see pattern), so that importing this module does not
# load re: the status line, drawn from its cached state, parses no time.
_FRACTION = r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$"
_RELATIVE = r"^\s*(\d+)\s*([mhdw])\s*$"
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_COMPACT_DAY = r"^\s*(\d{4})(\d{2})(\d{2})\s*$"
_ISO_DAY = r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$"
_COMPILED = {}


def pattern(text):
    """The compiled regular expression `text`, compiled once on first use: modules that the status
    line imports keep their patterns as text so that importing them does not load re."""
    found = _COMPILED.get(text)
    if found is None:
        import re
        found = _COMPILED[text] = re.compile(text)
    return found


def parse_time(text):
    """An ISO-8601 date or datetime (a trailing Z, any fraction digits) -> aware UTC, or None.
    A naive time is taken as UTC, never as local time."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    match = pattern(_FRACTION).match(value)
    if match:  # Python 3.10 accepts 3 or 6 fraction digits only
        fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
        value = f"{match.group(1)}.{fraction}{match.group(3)}"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def calendar_day(text):
    """`20261101` (ccusage's form) or `2026-11-01` -> a date; None for anything else."""
    match = pattern(_COMPACT_DAY).match(text or "") or pattern(_ISO_DAY).match(text or "")
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def parse_since(text, now=None, name="since", tz=timezone.utc, end=False):
    """`7d`, `24h`, `30m`, `2w`, a date (`20261101` or `2026-11-01`) or an ISO datetime -> aware
    UTC datetime. A date means its midnight in `tz` (UTC unless a report names a zone); with
    end=True (an --until) it means the end of that day, so the day is included."""
    now = now or datetime.now(timezone.utc)
    match = pattern(_RELATIVE).match(text or "")
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    day = calendar_day(text)
    if day is not None:
        return day_start(day + timedelta(days=1) if end else day, tz)
    when = parse_time(text)
    if when is None:
        raise ConfigError(f"--{name} {text!r} is neither a duration nor a date",
                          hint=f"use e.g. --{name} 7d, --{name} 24h, --{name} 20261101 or --{name} 2026-11-01")
    return when


def day_start(day, tz):
    """Midnight starting `day` in zone `tz` as an aware UTC datetime (DST-correct: a zone whose
    clocks jump at midnight starts the day at its first existing instant)."""
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(timezone.utc)


def zone(name=None):
    """The zone `--timezone` names: an IANA name (`Europe/Berlin`), `UTC`, or None/`local` for the
    system zone (TZ, else /etc/localtime, as ccusage's runtime reads it). A ConfigError names a
    zone that does not exist."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # ~4 ms that the status line, on local time only, skips
    if name and name.lower() not in ("local", "system"):
        if name.upper() in ("UTC", "Z", "GMT"):
            return ZoneInfo("UTC")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"--timezone {name!r} is not a known time zone",
                              hint="use an IANA name such as UTC, Europe/Berlin or America/New_York") from None
    return system_zone()


def system_zone():
    """The machine's zone with its DST rules; a fixed offset only when no rule file is readable."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    env = (os.environ.get("TZ") or "").lstrip(":")
    if env:
        try:
            return ZoneInfo(env) if not env.startswith("/") else _zone_file(env)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    try:
        return _zone_file("/etc/localtime")
    except (OSError, ValueError):
        return datetime.now().astimezone().tzinfo


def _zone_file(path):
    real = os.path.realpath(path)
    key = real.split("zoneinfo/", 1)[1] if "zoneinfo/" in real else "localtime"
    from zoneinfo import ZoneInfo
    with open(path, "rb") as handle:
        return ZoneInfo.from_file(handle, key=key)


def zone_name(tz):
    return getattr(tz, "key", None) or str(tz)


def offset_pieces(tz, lo, hi):
    """[(from_ts, utc_offset_s), ...]: the zone's UTC offset from each `from_ts` on, covering
    epoch seconds lo..hi. Offsets are sampled every 6 hours (no zone changes twice within that)
    and each change is bisected to the second, so a row is placed by its exact offset."""
    def offset(ts):
        return int(datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())

    lo, hi = int(lo), int(hi)
    pieces = [(lo, offset(lo))]
    step = 6 * 3600
    prev = lo
    for probe in range(lo + step, hi + step, step):
        value = offset(probe)
        if value != pieces[-1][1]:
            left, right = prev, probe          # offset(left) is the old one, offset(right) the new
            while right - left > 1:
                mid = (left + right) // 2
                left, right = (mid, right) if offset(mid) == pieces[-1][1] else (left, mid)
            pieces.append((right, value))
        prev = probe
    return pieces


def zone_day(ts, tz):
    """Epoch seconds -> the `2026-11-23` date in zone `tz`."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d")


def zone_clock(ts, tz, fmt="%H:%M %Z"):
    """Epoch seconds -> wall-clock text in zone `tz` (`14:05 CET`)."""
    return datetime.fromtimestamp(ts, tz).strftime(fmt)


WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def week_start(day_text, start_of_week="sunday"):
    """`2026-11-04` -> the date its week starts (`2026-11-01` for weeks from Sunday), ccusage's key."""
    day = date.fromisoformat(day_text)
    first = WEEKDAYS.index(start_of_week)
    weekday = (day.weekday() + 1) % 7          # Sunday = 0, as WEEKDAYS
    return (day - timedelta(days=(weekday - first) % 7)).isoformat()


def since_ts(text, now=None, name="since", end=False, tz=timezone.utc):
    """parse_since as epoch seconds, with `today` for the start of the local day (with end=True,
    now: an `--until today` takes everything)."""
    if text == "today":
        return (now or datetime.now(timezone.utc)).timestamp() if end else start_of_day(
            now.timestamp() if now else None)
    return parse_since(text, now, name=name, tz=tz, end=end).timestamp()


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
