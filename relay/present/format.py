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


# --locale of the reports: separators and date order by language (region where it differs), so
# relay needs no locale data installed. The default, en-CA as ccusage's, reads 1,234.56 and
# 2026-11-23.
_SEPARATORS = {"de": (".", ","), "es": (".", ","), "it": (".", ","), "nl": (".", ","), "pt": (".", ","),
               "da": (".", ","), "id": (".", ","), "tr": (".", ","), "fr": ("\u202f", ","), "ru": ("\u00a0", ","),
               "sv": ("\u00a0", ","), "pl": ("\u00a0", ","), "cs": ("\u00a0", ","), "fi": ("\u00a0", ","),
               "nb": ("\u00a0", ","), "uk": ("\u00a0", ","), "de-ch": ("’", ".")}
_DATES = {"en-us": "%m/%d/%Y", "en-gb": "%d/%m/%Y", "en-au": "%d/%m/%Y", "fr": "%d/%m/%Y", "es": "%d/%m/%Y",
          "it": "%d/%m/%Y", "pt": "%d/%m/%Y", "de": "%d.%m.%Y", "ru": "%d.%m.%Y", "pl": "%d.%m.%Y",
          "cs": "%d.%m.%Y", "fi": "%d.%m.%Y", "nb": "%d.%m.%Y", "tr": "%d.%m.%Y", "uk": "%d.%m.%Y",
          "nl": "%d-%m-%Y", "da": "%d.%m.%Y"}


def _pick(table, locale, default):
    tag = (locale or "").replace("_", "-").lower()
    return table.get(tag) or table.get(tag.split("-")[0]) or default


def number(value, locale=None, decimals=0):
    """12345.6 -> "12,346" (en), "12.346" (de), "12 346" (fr): thousands and decimal separators of `locale`."""
    thousands_sep, decimal_sep = _pick(_SEPARATORS, locale, (",", "."))
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal_sep).replace("\0", thousands_sep)


def money(value, locale=None):
    """Dollars with two decimals in `locale`'s separators: "$1,234.50", "$1.234,50"."""
    return "$" + number(value, locale, 2)


def calendar(day_text, locale=None):
    """`2026-11-23` (or `2026-11`, a month) in `locale`'s date order; ISO order by default."""
    fmt = _pick(_DATES, locale, None)
    if fmt is None or len(day_text) != 10:
        return day_text
    return time.strftime(fmt, time.strptime(day_text, "%Y-%m-%d"))


def reset_in(ts, now=None):
    """A quota reset read from now: "in 3 h 5 min" today, "in 2 d 4 h (Wed 25 Nov)" on another
    local day, so a reset never reads as a time already past."""
    if ts is None:
        return "—"
    now = time.time() if now is None else now
    text = relative(ts, now)
    if times.local_clock(ts, "%Y-%m-%d") != times.local_clock(now, "%Y-%m-%d"):
        text += f" ({times.local_clock(ts, '%a %d %b')})"
    return text
