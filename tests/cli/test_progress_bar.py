"""The index's progress bar: on stderr when it is a terminal and the work is long, never otherwise."""
import io

from relay.cli import output
from tests.run_relay import run_relay as relay
from tests.session_homes import populate


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_is_drawn_on_a_terminal_stderr_for_a_long_update():
    stream = Terminal()
    progress = output.progress_bar("indexing", stream=stream)
    total = output.PROGRESS_BYTES * 2
    for done in (0, total // 2, total):
        progress(done, total)
    assert "indexing" in stream.getvalue()


def test_no_bar_on_a_pipe_for_json_or_for_a_short_update():
    assert output.progress_bar("indexing", stream=io.StringIO()) is None
    assert output.progress_bar("indexing", enabled=False, stream=Terminal()) is None
    stream = Terminal()
    progress = output.progress_bar("indexing", stream=stream)
    progress(10, 100)
    progress(100, 100)
    assert stream.getvalue() == ""


def test_report_json_and_scan_json_print_nothing_on_stderr():
    populate()
    for args in (("report", "daily", "--json"), ("scan", "--format", "json")):
        done = relay(*args)
        assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
