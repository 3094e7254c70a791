"""Fuzz for minutes what CI fuzzes for seconds: the session parsers (tests/sessions/test_parsers_fuzz.py)
and the provider stream parsers (tests/hardening/fuzz_props.py), property by property.

    python bench/fuzz.py                      # 3 minutes per property
    python bench/fuzz.py --seconds 20         # or RELAY_FUZZ_SECONDS=20
    python bench/fuzz.py --only reader        # properties whose name contains "reader"

Each property runs in rounds of --batch examples (fresh random seeds each round) until its time is
up. Printed per property: examples run, examples per second, and the first failure (hypothesis'
shrunk example) if any. Exit status 1 when a property failed. No sockets, no files written (parsers are pure).
"""
import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.hardening import fuzz_props as props  # noqa: E402


def _session_properties():
    """The session-parser properties of the CI suite, run through their undecorated bodies."""
    from hypothesis import strategies as st

    from tests.sessions import test_parsers_fuzz as sessions
    return {"session files mutated": (sessions.test_mutated_session_files_never_raise.hypothesis.inner_test,
                                      {"data": sessions.mutated(), "cut": st.floats(0, 1)}),
            "session random records": (sessions.test_random_records_never_raise.hypothesis.inner_test,
                                       {"lines": st.lists(sessions.records | st.binary(max_size=40), max_size=20)}),
            "session files through the index and store": (
                sessions.test_mutated_session_files_go_through_the_index_and_the_store.hypothesis.inner_test,
                {"data": sessions.mutated(), "cut": st.floats(0, 1)})}


def properties():
    found = {
        "sse decoder split-invariant": (props.decoder_split_invariant,
                                        {"data": props.arbitrary_bytes, "cuts": props.cut_points}),
        "reader arbitrary bytes": (props.reader_never_raises, {"data": props.arbitrary_bytes, "cuts": props.cut_points,
                                                               "content_type": props.content_types}),
        "reader hostile event shapes": (lambda data, cuts: props.reader_never_raises(data, cuts, "text/event-stream"),
                                        {"data": props.mutated_stream(), "cuts": props.cut_points}),
    }
    found.update(_session_properties())
    return found


def run(name, fn, strategies, seconds, batch):
    counted = {"n": 0}

    def body(**kwargs):
        counted["n"] += 1
        fn(**kwargs)
    test = settings(max_examples=batch, deadline=None, database=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))(given(**strategies)(body))
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            test()
        except Exception:  # noqa: BLE001 - the failure is the result
            elapsed = time.monotonic() - started
            print(f"FAIL {name}: after {counted['n']} examples in {elapsed:.0f}s")
            traceback.print_exc(limit=3)
            return False
    elapsed = time.monotonic() - started
    print(f"ok   {name}: {counted['n']} examples in {elapsed:.0f}s ({counted['n'] / elapsed:.0f}/s)", flush=True)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("RELAY_FUZZ_SECONDS", 180)))
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)
    results = [run(name, fn, strategies, args.seconds, args.batch)
               for name, (fn, strategies) in properties().items() if args.only in name]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
