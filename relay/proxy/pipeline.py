"""The stage pipeline: hooks a stage may implement, and the isolation around each call.

Hooks, in the order an exchange meets them:
  request(exchange, body) -> body      may rewrite the request body (pruning); every change is
                                       recorded by the stage on exchange.changes
  response_chunk(exchange, chunk)      observes a response chunk; it cannot change it: the client
                                       receives exactly what upstream sent
  response(exchange)                   the exchange finished (any outcome but unreachable)
  error(exchange, message)             upstream could not be reached
A stage with `captures = True` (history) makes the handler keep a reference to the body sent
upstream on exchange.sent_body and the decoded response content events on
exchange.content_parts, for its `response` hook to hand to the store's writer.
Every exchange gets `response` or `error`, never both. A stage that raises is logged with the
exchange id and skipped; the client's request goes on with the body as it was before that stage.
"""
import logging

log = logging.getLogger("relay.pipeline")
HOOKS = ("request", "response_chunk", "response", "error")


class Stage:
    """Base for stages: name, tier (gentle, standard, aggressive) and only the hooks needed."""
    name = "stage"
    tier = "gentle"
    captures = False


def default_stages(prune="off", dry_run=False, force=False, history=False, submit=None, full_every=50):
    """The stages in their fixed order, from the settings; none by default, so that bodies pass
    byte-identical unless the user asked for pruning. History capture comes last so it records
    the body as sent upstream (after pruning); `submit` is the store's queue for its writes."""
    stages = []
    if prune != "off":
        from relay.proxy.stages.prune import PruneStage
        stages.append(PruneStage(prune, dry_run=dry_run, force=force))
    if history:
        from relay.history.capture import HistoryStage
        stages.append(HistoryStage(submit, full_every=full_every))
    return stages


class Pipeline:
    def __init__(self, stages=()):
        self.stages = list(stages)
        self.failures = 0
        self.captures = any(getattr(s, "captures", False) for s in self.stages)
        self._hooks = {hook: [s for s in self.stages if callable(getattr(s, hook, None))] for hook in HOOKS}

    def has(self, hook):
        return bool(self._hooks[hook])

    def request(self, exchange, body):
        for stage in self._hooks["request"]:
            result = self._safe(stage, "request", exchange, body)
            if isinstance(result, (bytes, bytearray)):
                body = bytes(result)
        return body

    def response_chunk(self, exchange, chunk):
        for stage in self._hooks["response_chunk"]:
            self._safe(stage, "response_chunk", exchange, chunk)

    def response(self, exchange):
        for stage in self._hooks["response"]:
            self._safe(stage, "response", exchange)

    def error(self, exchange, message):
        for stage in self._hooks["error"]:
            self._safe(stage, "error", exchange, message)

    def _safe(self, stage, hook, exchange, *args):
        try:
            return getattr(stage, hook)(exchange, *args)
        except Exception:
            self.failures += 1
            log.exception("stage %s failed in %s for exchange %s; skipped", stage.name, hook, exchange.id)
            return None
