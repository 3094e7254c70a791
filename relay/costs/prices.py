"""Price lookup: the shipped table (relay.costs.price_table) plus the user's overrides.

`load()` reads `<data dir>/prices.toml` (or prices.json) when present; its models add to or
replace shipped rows whole. `PriceTable.lookup(model)` returns a `Price`, or None when nothing
matches: callers report such usage as "unpriced" and never count it as $0, because a silent
zero is how new models disappear from cost reports.

Matching, after normalizing provider prefixes (`anthropic/`, `models/`, Bedrock's
`us.anthropic.`) and suffixes (`[1m]`, `@date`, `:0`):
  1. overrides, then shipped rows: the exact id, else the longest id that prefixes the model at
     a `-` boundary (dates and variants: claude-sonnet-4-5-20250929, gemini-3-pro-preview);
  2. Claude ids are compared by family and version first, so claude-opus-4-7 is not taken for
     claude-opus-4; a version newer than any listed row takes the newest row of its family and
     is flagged `assumed`. An older, unlisted version stays unpriced.

Override file (USD per million tokens; omitted cache rates follow Anthropic's multipliers of
base input: 5m write 1.25x, 1h write 2x, read 0.1x):

    [models."my-model"]
    input = 2.0
    output = 8.0
    cache_read = 0.5          # optional, as are cache_write_5m and cache_write_1h
    [models."my-model".long]  # optional long-context tier
    threshold = 200000
    input = 4.0
    output = 12.0
"""
import os
from collections import namedtuple

from relay import datadir
from relay.costs import price_table
from relay.errors import ConfigError

KINDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
# Model ids are split by hand, not by regular expressions: the status line builds a price table and
# looks models up whenever it reads new exchanges, and `re` (with `enum`) is ~5 ms of that process.
# Claude ids come in two namings: claude-<family>-<major>[-<minor>] and claude-<major>[-<minor>]-<family>,
# each followed by `-...` or nothing, a minor being one or two digits.
_CLAUDE_NEW = ("opus", "sonnet", "haiku", "fable", "mythos")
_CLAUDE_OLD = ("opus", "sonnet", "haiku")


# Named tuples, not dataclasses: `relay statusline` prices the day with these, and the dataclass
# machinery (dataclasses, inspect, typing) is ~15 ms of that short process.
class Rates(namedtuple("Rates", KINDS)):
    """USD per million tokens of each kind."""
    __slots__ = ()

    def to_dict(self):
        return {k: getattr(self, k) for k in KINDS}


class Price(namedtuple("Price", "model provider base long threshold assumed source",
                       defaults=(None, None, False, "shipped"))):
    """model: the table id that matched; provider; base Rates; long: the Rates for the whole
    request once the prompt exceeds `threshold` (or None); assumed: a newer generation priced as
    its family's newest listed row; source: shipped or override."""
    __slots__ = ()

    def to_dict(self):
        return {"model": self.model, "provider": self.provider, **self.base.to_dict(),
                "long": {"threshold": self.threshold, **self.long.to_dict()} if self.long else None,
                "assumed": self.assumed, "source": self.source}


def _rates(row, where):
    try:
        inp = float(row["input"])
        out = float(row["output"])
        return Rates(inp, out, float(row.get("cache_write_5m", round(inp * price_table.ANTHROPIC_5M, 6))),
                     float(row.get("cache_write_1h", round(inp * price_table.ANTHROPIC_1H, 6))),
                     float(row.get("cache_read", round(inp * price_table.ANTHROPIC_READ, 6))))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"bad price for {where}: {exc}",
                          hint="each model needs numeric `input` and `output` (USD per million tokens)") from None


def _price(model, row, source):
    if not isinstance(row, dict):
        raise ConfigError(f"bad price for {model}: expected a table, got {row!r}")
    long = row.get("long")
    return Price(model=model, provider=str(row.get("provider", "custom")), base=_rates(row, model),
                 long=_rates(long, f"{model}.long") if long else None,
                 threshold=int(long.get("threshold", price_table.LONG_THRESHOLD)) if long else None,
                 assumed=bool(row.get("assumed", False)), source=source)


def normalize(model):
    """The bare model id: lower case, without routing prefixes or context/version suffixes."""
    name = (model or "").strip().lower()
    name = name.rsplit("/", 1)[-1]                      # anthropic/claude-..., models/gemini-...
    if "anthropic." in name:                            # Bedrock: us.anthropic.claude-...-v1:0
        name = name.split("anthropic.", 1)[1]
        head, dash, version = name.rpartition("-v")     # a trailing -v<digits>[:<digits>]
        number, colon, revision = version.partition(":")
        if dash and number.isdecimal() and (not colon or revision.isdecimal()):
            name = head
    if name.endswith("]"):                              # claude-sonnet-4-5[1m]
        start = name.find("[", name.rfind("\n") + 1)
        if start >= 0:
            name = name[:start]
    return name.split("@", 1)[0].split(":", 1)[0]       # Vertex @date, Bedrock :0


