"""Which CLI gets a task, and the fallback when it fails.

Strategies, each an ordering of the installed CLIs (the first is tried first, the rest are the
fallback chain):
  explicit      the named CLI only (with fallback: then the others in the default order)
  first         the default order: claude, codex, gemini
  cheapest      the least dollars spent today (local day) through relay, per CLI
  least_quota   the lowest measured quota utilization; CLIs without a measurement go last
  round_robin   the CLI after the one that last succeeded
Every attempt is recorded in the delegations table.
"""
import uuid

from relay import times
from relay.costs import cost, prices, quota
from relay.errors import RelayError
from relay.orch import delegate as runner
from relay.orch import discover
from relay.orch.clis import NAMES, for_model
from relay.store import delegation_queries
from relay.store.writes import record_delegation

STRATEGIES = ("explicit", "first", "cheapest", "least_quota", "round_robin")


def spend_today(store, now=None):
    """Dollars per CLI today (relay.times.start_of_day) from relay's proxy rows; unpriced usage counts as 0."""
    result = cost.report(store, prices.load(), since=times.start_of_day(now), by="model", files=False)
    spent = dict.fromkeys(NAMES, 0.0)
    for group in result["rows"]:
        cli = for_model(group["key"])
        if cli:
            spent[cli] += group["cost"] or 0.0
    return spent


def quota_used(store):
    """Highest measured utilization (%) per CLI; None where nothing was measured."""
    report = store.read(quota.report)
    used = dict.fromkeys(NAMES)
    for cli, block in (("claude", report["anthropic"]), ("codex", report["codex"]), ("gemini", report.get("gemini"))):
        values = [w["utilization_pct"] for w in (block or {}).get("windows", [])
                  if w.get("utilization_pct") is not None]
        used[cli] = max(values) if values else None
    return used


def order(strategy, installed, store=None, cli=None):
    """The installed CLIs in the order `strategy` tries them."""
    if strategy not in STRATEGIES:
        raise RelayError(f"unknown strategy {strategy!r}", hint=f"choose one of {', '.join(STRATEGIES)}", status=400)
    if strategy == "explicit":
        if not cli:
            raise RelayError("the explicit strategy needs a CLI", hint=f"name one of {', '.join(NAMES)}", status=400)
        discover.spec_for(cli)
        return [cli] + [n for n in installed if n != cli]
    if strategy == "first":
        return list(installed)
    if strategy == "cheapest":
        spent = spend_today(store)
        return sorted(installed, key=lambda n: spent[n])
    if strategy == "least_quota":
        used = quota_used(store)
        return sorted(installed, key=lambda n: (used[n] is None, used[n] or 0.0))
    last = store.read(delegation_queries.last_cli)
    if last not in installed:
        return list(installed)
    i = installed.index(last) + 1
    return installed[i:] + installed[:i]


def delegate(store, task, strategy=None, cli=None, cwd=None, timeout=runner.DEFAULT_TIMEOUT, fallback=True,
             environ=None):
    """Run `task` on the chosen CLI, falling back to the next on failure; every attempt is written
    to the store. Returns {task_id, strategy, status, cli, output, attempts[...]}."""
    strategy = strategy or ("explicit" if cli else "first")
    installed = discover.available(environ)
    chain = order(strategy, installed, store, cli)
    if strategy == "explicit" and cli not in installed:
        if not fallback:
            raise RelayError(f"{cli} is not installed (not on PATH)",
                             hint="install it, or drop --cli to let relay choose", status=400)
        chain = [n for n in chain if n != cli]
    if not fallback:
        chain = chain[:1]
    if not chain:
        raise RelayError("no AI coding CLI is installed (claude, codex, gemini)",
                         hint="install one and make sure it is on PATH", status=400)
    task_id, attempts = uuid.uuid4().hex, []
    for number, name in enumerate(chain, 1):
        result = runner.run(name, task, cwd=cwd, timeout=timeout, environ=environ)
        result.update(task_id=task_id, attempt=number, strategy=strategy)
        store.write(record_delegation({**result, "task": task[:4000]}))
        attempts.append(result)
        if result["status"] == "ok":
            break
    last = attempts[-1]
    return {"task_id": task_id, "strategy": strategy, "status": last["status"], "cli": last["cli"],
            "output": last["output"], "attempts": attempts}
