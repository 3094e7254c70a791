"""The command `relay init --statusline` writes, `<python> -I -S relay/statusline_entry.py`: the
same line as `relay statusline` for the same input, the same fallbacks, and a process that loads
neither site-packages nor relay's heavy modules (what keeps it quick to start)."""
import json
import os
import shutil
import subprocess
import sys
import zipapp

import pytest

from relay import paths
from relay.models import Usage
from relay.store import queries
from tests.relay_process import ROOT
from tests.statusline.test_statusline import locked_database, run, send, status

ENTRY = ROOT / "relay" / "statusline_entry.py"
# what the entry must not load: site-packages, click, Flask, the writer, the dataclass models
HEAVY = ("site", "click", "flask", "gevent", "dataclasses", "typing", "logging", "relay.models", "relay.store.db",
         "relay.store.pg", "relay.store.migrations", "relay.cli", "relay.guard.hooks")
# nor, when it reads the database, these standard modules (~15 ms together): the line's header names,
# model ids and state file are split and written without them
LEAN = ("re", "enum", "json", "pathlib", "urllib.parse", "ipaddress", "zlib")


def lean(stdin, *args, flags=("-I", "-S")):
    return subprocess.run([sys.executable, *flags, str(ENTRY), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_written_command_is_this_entry_without_site():
    assert paths.statusline_command() == [sys.executable, "-I", "-S", str(ENTRY)]


def test_same_line_as_relay_statusline(relay):
    send(relay, "sess-lean", "5h=0.82,7d=0.4")
    for version in ("v1.0.30", "v2.1.90"):
        for args in ((), ("--no-color",), ("--format", "model,quota,cost"), ("--json",)):
            before = lean(status(version, "sess-lean"), *args)
            full = run(status(version, "sess-lean"), *args)
            after = lean(status(version, "sess-lean"), *args)
            assert before.returncode == full.returncode == 0 and before.stderr == full.stderr == ""
            if "--json" in args:           # drop the clock, which moves between the runs
                full.stdout, before.stdout, after.stdout = (s.stdout.split('"now"')[0]
                                                            for s in (full, before, after))
            # a minute may turn between two runs, moving a relative reset: one of them matches
            assert full.stdout in (before.stdout, after.stdout)
    assert "$0.02 session $0.02 today · cache 66%" in lean(status("v2.1.90", "sess-lean"), "--no-color").stdout


def test_missing_database_falls_back():
    done = lean(status("v2.1.90"), "--no-color")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Opus 5.5 (1M context) · ctx 6%") and "relay: no database" in done.stdout
    assert not paths.db_path().exists()


def test_locked_database_falls_back():
    with locked_database():
        done = lean(status("v2.0.65"), "--no-color")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Opus 5.5 · ctx 30%") and "relay: database busy" in done.stdout


@pytest.mark.parametrize("garbage", ["", "not json", "[1, 2]", "{\"model\": 7, \"context_window\": []}", "\xff\xfe",
                                     "{" * 5000])
def test_garbage_stdin_never_prints_a_traceback(garbage):
    done = lean(garbage)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.strip()


def test_unknown_option_is_one_line_not_a_traceback():
    done = lean("{}", "--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.count("\n") == 1 and "relay statusline --help" in done.stdout


def test_runs_as_a_plain_script_too():
    # without -I Python puts relay/ itself first on sys.path; the entry must still import the package
    done = lean(status("v2.1.90"), "--no-color", flags=())
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("Opus 5.5")


def test_loads_no_heavy_module(relay):
    send(relay, "sess-imports", "5h=0.5,7d=0.1")
    done = lean(status("v2.1.90", "sess-imports"), flags=("-I", "-S", "-X", "importtime"))
    assert done.returncode == 0 and "$0.02 session" in done.stdout
    loaded = _loaded(done)
    assert "relay.statusline" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def _loaded(done):
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


def test_reading_new_exchanges_loads_no_re_json_or_pathlib(relay):
    # resets as epoch seconds, as Claude Code 2.1.80+ sends them (an ISO reset is parsed with re)
    text = status("v2.1.90", "sess-lean-read").replace('"2026-11-23T23:00:00Z"', "1795474800")
    for utilization in ("5h=0.5,7d=0.1", "5h=0.6,7d=0.2"):     # a first read, then an incremental one
        send(relay, "sess-lean-read", utilization)
        done = lean(text, "--no-color", flags=("-I", "-S", "-X", "importtime"))
        assert done.returncode == 0 and "$0.0" in done.stdout
        assert "relay.store.readonly" in _loaded(done)          # the database was read, not the state
        assert not _loaded(done) & set(HEAVY + LEAN), sorted(_loaded(done) & set(HEAVY + LEAN))


def test_sql_only_readers_name_the_usage_fields_of_the_model():
    assert queries._USAGE_FIELDS == tuple(Usage.__dataclass_fields__)
    assert "RELAY_HOME" in os.environ       # conftest keeps the tests off the user's data dir


def test_zipapp_writes_and_runs_itself_under_the_same_flags(tmp_path):
    # a zipapp's own relay.py as __main__: the written command is the archive under -I -S
    src = tmp_path / "src"
    shutil.copytree(ROOT / "relay", src / "relay", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "relay.py", src / "__main__.py")
    archive = tmp_path / "relay.pyz"
    zipapp.create_archive(src, archive)
    probe = subprocess.run([sys.executable, "-I", "-S", "-c", "import sys, json; sys.path.insert(0, sys.argv[1]);"
                            " from relay import paths; print(json.dumps(paths.statusline_command()))", str(archive)],
                           capture_output=True, text=True, timeout=60)
    command = json.loads(probe.stdout)
    assert command == [sys.executable, "-I", "-S", str(archive), "statusline"]
    done = subprocess.run(command, input=status("v2.1.90"), capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("Opus 5.5 (1M context) · ctx 6%") and "relay: no database" in done.stdout
