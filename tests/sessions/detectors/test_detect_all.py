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
