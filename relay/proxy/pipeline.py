"""The stage pipeline: runs the hooks of the stages it is given, with isolation around each call.

It knows no stage: relay.proxy.stages documents the hooks and builds the stages from the
settings (default_stages), and whoever builds the pipeline hands them in. A stage that raises is
logged with the exchange id and skipped; the client's request goes on with the body as it was
before that stage.
"""
import logging

log = logging.getLogger(__name__)
HOOKS = ("request", "response_chunk", "response", "error")


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
