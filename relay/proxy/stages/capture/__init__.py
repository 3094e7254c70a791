"""History capture at the proxy: each model request (Anthropic Messages, OpenAI Responses, Gemini,
Code Assist) and its reassembled response per session, compaction events and composition on the
wire, written by the store's writer.

  stage.py       HistoryStage and record_turn, the writer task that cuts, hashes, compresses and
                 records one exchange (owns the delta/full decision)
  compaction.py  which compaction signals one request shows (pure)
"""
from relay.proxy.stages.capture.stage import HistoryStage, record_turn

__all__ = ["HistoryStage", "record_turn"]
