"""The cost model placed on the cache upstream measured (cost.Layout.use_measured, Memory.measure
through PruneStage.response) and the counterfactual billing split of savings.py."""
from relay.models import Exchange, Usage
from relay.proxy.stages.prune import savings
from relay.proxy.stages.prune.cost import Layout
from relay.proxy.stages.prune.stage import PruneStage
from tests.proxy.stages.prune import conversation
from tests.proxy.stages.prune.builders import raw


def test_measured_cache_places_the_boundary():
    body = conversation.requests()[10]
    inferred = Layout(body)
    assert inferred.cached > 0
    at = Layout(body)
    at.use_measured(sum(at.tokens[:inferred.cached + 1]), {})
    assert at.cached == inferred.cached and at.measured
    cold = Layout(body)
    cold.use_measured(0, {})
    assert cold.cached == -1      # nothing cached: no edit can break the cache
    # sticky edits took tokens out of the prefix upstream counted: the same measure reaches further
    shrunk = Layout(body)
    shrunk.use_measured(sum(at.tokens[:inferred.cached + 1]), {inferred.cached + 1: at.tokens[inferred.cached + 1]})
    assert shrunk.cached >= inferred.cached + 1


def _run(stage, usage_of):
    decisions = []
    for n, body in enumerate(conversation.requests()):
        exchange = Exchange(id=str(n), ts=0.0, provider="anthropic", method="POST", path="/v1/messages", status=200)
        stage.request(exchange, raw(body))
        decisions += [c["decision"] for c in exchange.changes]
        exchange.usage = usage_of(stage._pending[exchange.id][1])
        stage.response(exchange)
    assert not stage._pending
    return decisions


def test_a_cold_cache_as_upstream_reported_it_prices_no_edit_as_breaking_it():
    rows = []
    warm = _run(PruneStage("standard"), lambda a: Usage(cache_read_input_tokens=a.sent_tokens))
    stage = PruneStage("standard", submit=rows.append)
    cold = _run(stage, lambda a: Usage(input_tokens=a.sent_tokens))
    assert "skipped_cost" in warm and "skipped_cost" not in cold
    assert len(rows) == len(conversation.requests())
    memory = stage.sessions.get(conversation.SESSION)
    assert memory.cached == {"claude-opus-5-5": 0}


def test_counterfactual_reads_what_the_previous_unpruned_request_cached():
    first, second = conversation.requests()[:2]
    a, b = Layout(first), Layout(second)
    start = savings.counterfactual(a, None)
    assert start["cache_read"] == 0 and start["cache_write_5m"] == a.total - start["input"]
    split = savings.counterfactual(b, savings.signature(a))
    assert split["cache_read"] == sum(a.tokens[:a.last_bp + 1])
    assert sum(split.values()) == b.total
