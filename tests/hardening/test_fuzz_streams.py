"""Provider stream parsers under fuzz (seconds here; bench/fuzz.py runs the same for minutes)."""
import base64
import gzip
import json
import os

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fake_upstream import FakeUpstream
from tests.hardening import fuzz_props as props
from tests.relay_process import RelayProcess

FAST = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(data=props.arbitrary_bytes, cuts=props.cut_points)
def test_sse_decoder_is_split_invariant(data, cuts):
    props.decoder_split_invariant(data, cuts)


@FAST
@given(data=props.arbitrary_bytes, cuts=props.cut_points, content_type=props.content_types)
def test_reader_survives_arbitrary_bytes(data, cuts, content_type):
    props.reader_never_raises(data, cuts, content_type)


@FAST
@given(data=props.mutated_stream(), cuts=props.cut_points)
def test_reader_survives_hostile_event_shapes(data, cuts):
    props.reader_never_raises(data, cuts, "text/event-stream")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One fake upstream and one relay for all examples (a relay per example would take minutes).
    Module scope runs before the per-test isolation, so the temp homes are set here explicitly."""
    home = tmp_path_factory.mktemp("fuzz-live")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAY_")}
    env.update(HOME=str(home / "home"), RELAY_HOME=str(home / "relay-home"))
    server = FakeUpstream().start()
    process = RelayProcess(server.url, env=env).start()
    yield process
    process.stop()
    server.stop()


# A large event (2 MB, among the fuzzed chunks) and gzip: the side decoders' paths, which the
# byte-for-byte promise must hold on too.
BIG_EVENT = (b"event: content_block_delta\ndata: " + json.dumps(
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "y" * (2 << 20)}}).encode()
    + b"\n\n")


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(props.arbitrary_bytes | props.mutated_stream(), min_size=1, max_size=5),
       big=st.booleans(), gz=st.booleans(), cuts=props.cut_points)
def test_relay_passes_hostile_streams_byte_for_byte(live, chunks, big, gz, cuts):
    chunks = [c for c in chunks if c]
    if big:
        chunks.insert(len(chunks) // 2, BIG_EVENT)
    if gz:   # gzip the whole stream, cut where hypothesis says (a cut may fall inside the gzip header)
        packed = gzip.compress(b"".join(chunks))
        chunks = [c for c in props.splits(packed, cuts) if c]
    body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}],
                       "raw_gzip": gz, "raw_chunks": [base64.b64encode(c).decode() for c in chunks]}).encode()
    with requests.post(live.url + "/v1/messages", data=body, stream=True, timeout=30,
                       headers={"content-type": "application/json", "x-fake-scenario": "raw"}) as resp:
        got = b"".join(resp.raw.stream(65536, decode_content=False))
    assert resp.status_code == 200 and got == b"".join(chunks)
    assert requests.get(live.url + "/api/v1/health", timeout=10).json()["ok"] is True
