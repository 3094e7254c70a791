"""Timestamps as the CLIs write them, parsed once for every reader (scan, reports, cost)."""
import re
from datetime import datetime, timezone

_FRACTION = re.compile(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$")


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
