"""Running the app: gevent's WSGIServer, or waitress where gevent cannot load.

Owns the process lifecycle of `relay serve`: bind (a port in use is one clear line), announce the
real address (port 0 picks one), write relay.pid, and on SIGINT/SIGTERM stop accepting, give
in-flight streams a grace period, mark what is still open, flush the store and exit.
"""
import errno
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time

from relay import runtime
from relay.errors import RelayError
from relay.paths import open_private, private_dir
from relay.proxy.handler import UpstreamTruncated

log = logging.getLogger(__name__)
GRACE_SECONDS = 5.0


def gevent_available():
    try:
        from gevent import monkey
        return monkey.is_module_patched("socket")
    except ImportError:
        return False


def _bind_error(exc, host, port):
    if getattr(exc, "errno", None) == errno.EADDRINUSE:
        return RelayError(f"port {port} on {host} is already in use",
                          hint=f"stop the other process, or pick another port: relay serve --port {port + 1}")
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
        return RelayError(f"not allowed to bind {host}:{port}", hint="use a port above 1024")
    return RelayError(f"cannot listen on {host}:{port}: {exc}")


def _gevent_server(app, host, port):
    from gevent.pywsgi import WSGIHandler, WSGIServer

    class Handler(WSGIHandler):
        def handle(self):
            # Each chunk must leave as it is written: with Nagle on, a chunk written while the
            # previous one is unacknowledged waits for the client's delayed ACK (40 ms on Linux),
            # and gevent writes the headers and the first chunk in two sends.
            try:
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass  # not TCP (a unix socket in tests): nothing to tune
            return super().handle()

        def _write_with_headers(self, data):
            # gevent sends the status line and headers, then the first chunk, in two sends: one
            # is a syscall less before the client sees its first byte. The bytes are unchanged.
            held = []
            self._sendall = held.append   # shadows the method for the writes just below
            try:
                super()._write_with_headers(data)
            finally:
                del self._sendall
            self._sendall(b"".join(held))

        def get_environ(self):
            environ = super().get_environ()
            environ["relay.socket"] = self.socket  # lets the proxy notice a client hang-up at once
            environ["RAW_URI"] = self.path          # the target as sent: forwarded without decoding
            return environ

        def handle_error(self, t, v, tb):
            if isinstance(v, UpstreamTruncated):
                self.close_connection = True  # mirror upstream's cut: no final chunk
                return
            super().handle_error(t, v, tb)

    server = WSGIServer((host, port), app, handler_class=Handler, log=None,
                        error_log=logging.getLogger(f"{__name__}.wsgi"))
    try:
        server.init_socket()
    except OSError as exc:
        raise _bind_error(exc, host, port) from None
    return server


def _waitress_server(app, host, port):
    from waitress.server import create_server
    try:
        # send_bytes=1: hand each chunk to the socket at once instead of buffering 18 KB.
        return create_server(app, host=host, port=port, threads=64, send_bytes=1, channel_timeout=900,
                             connection_limit=2000, clear_untrusted_proxy_headers=True, ident=None)
    except OSError as exc:
        raise _bind_error(exc, host, port) from None


def _return_freed_memory():
    """Have glibc serve allocations from 32 KB up with their own mappings, returned to the OS
    when freed. Each exchange holds its request body (often 50 KB to several MB) and a decoded
    copy for a moment between long-lived per-stream buffers; from the shared heap those holes are
    never given back (measured: 1,000 streams peaked at 280 MB RSS, 164 MB of it free heap; with
    this, 120 MB). glibc raises its default threshold (128 KB) to the size of each large block
    freed, so without a fixed one even multi-MB bodies end up as heap holes. Other libcs: no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").mallopt(-3, 32 * 1024)   # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def say(text):
    """One line to stderr, which whoever started relay may have closed: the line is then lost,
    never the stop or the flush that follows it."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _drain(busy, sleep):
    """Wait until no exchange is open, or the grace period is over."""
    deadline = time.monotonic() + GRACE_SECONDS
    while busy() and time.monotonic() < deadline:
        sleep(0.05)


def serve(app, host, port, kind, on_ready, on_stop, busy=lambda: 0):
    """Serve until SIGINT/SIGTERM; on_ready(kind, host, port) after binding, on_stop() at the end.

    On a signal the listener closes at once; open exchanges get GRACE_SECONDS to finish (idle
    keep-alive connections are not waited for), then the server stops."""
    _return_freed_memory()
    if kind == "gevent" and not gevent_available():
        mode, note = runtime.server_mode()
        say(f"relay: server: {note if mode == 'waitress' else 'waitress (gevent could not patch this process)'}")
        kind = "waitress"
    if kind == "gevent":
        server = _gevent_server(app, host, port)
        bound_port = server.socket.getsockname()[1]
        import gevent

        def stop():
            server.stop_accepting()
            _drain(busy, gevent.sleep)
            server.stop(timeout=0.5)
        run = server.serve_forever
    else:
        server = _waitress_server(app, host, port)
        bound_port = server.effective_port
        def stop():
            _drain(busy, time.sleep)
            server.close()
        run = server.run
    stopping = threading.Event()

    def on_signal(signum, frame):
        if stopping.is_set():
            return
        stopping.set()
        # The stop is under way before anything is printed: a write to a closed pipe must not stop it.
        if kind == "gevent":
            import gevent
            gevent.spawn(stop)
        else:
            threading.Thread(target=stop, daemon=True).start()
        say(f"relay: stopping (signal {signum}); letting open streams finish for up to {GRACE_SECONDS:.0f}s")

    if kind == "gevent":
        for sig in (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(sig, on_signal, sig, None)
    else:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
    # What is loaded by now (Flask, urllib3, the app: ~45,000 objects) lives as long as the
    # process: out of the collector's full passes, which otherwise stall every open stream for
    # ~10 ms each time they run.
    gc.collect()
    gc.freeze()
    on_ready(kind, host, bound_port)
    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        pass
    except OSError as exc:
        if not stopping.is_set():
            raise
        log.debug("server loop ended: %s", exc)
    finally:
        on_stop()


def claim_data_dir(lock_path):
    """(handle, alone): a shared lock on the data dir held for the process's life, and whether
    no other relay held one when we looked. Only a relay that is alone may mark every open row
    as interrupted at start: another relay's open rows are live. The kernel drops the lock of
    a killed process, so a crashed relay never counts as running. Without fcntl: alone."""
    try:
        import fcntl
    except ImportError:
        return None, True
    private_dir(lock_path.parent)
    handle = os.fdopen(open_private(lock_path, os.O_RDWR | os.O_CREAT), "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        alone = True
    except OSError:
        alone = False
    fcntl.flock(handle, fcntl.LOCK_SH)   # from exclusive: a downgrade; else joins the others
    return handle, alone


def write_pid(path, port=None):
    """The pid, then the port this relay listens on (relay doctor finds a relay on any port)."""
    private_dir(path.parent)
    fd = open_private(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{os.getpid()}\n{port}\n" if port is not None else str(os.getpid()))


def remove_pid(path):
    try:
        if path.read_text().split()[:1] == [str(os.getpid())]:
            path.unlink()
    except OSError:
        pass