def _number_end(text, i):
    """Where the run of digits starting at `i` ends."""
    while i < len(text) and text[i].isdecimal():
        i += 1
    return i


def _ends_part(text, i):
    return i == len(text) or text[i] == "-" or text[i:] == "\n"    # `$` matches before a final newline


def _minor_end(text, i):
    """The end of a `-<one or two digits>` at `i` that ends a part, or None."""
    if text[i:i + 1] != "-":
        return None
    end = _number_end(text, i + 1)
    return end if 1 <= end - i - 1 <= 2 and _ends_part(text, end) else None


def _old_family(text, at):
    """The family named by `-<family>` at `at`, ending a part, or None."""
    if text[at:at + 1] == "-":
        for family in _CLAUDE_OLD:
            if text.startswith(family, at + 1) and _ends_part(text, at + 1 + len(family)):
                return family
    return None


def claude_version(name):
    """(family, major, minor) of a Claude id in either naming, or None."""
    if not name.startswith("claude-"):
        return None
    rest = name[len("claude-"):]
    family, dash, tail = rest.partition("-")
    if dash and family in _CLAUDE_NEW:                  # claude-opus-4-1-20250805
        major = _number_end(tail, 0)
        if major and _ends_part(tail, major):
            minor = _minor_end(tail, major)
            return family, int(tail[:major]), int(tail[major + 1:minor]) if minor else 0
    major = _number_end(rest, 0)                        # claude-3-5-sonnet-20241022
    if not major:
        return None
    minor = _minor_end(rest, major)
    for at in ([minor] if minor else []) + [major]:    # with a minor, else without (as the pattern backtracks)
        family = _old_family(rest, at)
        if family:
            return family, int(rest[:major]), int(rest[major + 1:at]) if at != major else 0
    return None


def _prefix(name, prices):
    best = None
    for key in prices:
        if (name == key or name.startswith(key + "-")) and (best is None or len(key) > len(best)):
            best = key
    return prices[best] if best else None


class PriceTable:
    def __init__(self, overrides=None, path=None):
        self.shipped = {k: _price(k, v, "shipped") for k, v in price_table.MODELS.items()}
        self.overrides = {k.lower(): _price(k.lower(), v, "override") for k, v in (overrides or {}).items()}
        self.path = path
        self.date = price_table.TABLE_DATE
        self.source = price_table.SOURCE
        self._claude = {}
        for key, price in self.shipped.items():
            version = claude_version(key)
            if version:
                self._claude[version] = price

    def lookup(self, model):
        """The Price for `model`, or None: unknown models are unpriced, never free."""
        name = normalize(model)
        if not name:
            return None
        found = _prefix(name, self.overrides)
        if found:
            return found
        version = claude_version(name)
        if version:
            return self._claude_price(version)
        return _prefix(name, self.shipped)

    def _claude_price(self, version):
        if version in self._claude:
            return self._claude[version]
        family = [v for v in self._claude if v[0] == version[0] and v[1:] <= version[1:]]
        if not family:
            return None
        newest = max(family)
        older = newest[1:] < version[1:]
        return self._claude[newest]._replace(assumed=True) if older else self._claude[newest]

    def rows(self):
        """Every model, overrides replacing shipped rows of the same id, sorted by provider and id."""
        merged = {**self.shipped, **self.overrides}
        return sorted(merged.values(), key=lambda p: (p.provider, p.model))


def override_path(environ=None):
    """prices.toml in the data dir, else prices.json; None when neither exists."""
    base = datadir.data_dir(environ)
    for name in ("prices.toml", "prices.json"):
        if os.path.isfile(os.path.join(base, name)):
            # Only here: pathlib loads re, fnmatch and urllib.parse, ~6 ms of a status line that
            # reads the database, where no override file is the usual case.
            from pathlib import Path
            return Path(base, name)
    return None


def _read_overrides(path):
    try:
        if path.suffix == ".json":
            import json
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            try:
                import tomllib
            except ImportError:   # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="fix or remove the file; see `relay prices -h`") from None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict):
        raise ConfigError(f"{path} has no [models] table", hint='write [models."<model id>"] with input and output')
    return models


def load(environ=None):
    """The shipped table with the user's overrides applied."""
    path = override_path(environ)
    return PriceTable(_read_overrides(path) if path else None, path)
