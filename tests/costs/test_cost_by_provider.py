"""`by=provider` puts proxy rows and session-file records of one provider in one group."""
import pytest

from relay.costs.cost import summarize
from relay.costs.prices import PriceTable
from relay.costs.sources import Item
from relay.models import Usage


def test_cost_by_provider_groups_api_and_cli_names_together():
    usage = Usage(input_tokens=100_000)   # under the 200k long-context threshold
    items = [Item("proxy", 1.0, "claude-sonnet-4-5", usage, "m1", provider="anthropic"),
             Item("file", 2.0, "claude-sonnet-4-5", usage, "m2", provider="claude"),
             Item("proxy", 3.0, "gpt-5-codex", usage, "r1", provider="openai"),
             Item("file", 4.0, "gpt-5-codex", usage, "r2", provider="codex"),
             Item("proxy", 5.0, "gemini-2.5-pro", usage, "g1", provider="gemini")]
    rows = {r["key"]: r for r in summarize(items, PriceTable(), by="provider")["rows"]}
    assert {k: r["requests"] for k, r in rows.items()} == {"anthropic": 2, "openai": 2, "gemini": 1}
    assert rows["anthropic"]["cost"] == pytest.approx(0.6)      # 2 x 100k input at $3 per million
    assert rows["openai"]["cost"] == pytest.approx(0.25)        # 2 x 100k input at $1.25
    assert rows["gemini"]["cost"] == pytest.approx(0.125)
