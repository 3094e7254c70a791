"""Reads over captured history: sessions, turns, compositions, compaction events, and the exact
request body of any turn rebuilt from its blobs (see history_format for the cut)."""
import json

from relay.store import blobs
from relay.store.history_format import expand_glue, join
from relay.store.queries import last_turn as last_turn

_TURN_COLUMNS = ("turn", "exchange_id", "ts", "kind", "reason", "base_count", "message_count", "body_bytes",
                 "est_tokens", "measured_tokens", "cache_creation_tokens")


def message_hashes(conn, session_id, turn):
    """Every message hash of a turn: its last full snapshot, then each delta's additions."""
    rows = conn.execute("""
        SELECT kind, base_count, messages FROM history_turns
        WHERE session_id = ? AND turn <= ? AND turn >= COALESCE(
            (SELECT MAX(turn) FROM history_turns WHERE session_id = ? AND turn <= ? AND kind = 'full'), 0)
        ORDER BY turn""", (session_id, turn, session_id, turn)).fetchall()
    hashes: list[str] = []
    for row in rows:
        added = row["messages"].split(",") if row["messages"] else []
        hashes = added if row["kind"] == "full" else hashes[:row["base_count"]] + added
    return hashes


def _turn(conn, session_id, turn):
    row = conn.execute("SELECT * FROM history_turns WHERE session_id = ? AND turn = ?", (session_id, turn)).fetchone()
    if row is None:
        raise KeyError(f"{session_id}#{turn}")
    return row


def request_body(conn, session_id, turn):
    """The request body of a turn, exactly the bytes that were sent upstream."""
    row = _turn(conn, session_id, turn)
    frame = json.loads(blobs.get(conn, row["frame"]))
    values = [None if h is None else blobs.get(conn, h).decode("utf-8") for h in frame["values"]]
    texts = [blobs.get(conn, h).decode("utf-8") for h in message_hashes(conn, session_id, turn)]
    glue = expand_glue(json.loads(row["layout"]), len(texts))
    return join(frame["glue"], values, texts, glue).encode("utf-8")


def response(conn, session_id, turn):
    """The reassembled response of a turn (id, model, stop_reason, content, usage), or None."""
    row = _turn(conn, session_id, turn)
    return json.loads(blobs.get(conn, row["response"])) if row["response"] else None


def list_history_sessions(conn, limit=100):
    rows = conn.execute("""
        SELECT t.session_id, COUNT(*) AS turns, MIN(t.ts) AS first_ts, MAX(t.ts) AS last_ts,
               SUM(t.kind = 'full') AS full_snapshots,
               (SELECT COUNT(*) FROM history_compactions c WHERE c.session_id = t.session_id) AS compactions,
               MAX(t.est_tokens) AS max_est_tokens
        FROM history_turns t GROUP BY t.session_id ORDER BY last_ts DESC LIMIT ?""", (int(limit),))
    return [dict(r) for r in rows]


def has_session(conn, session_id):
    row = conn.execute("SELECT 1 FROM history_turns WHERE session_id = ? LIMIT 1", (session_id,)).fetchone()
    return row is not None


def list_turns(conn, session_id):
    rows = conn.execute(f"SELECT {', '.join(_TURN_COLUMNS)} FROM history_turns WHERE session_id = ? ORDER BY turn",
                        (session_id,))
    return [dict(r) for r in rows]


def list_compositions(conn, session_id):
    rows = conn.execute("SELECT turn, exchange_id, ts, composition FROM history_turns WHERE session_id = ? "
                        "ORDER BY turn", (session_id,))
    return [{"turn": r["turn"], "exchange_id": r["exchange_id"], "ts": r["ts"],
             "composition": json.loads(r["composition"]) if r["composition"] else None} for r in rows]


def list_compactions(conn, session_id):
    rows = conn.execute("SELECT * FROM history_compactions WHERE session_id = ? ORDER BY turn", (session_id,))
    return [dict(r, signals=r["signals"].split(",")) for r in rows]


def storage(conn):
    """Bytes history takes: blobs (compressed, and raw) and the turn rows' own text."""
    blob = conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0), COALESCE(SUM(size), 0) "
                        "FROM history_blobs").fetchone()
    rows = conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(frame) + LENGTH(COALESCE(layout, '')) + LENGTH(messages) "
                        "+ LENGTH(COALESCE(response, '')) + LENGTH(COALESCE(composition, '')) + 100), 0), "
                        "COALESCE(SUM(body_bytes), 0) FROM history_turns").fetchone()
    return {"blobs": blob[0], "blob_bytes": blob[1], "blob_raw_bytes": blob[2], "turns": rows[0],
            "turn_row_bytes": rows[1], "request_bytes": rows[2]}


def turn_usage(conn, session_id):
    """Per captured turn: its exchange's model, time and the cache figures the provider measured."""
    rows = conn.execute("""
        SELECT t.turn, t.exchange_id, t.ts, t.frame, e.model, e.input_tokens, e.output_tokens,
               e.cache_read_input_tokens, e.cache_creation_input_tokens, e.cache_creation_5m_input_tokens,
               e.cache_creation_1h_input_tokens
        FROM history_turns t LEFT JOIN exchanges e ON e.id = t.exchange_id
        WHERE t.session_id = ? ORDER BY t.turn""", (session_id,))
    return [dict(r) for r in rows]
