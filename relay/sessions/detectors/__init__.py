"""The eight session health detectors and the one way to run them.

Each detector module has NAME, SEVERITY (its default), its thresholds as module constants, a
docstring stating its rule, and `detect(session) -> list[Finding]`. `detect_all` runs them in
DETECTORS order and isolates each one: a detector that raises is logged with the session id and
becomes one "internal" info finding, so a scan never stops on a detector bug.
"""
import logging

from relay.models import SEVERITIES, Finding, analysing
from relay.sessions.detectors import (
    bloat,
    cache,
    integrity,
    microcompact,
    orphan,
    resume,
    stuck,
    synthetic,
)

log = logging.getLogger(__name__)

DETECTORS = [orphan, stuck, synthetic, bloat, cache, resume, microcompact, integrity]
BY_NAME = {d.NAME: d for d in DETECTORS}
INTERNAL = "internal"


def detect_all(session, only=None):
    """Findings of every detector (or of the names in `only`) for one session."""
    with analysing(session):      # the detectors share one grouping into turns and one Locator
        return _run(session, only)


def _run(session, only):
    findings = []
    for detector in DETECTORS:
        if only and detector.NAME not in only:
            continue
        try:
            found = list(detector.detect(session))
            bad = [f.severity for f in found if f.severity not in SEVERITIES]
            if bad:
                raise ValueError(f"unknown severity {bad[0]!r}")
        except Exception as exc:  # a detector bug must cost one detector, not the scan
            log.exception("detector %s failed on session %s", detector.NAME, session.session_id)
            findings.append(Finding(detector=INTERNAL, severity="info", session_id=session.session_id,
                                    message=f"detector {detector.NAME} failed on this session: "
                                            f"{type(exc).__name__}: {exc}",
                                    where={"detector": detector.NAME},
                                    hint="the other detectors ran; please report this with the session file"))
            continue
        findings.extend(found)
    return findings
