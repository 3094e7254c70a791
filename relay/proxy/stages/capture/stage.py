"""History capture: the stage that hands each finished model call to the store's writer, and the
writer task that cuts, hashes, compresses and records it.

Four wire formats are captured (relay.sessions.wire reads them as one model): Anthropic Messages
(`/v1/messages`), OpenAI Responses (`/v1/responses` on the OpenAI mount, `/backend-api/codex/
responses` on the ChatGPT mount), Gemini (`:generateContent` / `:streamGenerateContent`) and
Code Assist (`/v1internal:generateContent` / `:streamGenerateContent`). The stored messages are
the body's own items (Responses `input`, Gemini `contents`), so a body rebuilds byte for byte;
the composition, the compaction signals and the response read them mapped onto Messages.
Gemini CLI's utility calls (the model router, the next-speaker and loop checks: a Gemini body
asking for a JSON schema in generationConfig) share the session id but not the conversation,
so they are kept in a history session of their own, `<session>:side`, and do not break the
conversation's deltas.

Owns the delta/full decision. A turn is a delta of the session's previous turn when it keeps
that turn's messages as its prefix, allowing the previous turn's last message to come back
changed (Claude Code moves its cache_control breakpoint to the newest message each request, so
that message is re-sent with the marker gone); otherwise it is a full snapshot: the session's
first turn, fewer messages than before (a compaction), an edit of an earlier message, or
`full_every` turns since the last snapshot (so a rebuild never walks a long chain).

The streaming path pays only for keeping references (the body bytes, the decoded content
events); everything else runs in the writer thread. Bodies that are not a JSON object with a
`messages` array (not a Messages request), or without the array of their format (a Responses
`input` given as one string), are not captured.
"""
import json
import logging

from relay.models import Exchange
from relay.proxy.providers import anthropic, code_assist, gemini, openai
from relay.proxy.stages.capture.compaction import signals as compaction_signals
from relay.sessions import wire
from relay.sessions.composition import compose_request
from relay.store import blobs
from relay.store.history_format import NotSplittable, compact_glue, split
from relay.store.history_queries import last_turn, message_hashes

log = logging.getLogger(__name__)
UNKNOWN_SESSION = "unknown"
# How many trailing messages of the previous turn may come back changed in a delta (see above).
CHANGED_TAIL = 1
SIDE_SUFFIX = ":side"
MODEL_CALLS = ("generateContent", "streamGenerateContent")
ASSEMBLE = {wire.ANTHROPIC: anthropic.assemble_content, wire.RESPONSES: openai.assemble_content,
            wire.GEMINI: gemini.assemble_content, wire.CODE_ASSIST: gemini.assemble_content}
_SCHEMA_KEYS = ("responseJsonSchema", "responseSchema")


def capture_format(path):
    """The wire format of a model call by its upstream path (see the module docstring); None for
    every other call (models lists, countTokens, the ChatGPT and Code Assist side endpoints)."""
    target = (path or "").split("?", 1)[0].rstrip("/")
    if target.endswith("/v1/messages"):
        return wire.ANTHROPIC
    if target.endswith("/responses"):
        return wire.RESPONSES
    if target.startswith("/v1internal"):
        return wire.CODE_ASSIST if code_assist.path_method(target) in MODEL_CALLS else None
    return wire.GEMINI if gemini.path_model(target)[1] in MODEL_CALLS else None


class HistoryStage:
    name = "history"
    captures = True

    def __init__(self, submit, full_every=50):
        self.submit, self.full_every = submit, full_every

    def response(self, exchange: Exchange) -> None:
        body = exchange.sent_body
        fmt = capture_format(exchange.path)
        if not body or exchange.method != "POST" or fmt is None or exchange.outcome != "ok":
            return
        self.submit(record_turn(exchange, body, exchange.content_parts, self.full_every, fmt))


