"""Content-addressed blobs for history capture: sha256 of the raw bytes -> zlib-compressed bytes.

`put` runs on the writer (inside its transaction) and compresses only bytes not stored yet;
`get` returns the raw bytes. Hashes are lower-case hex.
"""
import zlib


def digest(data):
    import hashlib  # ~5 ms that readers of history rows (the status line's window) never need
    return hashlib.sha256(data).hexdigest()


def put(conn, data, key=None):
    """Store data once; returns its hash. `key` skips rehashing when the caller has it."""
    key = key or digest(data)
    if conn.execute("SELECT 1 FROM history_blobs WHERE hash = ?", (key,)).fetchone() is None:
        conn.execute("INSERT INTO history_blobs (hash, size, data) VALUES (?, ?, ?)",
                     (key, len(data), zlib.compress(data, 6)))
    return key


def get(conn, key):
    row = conn.execute("SELECT data FROM history_blobs WHERE hash = ?", (key,)).fetchone()
    if row is None:
        raise KeyError(key)
    return zlib.decompress(row[0])
