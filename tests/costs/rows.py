"""Exchange rows at controlled timestamps, written through relay.store like the proxy writes them."""
import itertools

from relay.models import Exchange, Usage
from relay.store.writes import record_exchange_finish

_ids = itertools.count()


def add(store, ts, status=200, session_id=None, ratelimit=None, error=None, outcome=None, **usage):
    """One finished exchange; `usage` takes Usage field names (input_tokens=..., ...)."""
    ex = Exchange(id=f"ex-{next(_ids)}", ts=ts, provider="anthropic", method="POST", path="/v1/messages",
                  model="claude-opus-4-6", session_id=session_id, status=status, usage=Usage(**usage),
                  outcome=outcome or ("ok" if status < 400 else "upstream_error"), error=error,
                  ratelimit=ratelimit or {})
    store.write(record_exchange_finish(ex))
    return ex
