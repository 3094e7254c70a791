"""The few places where the proxy behaves differently under gevent than under threads.

Under gevent, work can be spawned to run while the handler waits on upstream I/O, and the client
socket can be watched so a disconnect closes the upstream response at once, even while upstream
is silent. Under waitress (threads), spawned work runs inline and disconnects are noticed on the
next write.
"""
import socket


def _gevent_active():
    try:
        from gevent import monkey  # heavy (~20 ms); waitress and the CLI run without it
        return monkey.is_module_patched("socket")
    except ImportError:
        return False


def spawn(fn, *args):
    if _gevent_active():
        import gevent  # only reached under gevent: importing it elsewhere costs startup time
        return gevent.spawn(fn, *args)
    fn(*args)
    return None


def join(task):
    if task is not None:
        task.join()
        if task.exception is not None:
            raise task.exception


class _Deferred:
    """fn(*args) on its own greenlet once `delay` has passed, unless settle() runs it first."""

    def __init__(self, delay, fn, args):
        import gevent  # only reached under gevent: importing it elsewhere costs startup time
        self._fn, self._args = fn, args
        self._state, self._error = "pending", None
        self._greenlet = gevent.spawn_later(delay, self._run)

    def _run(self):
        if self._state != "pending":
            return
        self._state = "running"
        try:
            self._fn(*self._args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in settle(), on the caller
            self._error = exc
        finally:
            self._state = "done"
            self._fn = self._args = None   # the request body goes now, not at the next GC

    def settle(self):
        if self._state == "pending":
            self._greenlet.kill(block=False)   # not started: cancelled, it will not run
            self._greenlet = None              # it and this object refer to each other
            self._run()
        elif self._state == "running":
            self._greenlet.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def defer(delay, fn, *args):
    """Run fn(*args) after `delay` seconds while the caller waits on I/O (gevent), or at once
    (threads). settle(task) runs it now if it has not started and waits for it to end.

    For work that must overlap a slow wait but must not delay a fast one: a greenlet that is
    merely spawned runs at the caller's first wait, however short, and the caller resumes only
    when it is done."""
    if _gevent_active():
        return _Deferred(delay, fn, args)
    fn(*args)
    return None


def settle(task):
    if task is not None:
        task.settle()


class _Watcher:
    """Waits for the client to close its side; then calls on_close (closing the upstream
    response, which wakes the relaying greenlet with an error)."""

    def __init__(self, sock, on_close):
        import gevent  # only reached under gevent: importing it elsewhere costs startup time
        self.client_gone = False
        self._sock = sock
        self._on_close = on_close
        self._greenlet = gevent.spawn(self._run)

    def _run(self):
        try:
            data = self._sock.recv(1, socket.MSG_PEEK)
        except OSError:
            data = b""
        if not data:  # b"" is EOF; pipelined bytes mean the client is alive and waiting
            self.client_gone = True
            self._on_close()

    def stop(self):
        # Synchronously: the connection may carry a next request, and only one greenlet may
        # wait on a socket at a time.
        self._greenlet.kill(block=True)


def watch_client(sock, on_close):
    if sock is None or not _gevent_active():
        return None
    return _Watcher(sock, on_close)


def stop(watcher):
    if watcher is not None:
        watcher.stop()
