"""A damaged relay.db (random bytes, or a database whose pages were overwritten) gets a message
that says so and a hint pointing at `relay doctor`, which names the fault; never a traceback, and
no hint about a writable RELAY_HOME that would send the user the wrong way."""
import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.run_relay import assert_clean_error, run_relay


def _not_a_database(path):
    path.write_bytes(os.urandom(3) + b"relay" * 4000)


def _malformed(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    data[100:108] = b"\0" * 8                 # the root page's header
    data[8192:8392] = b"\xff" * 200
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_not_a_database, _malformed])
def test_damaged_database_says_so_and_points_at_doctor(damage):
    home = Path(os.environ["RELAY_HOME"])
    home.mkdir(parents=True)
    damage(home / "relay.db")
    done = run_relay("cost")
    assert_clean_error(done, f"relay's database {home / 'relay.db'} is damaged")
    assert "relay doctor" in done.stderr and "writable" not in done.stderr
    doctor = json.loads(run_relay("doctor", "--format", "json").stdout)
    check = next(c for c in doctor["checks"] if c["name"] == "database")
    assert check["status"] == "fail" and ("not a database" in check["message"] or "malformed" in check["message"])
