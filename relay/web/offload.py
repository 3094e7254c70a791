"""Work that must not run on the serving loop: under gevent every request, proxying included, shares
one OS thread, so a page that parses session files (the session index refresh behind
/api/v1/cost) or sums a large table (the dashboard, /metrics) would stall every stream for as long
as it takes, and a file that blocks would stall them for ever. Such work runs on gevent's thread
pool, and its page waits at most `timeout` seconds for it: past that it answers 503 with a
message; the work goes on in its thread (the next request finds the index further along). Under
waitress each request already has its own thread, and outside a served relay (the CLI, tests) the
work runs inline.
"""
import functools
import threading

from flask import copy_current_request_context

from relay.errors import RelayError

TIMEOUT = 30.0
_worker = threading.local()    # set on a pool thread: work it starts runs inline, never queued again


def _patched():
    try:
        from gevent import monkey  # only a served relay is patched
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def off_loop(fn, *args, timeout=TIMEOUT, what="this query"):
    if getattr(_worker, "active", False) or not _patched():
        return fn(*args)
    import gevent  # reached only under gevent (see above)

    def run():
        _worker.active = True
        try:
            return fn(*args)
        finally:
            _worker.active = False
    task = gevent.get_hub().threadpool.spawn(run)
    try:
        return task.get(timeout=timeout)
    except gevent.Timeout:
        raise RelayError(f"{what} took longer than {timeout:.0f}s; it goes on in the background, try again",
                         status=503) from None


def offloaded(what):
    """A view whose whole work (queries and rendering) runs off the serving loop, with its request
    context carried to the pool thread."""
    def wrap(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            return off_loop(copy_current_request_context(lambda: view(*args, **kwargs)), what=what)
        return run
    return wrap
