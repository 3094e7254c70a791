import logging

from relay.sessions import detectors
from tests.factories import assistant, make_session, tool_use, user


def test_eight_detectors_each_with_a_documented_rule():
    assert [d.NAME for d in detectors.DETECTORS] == ["orphan", "stuck", "synthetic", "bloat", "cache", "resume",
                                                     "microcompact", "integrity"]
    for d in detectors.DETECTORS:
        assert d.SEVERITY in ("info", "warning", "error")
        assert "severity" in d.__doc__.lower() or "**" in d.__doc__


def test_detect_all_gathers_findings_of_every_detector():
    session = make_session([user("go"), assistant(tool_use("t1", "Bash")), user("?"), assistant("ok")])
    found = detectors.detect_all(session)
    assert [f.detector for f in found] == ["orphan"]
    assert detectors.detect_all(session, only={"bloat"}) == []


def test_a_failing_detector_becomes_an_internal_finding(monkeypatch, caplog):
    def boom(session):
        raise KeyError("surprise")
    monkeypatch.setattr(detectors.stuck, "detect", boom)
    session = make_session([user("go"), assistant(tool_use("t1", "Bash")), user("?"), assistant("ok")],
                           session_id="abc")
    with caplog.at_level(logging.ERROR, logger="relay.sessions.detectors"):
        found = detectors.detect_all(session)
    internal = [f for f in found if f.detector == "internal"]
    assert len(internal) == 1 and internal[0].severity == "info" and internal[0].session_id == "abc"
    assert internal[0].where == {"detector": "stuck"}
    assert any(f.detector == "orphan" for f in found)
    assert "abc" in caplog.text and "stuck" in caplog.text


def test_an_unknown_severity_is_treated_as_a_detector_bug(monkeypatch):
    from relay.models import Finding
    monkeypatch.setattr(detectors.bloat, "detect", lambda s: [Finding("bloat", "fatal", "x", s.session_id)])
    found = detectors.detect_all(make_session([user("hi"), assistant("yo")]))
    assert [(f.detector, f.where) for f in found] == [("internal", {"detector": "bloat"})]


def test_the_locator_is_built_only_when_a_finding_asks_where(monkeypatch):
    from relay.models import Session
    from relay.sessions.detectors.common import Locator
    grouped = []
    real = Session._group_turns
    monkeypatch.setattr(Session, "_group_turns", lambda self: grouped.append(1) or real(self))
    quiet = make_session([user("go"), assistant("ok")])
    monkeypatch.setattr(detectors, "DETECTORS", [detectors.orphan, detectors.integrity])
    assert detectors.detect_all(quiet) == [] and grouped == []     # nothing found: no grouping into turns
    session = make_session([user("go"), assistant(tool_use("t1", "Bash")), user("?", line=3), assistant("ok", line=4)])
    locator = Locator(session)
    assert locator.turn_at_line(4) == 1 and locator.turn(session.messages[0]) == 0
    [found] = detectors.detect_all(session)
    assert found.where == {"line": 2, "turn": 0, "tool_id": "t1", "tool": "Bash"}
