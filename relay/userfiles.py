"""The one way relay edits a user's file (a CLI's settings, config, .env, ~/.claude.json): backed
up first, written atomically, undoable by `relay init --undo`, whoever made the edit (relay init
or relay doctor --fix).

An edit is (path, new text) computed from the current text. Before relay first touches a file it
copies it to <data dir>/init-backups/ and notes in manifest.json whether it existed, its mode, the
backup, and how to take relay's part out again (JSON keys with their old values, or block tags).
Undo restores the backup byte for byte when the file is still as relay left it; when something
else changed it since, only relay's part is taken out. Modes are kept; new files are 0600.

Line-based files (TOML, .env) are edited as clearly delimited blocks that relay owns. A block
replaces a user line it conflicts with; that line is kept inside the block as a
`# relay-init-was: <line>` comment, so removing the block puts the line back as it was.
Files that are not a user's settings (a session file `relay recover` repairs, a stale pid file)
get a timestamped copy beside them instead (`backup`).
"""
import json
import os
import re
import shutil
import time
from pathlib import Path

from relay import paths
from relay.errors import RelayError

WAS = "# relay-init-was: "
MISSING = {"$relay": "missing"}   # a JSON key that did not exist (JSON itself has no such value)
CREATED = {"$relay": "created"}   # an object relay created to hold its key: removed on undo only if empty


def backup_dir(environ=None):
    return paths.data_dir(environ) / "init-backups"


def _sha(data):
    import hashlib  # OpenSSL's load is felt by every report; only an init or an undo hashes
    return hashlib.sha256(data).hexdigest()


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write_text(path, text, mode=None):
    """Atomically (temp file + rename), keeping `mode`; a new file gets 0600 (never wider).
    A symlink is written through: its target gets the new text and the link stays a link
    (a dotfiles repo often links ~/.claude.json or settings.json)."""
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".relay-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode if mode is not None else 0o600)
    os.replace(tmp, path)



def read_json(path):
    """(data, error) for a file relay only reads: data is None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        return None, f"{path} is not readable JSON ({exc})"


def backup_path(path):
    """A free `<name>.bak-<timestamp>` path beside `path`."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = path.with_name(f"{path.name}.bak-{stamp}"), 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.bak-{stamp}-{n}"), n + 1
    return target


def backup(path):
    """Copy `path` (bytes and times) to a timestamped backup beside it; return the copy's path."""
    target = backup_path(path)
    shutil.copy2(path, target)
    return target

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
    """Write `new_text` to `path` after backing it up; records the written file's hash. Returns
    the file's manifest entry (its "backup" is the copy of the original, None for a new file)."""
    entry = manifest.remember(path, undo)
    write_text(path, new_text, entry["mode"])
    entry["written_sha256"] = _sha(Path(path).read_bytes())
    manifest.save()
    return entry


# --- JSON ------------------------------------------------------------------------------------

def load_json(text, path):
    """The JSON object in `text` ({} for no text); a RelayError naming the file otherwise."""
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
    return dump_like(data, text), undo


def dump_like(data, text):
    """`data` as JSON laid out as `text` was: its indentation (spaces, tabs, or one line) and
    whether it ended with a newline; keys keep their order. No text: 2 spaces and a newline."""
    if not text or not text.strip():
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    found = re.search(r'^\{[ \t]*\r?\n([ \t]+)["}]', text.lstrip(), re.M)
    if found:
        indent = found.group(1)
        out = json.dumps(data, indent=indent if "\t" in indent else len(indent), ensure_ascii=False)
    elif "\n" not in text.strip():
        compact = re.search(r'"\s*:\s', text) is None
        out = json.dumps(data, ensure_ascii=False, separators=(",", ":") if compact else None)
    else:
        out = json.dumps(data, indent=2, ensure_ascii=False)
    if "\r\n" in text:
        out = out.replace("\n", "\r\n")
    return out + text[len(text.rstrip()):]


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
    return dump_like(data, text)



def plan_json(path, assignments):
    """(new text, undo) that sets each (key path, value) in the JSON file at `path`, or None when
    every value is already there (a good file is never reformatted)."""
    text = read_text(path)
    data = load_json(text, path)
    if all(json_get(data, keys) == value for keys, value in assignments):
        return None
    new_text, undo = json_set(text, assignments, path)
    return new_text, {"keys": undo}


def json_get(data, keys):
    for k in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(k)
    return data


# --- blocks in line-based files (TOML, .env) -------------------------------------------------

def _block_start(tag):
    return f"# >>> relay init: {tag} (remove with `relay init --undo`) >>>"


def _block_end(tag):
    return f"# <<< relay init: {tag} <<<"


def _find_block(lines, tag):
    start = next((i for i, line in enumerate(lines) if line == _block_start(tag)), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if lines[i] == _block_end(tag)), None)
    return None if end is None else (start, end)


def put_block(text, tag, body, replaces=None, at_start=False, region=None):
    """`text` with block `tag` holding `body` lines. `replaces` is a regex for a user line the block
    takes over (searched in lines[:region(lines)] when region is given); the block goes there,
    else at the start or the end of the file."""
    lines = (text or "").splitlines()
    span = _find_block(lines, tag)
    was = []
    if span:
        was = [line for line in lines[span[0]:span[1]] if line.startswith(WAS)]
        insert_at = span[0]
        del lines[span[0]:span[1] + 1]
    else:
        insert_at = 0 if at_start else len(lines)
        if replaces:
            limit = region(lines) if region else len(lines)
            hit = next((i for i in range(limit) if re.match(replaces, lines[i])), None)
            if hit is not None:
                was = [WAS + lines[hit]]
                del lines[hit]
                insert_at = hit
    block = [_block_start(tag), *was, *body, _block_end(tag)]
    lines[insert_at:insert_at] = block
    return "\n".join(lines) + "\n"


def remove_block(text, tag):
    """`text` without block `tag`, with the user line it had taken over restored."""
    lines = (text or "").splitlines()
    span = _find_block(lines, tag)
    if span is None:
        return text
    restored = [line[len(WAS):] for line in lines[span[0]:span[1]] if line.startswith(WAS)]
    lines[span[0]:span[1] + 1] = restored
    return "\n".join(lines) + "\n" if lines else ""

# --- undo ------------------------------------------------------------------------------------

def undo_file(path, entry):
    """Put one file back; returns what was done, as a sentence."""
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
        text = remove_block(text, tag)
    write_text(path, text, path.stat().st_mode & 0o7777)
    return f"took relay's settings out of {path} (it changed since relay init, so the rest is kept)"
