"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries (the `postgresql`
package, which .ci/run installs), initdb'd in a temp dir and started under a non-root user on a
Unix socket only (no TCP port), trust auth, fsync off. Each test gets a database of its own."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest


def binaries():
    """The bin dir of the newest installed server, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def skip_reason():
    """Why the PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]' psycopg_pool)"
    if binaries() is None:
        return "PostgreSQL's server is not installed (apt-get install postgresql; .ci/run does it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            return "running as root and there is no `nobody` user to run the server as"
    return None


class Cluster:
    def __init__(self):
        self.bin = binaries()
        self.base = tempfile.mkdtemp(prefix="relay-pg-")
        os.chmod(self.base, 0o755)   # the server's user must reach its data and socket dirs
        self.data, self.socket = os.path.join(self.base, "data"), os.path.join(self.base, "sock")
        os.mkdir(self.socket)
        os.mkdir(self.data, 0o700)
        self.log = os.path.join(self.socket, "server.log")
        self._as = []
        if os.geteuid() == 0:   # initdb and postgres refuse to run as root
            user = pwd.getpwnam("nobody")
            for path in (self.socket, self.data):
                os.chown(path, user.pw_uid, user.pw_gid)
            self._as = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]

    def _run(self, *args):
        done = subprocess.run([*self._as, *args], capture_output=True, cwd=self.socket, timeout=120, text=True)
        if done.returncode:
            raise RuntimeError(f"{os.path.basename(args[0])} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self):
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "relay", "--auth=trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        options = (f"-k {self.socket} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                   " -c max_connections=200")
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w", "start")
        return self

    def url(self, dbname="postgres"):
        return f"postgresql://relay@/{dbname}?host={self.socket}"

    def new_database(self):
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name):
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self):
        try:
            self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def pg_module_url(pg_cluster):
    """A database of this test module's own, dropped after it (CREATE DATABASE and the migrations
    cost about half a second, a TRUNCATE a tenth of that: a module's tests share one database
    that pg_fresh_url empties before each)."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_fresh_url(pg_module_url):
    """The module's database with every table emptied (the schema and its migration record kept,
    ids restarted), as a fresh database would read."""
    import psycopg
    with psycopg.connect(pg_module_url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != '_relay_migrations'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY")
    return pg_module_url


@pytest.fixture
def pg_url(pg_cluster):
    """A postgresql:// URL of an empty database of this test's own."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)
