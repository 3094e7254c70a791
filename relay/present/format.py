"""How numbers and times read on every page: thousands separators, compact token counts, and
times relative to now ("in 2 d 4 h", "5 min ago") whose absolute UTC time goes in a title."""
import time

from relay import times


def thousands(value):
    """12345 -> "12,345"; None -> "—"; floats keep up to two decimals."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def compact_number(value):
    """1234567 -> "1.2M", 950 -> "950": axis labels and tight cells."""
    if value is None:
        return "—"
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def duration(seconds):
    """The two largest units of a duration: "2 d 4 h", "3 h 5 min", "5 min", "40 s"."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def relative(ts, now=None):
    """"in 2 d 4 h" for a time ahead, "5 min ago" for one past, "now" within a second."""
    if ts is None:
        return "—"
    now = time.time() if now is None else now
    delta = ts - now
    if abs(delta) < 1:
        return "now"
    return f"in {duration(delta)}" if delta > 0 else f"{duration(delta)} ago"


def epoch(value):
    """Epoch seconds from a number or relay's ISO text, None when neither."""
    if value is None or isinstance(value, (int, float)):
        return value
    when = times.parse_time(str(value))
    return None if when is None else when.timestamp()
