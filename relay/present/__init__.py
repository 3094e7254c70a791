"""View data for every output: the pages, the JSON API, SSE fragments, MCP, `relay top` and the CLI.

No Flask and no I/O of its own beyond reading the store through the services, so each output is a
thin shell over the same shapes and can never disagree with another. By domain:

  context.py        Context: what an output reads from (settings, store, bus, guard, running CLIs)
  exchanges.py      recorded requests, relay's health, pruning totals
  costs.py          cost reports, the price table, quota, cache / TTL / error rates
  reports.py        ccusage-compatible usage reports and 5-hour blocks
  guard.py          the guard's zones and alerts, turns with their zone
  history.py        captured turns and sessions replayed, composition pies
  orchestration.py  installed CLIs and delegations
  live.py           live session cards (/display/, the dashboard, `relay top`)
  dashboard.py      the dashboard's sections, gathered
Shaping functions are pure (rows in, dicts out); gathering functions take a Context.
"""
