"""Bounded work per byte and bounded memory on the side copy, at CI size (bench/faults.py runs
the same at full size: 50 MB events, a 1 GB gzip bomb): a large SSE event is relayed and read,
and a gzip bomb from upstream is relayed byte for byte while relay stops reading its copy at the
side_decode_limit_mb setting (1 MB here) and says so on the row."""
import os

import pytest
import requests

from relay.proxy.side_decode import PIECE, SideDecoder, SideLimit
from tests.proxy.conftest import messages_body, wait_rows
from tests.proxy.test_faults import post
from tests.relay_process import RelayProcess


def _peak_rss(pid):
    """The process's peak resident memory in bytes (VmHWM): a spike that was freed still counts."""
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))


def test_side_decoder_hands_out_bounded_pieces_and_stops_at_its_limit():
    import zlib
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(b"\0" * (64 << 20)) + packer.flush()   # 64 MB from ~64 KB
    decoder = SideDecoder.for_coding("gzip", limit=8 << 20)
    seen = []
    with pytest.raises(SideLimit, match="usage unknown"):
        for piece in decoder.feed(bomb):
            seen.append(len(piece))
    assert max(seen) <= PIECE and sum(seen) <= 8 << 20
    assert SideDecoder.for_coding("identity", 1) is None and SideDecoder.for_coding("zstd", 1) is None
    whole = SideDecoder.for_coding("deflate", limit=1 << 30)
    assert b"".join(whole.feed(zlib.compress(b"abc" * 100000))) == b"abc" * 100000


@pytest.fixture
def capped(upstream):
    process = RelayProcess(upstream.url, env={**os.environ, "RELAY_SIDE_DECODE_LIMIT_MB": "1"}).start()
    yield process
    process.stop()


def test_gzip_bomb_is_relayed_untouched_and_not_read_past_the_limit(capped, upstream):
    before = _peak_rss(capped.proc.pid)
    with post(capped, messages_body(), scenario="bomb-300", stream=True) as resp:
        got = b"".join(resp.raw.stream(65536, decode_content=False))
    assert resp.status_code == 200 and resp.headers["content-encoding"] == "gzip"
    assert got == upstream.bomb and len(got) < 1 << 20   # 300 MB once decoded
    [row] = wait_rows(capped.url, 1)
    assert row["outcome"] == "ok" and "usage unknown" in row["error"] and row["output_tokens"] == 0
    # the copy was decoded a piece at a time: relay never held the 300 MB
    assert _peak_rss(capped.proc.pid) - before < 64 << 20
    # a small gzip answer under the limit is still read
    assert post(capped, messages_body(stream=False), scenario="gzip").status_code == 200
    rows = wait_rows(capped.url, 2)
    assert any(r["output_tokens"] == 7 and r["error"] is None for r in rows)


def test_a_large_event_is_relayed_and_read(relay, upstream):
    with post(relay, messages_body(), scenario="huge-event-5", stream=True) as resp:
        got = b"".join(resp.raw.stream(65536, decode_content=False))
    assert resp.status_code == 200 and len(got) > 5 << 20 and got.endswith(b'{"type":"message_stop"}\n\n')
    [row] = wait_rows(relay.url, 1)
    assert row["outcome"] == "ok" and row["output_tokens"] == 7 and row["error"] is None
    assert requests.get(relay.url + "/api/v1/health", timeout=10).json()["ok"] is True
