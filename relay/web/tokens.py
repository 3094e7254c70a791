"""Access tokens for a relay that other machines can reach: the tokens file and the bind rule.

The file (TOML, mode 0600) holds one `[[token]]` per person: the name and the SHA-256 of a random
token, never the token itself. A plain hash is enough here because every token is 256 random bits
(nothing to guess from a dictionary), and it keeps the check on each proxied request to a
microsecond; a slow KDF would add its cost to every time to first byte. `relay tokens add` prints
the token once. Flask-free: `relay tokens` and `relay serve` use it before any app exists.
"""
import hashlib
import ipaddress
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path

from relay import times
from relay.errors import ConfigError
from relay.remote import HEADER  # noqa: F401  (the web layer's name for it; defined with the clients that send it)

ENVIRON_KEY = "HTTP_X_RELAY_TOKEN"   # the header as WSGI names it
PREFIX = "relay_"   # a shape people (and secret scanners) can recognise
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
LOOPBACK_NAMES = ("localhost", "ip6-localhost", "")


def digest(token):
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def is_loopback(host):
    name = (host or "").strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False   # a host name: it may resolve to anything


def check_bind(host, tokens_path, allow_unauthenticated=False):
    """Refuse (ConfigError) to listen beyond loopback without tokens: whoever reaches the port
    could otherwise spend the developers' credentials and read their sessions."""
    if tokens_path or is_loopback(host) or allow_unauthenticated:
        return
    raise ConfigError(
        f"relay will not listen on {host} without access tokens: anyone who can reach that address "
        f"could use the proxy and read every recorded session",
        hint="create tokens with `relay tokens add NAME --file tokens.toml` and start with "
             "--auth-tokens tokens.toml (env RELAY_AUTH_TOKENS), or bind 127.0.0.1")


def _parse(path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the tokens file {path}: {exc}", hint="fix or recreate it") from exc
    entries = data.get("token", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("person"), str)
                                                and isinstance(e.get("sha256"), str) for e in entries):
        raise ConfigError(f"the tokens file {path} is not in relay's format",
                          hint="each [[token]] needs person and sha256; recreate it with `relay tokens add`")
    return entries


def read(path):
    """[{person, sha256, created}] from the file; [] when it does not exist."""
    return _parse(Path(path))


def _write(path, entries):
    # Written whole to a 0600 temporary file and renamed: a reader never sees half a file, and
    # the file is never readable by others, even for a moment.
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# relay access tokens: only SHA-256 hashes are kept; `relay tokens add NAME` prints a new token once.\n"]
    for e in entries:
        lines.append(f'\n[[token]]\nperson = "{e["person"]}"\nsha256 = "{e["sha256"]}"\n'
                     f'created = "{e.get("created", "")}"\n')
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tokens-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("".join(lines))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(path, person):
    """A new token for `person` (who must not have one yet); returns the token, which only the
    caller ever sees."""
    if not NAME.match(person or ""):
        raise ConfigError(f"bad name {person!r}",
                          hint="1-64 letters, digits and . _ @ - (starting with a letter or digit)")
    entries = read(path)
    if any(e["person"] == person for e in entries):
        raise ConfigError(f"{person} already has a token", hint=f"revoke it first: relay tokens revoke {person}")
    token = PREFIX + secrets.token_urlsafe(32)
    entries.append({"person": person, "sha256": digest(token), "created": times.iso(time.time())})
    _write(path, entries)
    return token


def revoke(path, person):
    entries = read(path)
    kept = [e for e in entries if e["person"] != person]
    if len(kept) == len(entries):
        raise ConfigError(f"{person} has no token in {path}", hint="see `relay tokens list`")
    _write(path, kept)


class Tokens:
    """The tokens of a running relay: person_for(token) -> name or None. The file is read again
    when it changes, so `relay tokens revoke` takes effect without a restart."""

    def __init__(self, path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp = None
        self._by_hash = {}
        self._load()
        if not self._by_hash:
            raise ConfigError(f"the tokens file {self.path} holds no token",
                              hint=f"add one: relay tokens add NAME --file {self.path}")

    def _load(self):
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        with self._lock:
            self._by_hash = {e["sha256"]: e["person"] for e in read(self.path)} if stamp else {}
            self._stamp = stamp

    @property
    def people(self):
        self._load()
        return set(self._by_hash.values())

    def person_for(self, token):
        if not token:
            return None
        try:
            self._load()
        except ConfigError:   # a half-edited file: keep the last good tokens rather than lock everyone out
            pass
        # A dict lookup on the hash, not on the token: its timing can only tell about the hash.
        return self._by_hash.get(digest(token))
