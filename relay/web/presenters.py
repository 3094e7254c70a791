"""The only code that shapes view data: API, pages, SSE fragments, MCP and `relay top` use it."""
import time

from relay import __version__


def exchange(ex):
    """One recorded request as every reader shows it."""
    return ex.to_dict()


def health(settings, store_path, started_at, counts, upstreams):
    return {
        "version": __version__,
        "uptime_s": round(time.time() - started_at, 3),
        "db_path": str(store_path),
        "upstream": upstreams,
        "counts": counts,
    }
