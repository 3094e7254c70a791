"""The proxy's stages: what a stage is, and the stages relay runs, built from the settings.

A stage is any object with a `name`, a `captures` flag and some of these hooks, which
relay.proxy.pipeline.Pipeline calls in the order an exchange meets them:
  request(exchange, body) -> body      may rewrite the request body (pruning); every change is
                                       recorded by the stage on exchange.changes
  response_chunk(exchange, chunk)      observes a response chunk; it cannot change it: the client
                                       receives exactly what upstream sent
  response(exchange)                   the exchange finished (any outcome but unreachable)
  error(exchange, message)             upstream could not be reached
Every exchange gets `response` or `error`, never both. A stage with `captures = True` (history)
makes the handler keep a reference to the body sent upstream on exchange.sent_body and the
decoded response content events on exchange.content_parts, for its `response` hook to hand to
the store's writer. The hooks are optional, so Stage declares only the attributes every stage
has; the stages here do not inherit from it, they match it (the way mitmproxy's addons do).

  prune/      request pruning for the Anthropic Messages API and PruneStage, which runs it
  capture/    HistoryStage: each model call (Messages, Responses, Gemini, Code Assist), its
              compaction events and composition,
              written by the store's writer
"""
from typing import Protocol

from relay.proxy.stages.capture.stage import HistoryStage
from relay.proxy.stages.prune.stage import PruneStage


class Stage(Protocol):
    """What the pipeline needs of every stage; subclass it for a stage written on the spot."""
    name: str = "stage"
    captures: bool = False


def default_stages(prune="off", dry_run=False, force=False, history=False, submit=None,
                   full_every=50) -> list[Stage]:
    """The stages in their fixed order, from the settings; none by default, so that bodies pass
    byte-identical unless the user asked for pruning. History capture comes last so it records
    the body as sent upstream (after pruning); `submit` is the store's queue for its writes."""
    stages: list[Stage] = []
    if prune != "off":
        stages.append(PruneStage(prune, dry_run=dry_run, force=force, submit=submit))
    if history:
        stages.append(HistoryStage(submit, full_every=full_every))
    return stages