def _common_prefix(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def decide(prev_hashes, hashes, turns_since_full, full_every):
    """(kind, reason, base_count) for a turn after one whose messages were prev_hashes."""
    if prev_hashes is None:
        return "full", "first", 0
    if len(hashes) < len(prev_hashes):
        return "full", "shrink", 0
    if turns_since_full >= full_every:
        return "full", "periodic", 0
    common = _common_prefix(prev_hashes, hashes)
    if common > 0 and common >= len(prev_hashes) - CHANGED_TAIL:
        return "delta", None, common
    return "full", "edit", 0


def _response_blob(exchange, parts, fmt):
    content = wire.response_blocks(fmt, ASSEMBLE[fmt](parts))
    return json.dumps({"id": exchange.message_id, "model": exchange.model, "stop_reason": exchange.stop_reason,
                       "content": content, "usage": exchange.usage.to_dict()},
                      ensure_ascii=False).encode("utf-8")


def _is_side_call(fmt, fields):
    if fmt not in (wire.GEMINI, wire.CODE_ASSIST):
        return False
    raw = fields.get("request.generationConfig" if fmt == wire.CODE_ASSIST else "generationConfig")
    try:
        config = json.loads(raw) if raw else None
    except ValueError:
        return False
    return isinstance(config, dict) and any(config.get(key) for key in _SCHEMA_KEYS)


def _parsed(fields, key):
    raw = fields.get(key)
    return json.loads(raw) if raw is not None else None


def record_turn(exchange, body, parts, full_every=50, fmt=wire.ANTHROPIC):
    """The writer task for one exchange (reads the previous turn in the same transaction)."""

    def task(conn):
        try:
            cut = split(body, wire.MESSAGES[fmt])
        except NotSplittable as exc:
            log.debug("exchange %s not captured: %s", exchange.id, exc)
            return
        fields = dict(zip(cut["keys"], cut["values"]))
        session_id = (exchange.session_id or UNKNOWN_SESSION) + (SIDE_SUFFIX if _is_side_call(fmt, fields) else "")
        texts = [raw.encode("utf-8") for _, raw in cut["messages"]]
        hashes = [blobs.digest(t) for t in texts]
        values = [None if v is None else blobs.put(conn, v.encode("utf-8")) for v in cut["values"]]
        frame = blobs.put(conn, json.dumps({"glue": cut["glue"], "values": values}, ensure_ascii=False).encode())
        prev = last_turn(conn, session_id)
        turn = prev["turn"] + 1 if prev else 0
        prev_hashes = message_hashes(conn, session_id, prev["turn"]) if prev else None
        since_full = 0
        if prev:
            last_full = conn.execute("SELECT MAX(turn) FROM history_turns WHERE session_id = ? AND kind = 'full'",
                                     (session_id,)).fetchone()[0]
            since_full = turn - (last_full or 0)
        kind, reason, base = decide(prev_hashes, hashes, since_full, full_every)
        for key, text in zip(hashes[base:], texts[base:]):
            blobs.put(conn, text, key)
        request = wire.as_messages(fmt, _parsed(fields, wire.SYSTEM[fmt]), _parsed(fields, wire.TOOLS[fmt]),
                                   [m for m, _ in cut["messages"]])
        messages = request["messages"]
        composition = compose_request(request)
        usage = exchange.usage
        measured = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
        response = blobs.put(conn, _response_blob(exchange, parts, fmt)) if parts is not None else None
        conn.execute("""INSERT INTO history_turns (session_id, turn, exchange_id, ts, kind, reason, base_count,
                        message_count, frame, layout, messages, response, body_bytes, est_tokens, measured_tokens,
                        cache_creation_tokens, composition)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                     (session_id, turn, exchange.id, exchange.ts, kind, reason, base, len(hashes), frame,
                      json.dumps(compact_glue(cut["message_glue"]), ensure_ascii=False), ",".join(hashes[base:]),
                      response, len(body), composition["total_tokens"], measured or None,
                      usage.cache_creation_input_tokens, json.dumps(composition)))
        before = prev_hashes or []
        found = compaction_signals(messages, hashes, prev_hashes, lambda i: json.loads(blobs.get(conn, before[i])))
        if found:
            _record_compaction(conn, session_id, turn, exchange, found, prev, len(hashes),
                               composition["total_tokens"], measured)
    return task


def _record_compaction(conn, session_id, turn, exchange, found, prev, count, est, measured):
    """One event per compaction. A compact request is the event's `before` (the history being
    summarised); the request after it that shrinks or carries the summary fills in `after` and
    the cache write it caused. A shrink or summary with no compact request before it takes the
    previous turn as `before` and itself as `after`."""
    cache_write = exchange.usage.cache_creation_input_tokens
    replaced = [s for s in found if s != "compact_request"]
    pending = conn.execute("""SELECT turn, signals FROM history_compactions WHERE session_id = ? AND turn = ?
                              AND tokens_after_est IS NULL""", (session_id, turn - 1)).fetchone()
    if replaced and pending is not None:
        conn.execute("""UPDATE history_compactions SET signals = ?, messages_after = ?, tokens_after_est = ?,
                        tokens_after_measured = ?, cache_write_after = ? WHERE session_id = ? AND turn = ?""",
                     (",".join([pending["signals"], *replaced]), count, est, measured or None, cache_write,
                      session_id, pending["turn"]))
        replaced = []
    if "compact_request" in found:
        conn.execute("""INSERT INTO history_compactions (session_id, turn, exchange_id, ts, signals, messages_before,
                        tokens_before_est, tokens_before_measured) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                     (session_id, turn, exchange.id, exchange.ts, "compact_request", count, est, measured or None))
    elif replaced:
        conn.execute("""INSERT INTO history_compactions (session_id, turn, exchange_id, ts, signals, messages_before,
                        messages_after, tokens_before_est, tokens_after_est, tokens_before_measured,
                        tokens_after_measured, cache_write_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                     (session_id, turn, exchange.id, exchange.ts, ",".join(replaced),
                      prev["message_count"] if prev else None, count, prev["est_tokens"] if prev else None, est,
                      prev["measured_tokens"] if prev else None, measured or None, cache_write))
