"""`relay recover`: make a session file that cannot be resumed resumable again.

Works on the file's own lines, in the provider's own format (never through relay's model):
- a torn or invalid line is dropped; when a whole record follows the tear on the same line
  (a resumed run appended after a line cut mid-write) that record is kept;
- a tool call that never got its result gets an error result written right after it, in the
  shape the CLI itself writes (see recover_formats), and a result whose call is gone is removed;
- Claude Code: every parentUuid / leafUuid that points at a dropped line is re-pointed (to the
  dropped line's own parent when known, else to the nearest line before it), so the chain the
  CLI follows on --resume stays whole.
Unchanged lines are written back byte for byte. The original is first copied to
`<name>.bak-<timestamp>` beside it; the repaired file is written to a temp file beside it and
renamed over the original, and only if the original did not change meanwhile (a CLI still
writing the session). `dry_run` reports the same changes and writes nothing.
"""
import json
import os
from pathlib import Path

from relay.diagnostics import recover_formats
from relay.diagnostics.recover_formats import Change, Line
from relay.errors import NotFound, RelayError
from relay.sessions.discover import discover
from relay.userfiles import backup

# --- finding the file ------------------------------------------------------------------------

def find_session_file(session_id, provider=None, environ=None):
    """(provider, path) of the main file of session `session_id`, via relay.sessions.discover."""
    matches = []
    for source in discover([provider] if provider else None, environ):
        main = source.main
        if main is not None and _names(source, main.path, session_id):
            matches.append((source.provider, Path(main.path)))
    if not matches:
        raise NotFound(f"no session file found for session id {session_id!r}",
                       hint="list sessions with `relay scan`; check RELAY_CLAUDE_HOME / RELAY_CODEX_HOME / "
                            "RELAY_GEMINI_HOME if your CLIs keep them elsewhere")
    if len(matches) > 1:
        raise RelayError(f"session id {session_id!r} matches {len(matches)} files: "
                         + ", ".join(str(p) for _, p in matches), hint="pass --provider to choose one")
    return matches[0]


def _names(source, path, session_id):
    if source.provider == "claude":
        return source.key == f"claude:{session_id}"
    if source.provider == "codex":
        return Path(path).name.endswith(f"-{session_id}.jsonl")
    # Gemini names files by the first 8 characters of the id; the header holds the whole id.
    if source.key.rsplit("/", 1)[-1] != session_id[:8]:
        return False
    try:
        with open(path, "rb") as f:
            header = json.loads(f.readline() or b"{}")
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and header.get("sessionId") == session_id


# --- reading and repairing ------------------------------------------------------------------

def _salvage(raw, provider):
    """A whole record at the end of a torn line. Only offsets where a top-level record of this
    provider can start are tried (so a huge torn line costs a few decodes, not one per brace),
    and the decoded object must carry the top-level keys (an inner object never does)."""
    candidates = sorted({i for prefix in recover_formats.RECORD_STARTS[provider] for i in _find_all(raw, prefix)})
    for start in candidates:
        try:
            obj = json.loads(raw[start:])
        except ValueError:
            continue
        if isinstance(obj, dict) and recover_formats.is_record(provider, obj):
            return obj
    return None


def _find_all(raw, needle):
    i = raw.find(needle, 1)
    while i != -1:
        yield i
        i = raw.find(needle, i + 1)


def read_lines(data, provider):
    """The file's records as Lines, and the changes made by dropping or salvaging bad lines."""
    lines, changes = [], []
    pieces = data.split(b"\n")
    unterminated = pieces[-1] != b""        # text after the last newline: a line without its end
    if not unterminated:
        pieces.pop()
    for no, raw in enumerate(pieces, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            lines.append(Line(no, obj, raw))
            continue
        salvaged = _salvage(raw, provider)
        if salvaged is not None:
            lines.append(Line(no, salvaged))
            changes.append(Change("salvaged_record", no, "dropped a torn record and kept the whole record "
                                                          "written after it on the same line"))
        else:
            changes.append(Change("dropped_line", no, f"dropped a torn or invalid line ({len(raw)} bytes)"))
    if unterminated and lines and lines[-1].no == len(pieces) and lines[-1].raw is not None:
        changes.append(Change("added_newline", len(pieces), "the last line was whole but had no newline: added one"))
    return lines, changes


def repair(data, provider):
    """(repaired bytes, changes) for the file content `data`; changes is empty when it is healthy."""
    lines, changes = read_lines(data, provider)
    lines, more = recover_formats.repair(provider, lines)
    changes = sorted(changes + more, key=lambda c: c.line or 0)
    body = b"".join(line.encode() + b"\n" for line in lines)
    return body, changes


def recover(session_id, provider=None, dry_run=False, environ=None):
    """Repair the file of one session; a report dict (see the module docstring for what is done)."""
    provider, path = find_session_file(session_id, provider, environ)
    try:
        before = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        raise RelayError(f"cannot read {path}: {exc.strerror or exc}", hint="check the file's permissions") from exc
    body, changes = repair(data, provider)
    report = {"ok": True, "session_id": session_id, "provider": provider, "path": str(path), "dry_run": dry_run,
              "changes": [c.to_dict() for c in changes], "backup": None, "written": False}
    if not changes or dry_run:
        return report
    _write(path, body, before, report)
    return report


def _write(path, body, before, report):
    tmp = path.with_name(path.name + ".relay-recover")
    try:
        saved = backup(path)
        report["backup"] = str(saved)
        with open(tmp, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        now = path.stat()
        if (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise RelayError(f"{path} changed while it was being repaired; nothing was replaced",
                             hint="close the CLI that is using this session, then run relay recover again")
        os.replace(tmp, path)
    except OSError as exc:
        raise RelayError(f"cannot write the repaired {path}: {exc.strerror or exc}",
                         hint="check free space and permissions of its directory") from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    report["written"] = True
