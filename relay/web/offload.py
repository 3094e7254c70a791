"""Work that must not run on the serving loop: under gevent every request, proxying included, shares
one OS thread, so a page that parses session files (the session index refresh behind
/api/v1/cost) would stall every stream for as long as it takes, and a file that blocks would
stall them for ever. Such work runs on gevent's thread pool, and its page waits at most `timeout`
seconds for it: past that it answers 503 with a message; the work goes on in its thread (the next
request finds the index further along). Under waitress each request already has its own thread.
"""
from relay.errors import RelayError

TIMEOUT = 30.0


def off_loop(fn, *args, timeout=TIMEOUT, what="this query"):
    try:
        from gevent import monkey  # only a served relay is patched; the CLI and tests run fn inline
        patched = monkey.is_module_patched("socket")
    except ImportError:
        patched = False
    if not patched:
        return fn(*args)
    import gevent  # reached only under gevent (see above)
    task = gevent.get_hub().threadpool.spawn(fn, *args)
    try:
        return task.get(timeout=timeout)
    except gevent.Timeout:
        raise RelayError(f"{what} took longer than {timeout:.0f}s; it goes on in the background, try again",
                         status=503) from None
