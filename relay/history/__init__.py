"""History capture at the proxy: each request and reassembled response per session, compaction
events and composition on the wire, written by the store's writer (see capture.py)."""
