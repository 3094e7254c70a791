"""Dollar cost of token usage, per response and summed by model, provider, session, project or day.

Cache writes are priced from the 5m/1h split: a 1-hour write costs 2x base input, a 5-minute
write 1.25x. Only the part of the lump `cache_creation_input_tokens` that the split does not
cover (all of it, for clients that send no split) is priced at the 5m rate, and the result is
flagged `estimated_ttl`, because that rate under-prices 1-hour writes. A request whose prompt
(input + cache writes + cache reads) exceeds the model's long-context threshold is priced
wholly at the long rates, as the providers bill it. Usage of a model missing from the price
table is counted as unpriced: its tokens are reported, its cost is None, never 0.
"""
from collections import defaultdict

from relay import times
from relay.costs import prices, sources
from relay.costs.prices import KINDS
from relay.costs.today import PER_TOKEN
from relay.errors import ConfigError

GROUPINGS = ("model", "provider", "session", "project", "day")
# Session files name the CLI, proxy rows the API; `by="provider"` groups both under the API's name.
_API_OF_CLI = {"claude": "anthropic", "codex": "openai"}


def token_kinds(usage):
    """(tokens per price kind, estimated_ttl): the lump's unsplit rest goes to the 5m kind."""
    split = usage.cache_creation_5m_input_tokens + usage.cache_creation_1h_input_tokens
    rest = max(usage.cache_creation_input_tokens - split, 0)
    return {"input": usage.input_tokens, "output": usage.output_tokens,
            "cache_write_5m": usage.cache_creation_5m_input_tokens + rest,
            "cache_write_1h": usage.cache_creation_1h_input_tokens,
            "cache_read": usage.cache_read_input_tokens}, rest > 0


def cost_of(usage, price):
    """{"tokens", "dollars" (per kind), "total", "long_context", "estimated_ttl"} of one response."""
    tokens, unsplit = token_kinds(usage)
    prompt = tokens["input"] + tokens["cache_write_5m"] + tokens["cache_write_1h"] + tokens["cache_read"]
    long = price.long is not None and prompt > price.threshold
    rates = price.long if long else price.base
    dollars = {k: tokens[k] * getattr(rates, k) / PER_TOKEN for k in KINDS}
    # A lump priced at 5m is only a guess where the two TTLs cost differently (Anthropic).
    estimated = unsplit and rates.cache_write_5m != rates.cache_write_1h
    return {"tokens": tokens, "dollars": dollars, "total": sum(dollars.values()), "long_context": long,
            "estimated_ttl": estimated}


def _key(item, by):
    if by == "model":
        return item.model or "(unknown)"
    if by == "provider":
        return _API_OF_CLI.get(item.provider, item.provider) or "(unknown)"
    if by == "session":
        return item.session_id or "(none)"
    if by == "project":
        return item.project or "(none)"
    return times.utc_day(item.ts)


def _empty_group(key):
    return {"key": key, "requests": 0, "cost": None, "tokens": dict.fromkeys(KINDS, 0),
            "dollars": dict.fromkeys(KINDS, 0.0), "unpriced_requests": 0, "estimated_ttl_requests": 0,
            "long_context_requests": 0, "models": set()}


def _add(group, item, priced):
    group["requests"] += 1
    group["models"].add(item.model or "(unknown)")
    if priced is None:
        tokens, _ = token_kinds(item.usage)
        group["unpriced_requests"] += 1
    else:
        tokens = priced["tokens"]
        group["cost"] = (group["cost"] or 0.0) + priced["total"]
        for kind in KINDS:
            group["dollars"][kind] += priced["dollars"][kind]
        group["estimated_ttl_requests"] += priced["estimated_ttl"]
        group["long_context_requests"] += priced["long_context"]
    for kind in KINDS:
        group["tokens"][kind] += tokens[kind]


def summarize(items, table, by="model"):
    """Groups by `by` (model, session, project, day) plus a total and the unpriced models.
    A group's cost is None when none of its usage could be priced."""
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS}")
    groups, total, unpriced = {}, _empty_group("total"), defaultdict(lambda: {"requests": 0, "tokens": 0})
    for item in items:
        price = table.lookup(item.model)
        priced = cost_of(item.usage, price) if price else None
        if priced is None:
            entry = unpriced[item.model or "(unknown)"]
            entry["requests"] += 1
            entry["tokens"] += item.usage.total
        key = _key(item, by)
        _add(groups.setdefault(key, _empty_group(key)), item, priced)
        _add(total, item, priced)
        if by == "model" and price:
            groups[key]["priced_as"], groups[key]["assumed"] = price.model, price.assumed
    rows = list(groups.values())
    if by == "day":
        rows.sort(key=lambda g: g["key"])
    else:
        rows.sort(key=lambda g: (g["cost"] is None, -(g["cost"] or 0.0), g["key"]))
    if not total["requests"]:
        total["cost"] = 0.0          # nothing was used; None is kept for "used but unpriced"
    for group in rows + [total]:
        group["models"] = sorted(group["models"])
    return {"rows": rows, "total": total,
            "unpriced": [{"model": m, **v} for m, v in sorted(unpriced.items())]}


def report(store, table, since=None, by="model", environ=None, files=True, proxy=True, workers=None, until=None):
    """Cost of everything relay saw since `since` and before `until` (epoch seconds): proxy rows
    unless proxy=False and, unless files=False, session files (through the session index,
    updated first with up to `workers` processes), deduplicated by message id."""
    from_proxy = sources.proxy_items(store, since) if proxy else []
    from_files = sources.file_items(store, since, environ=environ, workers=workers) if files else []
    if until is not None:
        from_proxy = [i for i in from_proxy if i.ts < until]
        from_files = [i for i in from_files if i.ts < until]
    items, dropped = sources.dedupe(from_proxy + from_files)
    result = summarize(items, table, by)
    result.update(by=by, since=since, until=until, currency="USD", table_date=table.date,
                  overrides=str(table.path) if table.path else None,
                  sources={"proxy": len(from_proxy), "file": len(from_files), "deduplicated": dropped})
    return result


def query(store, since="7d", by="model", table=None, until=None, **options):
    """report() for a reader's raw arguments: `since` and `until` as every command takes them (7d,
    24h, 20261101, a date, an ISO time, `today`; a date as `until` includes that day) and `by`
    checked against GROUPINGS. The CLI, the API and MCP all call this."""
    if by not in GROUPINGS:
        raise ConfigError(f"by must be one of {', '.join(GROUPINGS)}, got {by!r}")
    return report(store, table or prices.load(), since=times.since_ts(since), by=by,
                  until=None if not until else times.since_ts(until, name="until", end=True), **options)
