"""Edits of users' config files, each backed up first and undoable.

An edit is (path, new text) computed from the current text. Before relay first touches a file it
copies it to <data dir>/init-backups/ and notes in manifest.json whether it existed, its mode, the
backup, and how to take relay's part out again (JSON keys with their old values, or block tags).
Undo restores the backup byte for byte when the file is still as relay left it; when something
else changed it since, only relay's part is taken out. Modes are kept; new files are 0600.
"""
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from relay import paths

MISSING = {"$relay": "missing"}   # a JSON key that did not exist (JSON itself has no such value)
CREATED = {"$relay": "created"}   # an object relay created to hold its key: removed on undo only if empty


def backup_dir(environ=None):
    return paths.data_dir(environ) / "init-backups"


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_text(path, text, mode=None):
    """Atomically (temp file + rename), keeping `mode`; a new file gets 0600 (never wider)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".relay-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode if mode is not None else 0o600)
    os.replace(tmp, path)


class Manifest:
    def __init__(self, environ=None):
        self.dir = backup_dir(environ)
        self.path = self.dir / "manifest.json"
        try:
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {"version": 1, "files": {}, "server": None}

    @property
    def files(self):
        return self.data["files"]

    def save(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        write_text(self.path, json.dumps(self.data, indent=2) + "\n")

    def remember(self, path, undo):
        """Back `path` up unless relay already holds its original; merge how to undo this edit."""
        key = str(path)
        entry = self.files.get(key)
        if entry is None:
            path = Path(path)
            entry = {"existed": path.exists(), "backup": None, "mode": None, "undo": {"keys": [], "blocks": []},
                     "new_dirs": [str(d) for d in path.parents if not d.exists()]}
            if entry["existed"]:
                self.dir.mkdir(parents=True, exist_ok=True)
                os.chmod(self.dir, 0o700)
                target = self.dir / f"{len(self.files) + 1:02d}-{path.name}.{time.strftime('%Y%m%d-%H%M%S')}"
                shutil.copy2(path, target)
                entry.update(backup=str(target), mode=path.stat().st_mode & 0o7777)
            self.files[key] = entry
        known = {json.dumps(k[0]) for k in entry["undo"]["keys"]}
        entry["undo"]["keys"] += [k for k in undo.get("keys", []) if json.dumps(k[0]) not in known]
        entry["undo"]["blocks"] += [b for b in undo.get("blocks", []) if b not in entry["undo"]["blocks"]]
        return entry


def apply(manifest, path, new_text, undo):
    """Write `new_text` to `path` after backing it up; records the written file's hash."""
    entry = manifest.remember(path, undo)
    write_text(path, new_text, entry["mode"])
    entry["written_sha256"] = _sha(Path(path).read_bytes())
    manifest.save()


# --- JSON ------------------------------------------------------------------------------------

def load_json(text, path):
    """The JSON object in `text` ({} for no text); a RelayError naming the file otherwise."""
    from relay.errors import RelayError
    try:
        data = json.loads(text) if text and text.strip() else {}
    except ValueError as exc:
        raise RelayError(f"{path} is not valid JSON ({exc})", hint="fix it by hand, then run relay init again") from exc
    if not isinstance(data, dict):
        raise RelayError(f"{path} does not hold a JSON object", hint="fix it by hand, then run relay init again")
    return data


def json_set(text, assignments, path):
    """(new text, undo keys) with each (key path, value) set; the rest of the document is kept."""
    data = load_json(text, path)
    undo = []
    for keys, value in assignments:
        node = data
        for depth, k in enumerate(keys[:-1]):
            if not isinstance(node.get(k), dict):
                undo.append([list(keys[:depth + 1]), CREATED if k not in node else node[k]])
                node[k] = {}
            node = node[k]
        undo.append([list(keys), node.get(keys[-1], MISSING)])
        node[keys[-1]] = value
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n", undo


def json_unset(text, undo_keys):
    data = json.loads(text)
    for keys, old in reversed(undo_keys):
        node = data
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        if old == MISSING:
            node.pop(keys[-1], None)
        elif old == CREATED:
            if node.get(keys[-1]) == {}:
                node.pop(keys[-1])
        else:
            node[keys[-1]] = old
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- undo ------------------------------------------------------------------------------------

def undo_file(path, entry):
    """Put one file back; returns what was done, as a sentence."""
    from relay.setup import blocks
    path = Path(path)
    current = path.read_bytes() if path.exists() else None
    if current is not None and _sha(current) == entry.get("written_sha256"):
        if entry["existed"]:
            shutil.copy2(entry["backup"], path)
            return f"restored {path} from {entry['backup']}"
        path.unlink()
        for directory in entry.get("new_dirs", []):   # deepest first, only while empty
            try:
                Path(directory).rmdir()
            except OSError:
                break
        return f"removed {path} (relay init had created it)"
    if current is None:
        return f"left {path} alone: it no longer exists"
    text = current.decode("utf-8")
    if entry["undo"]["keys"]:
        text = json_unset(text, entry["undo"]["keys"])
    for tag in entry["undo"]["blocks"]:
        text = blocks.remove(text, tag)
    write_text(path, text, path.stat().st_mode & 0o7777)
    return f"took relay's settings out of {path} (it changed since relay init, so the rest is kept)"
