"""The proxy fixtures (a fake upstream and a real relay serve) for tests that fill the DB through it."""
from tests.proxy.conftest import relay, upstream  # noqa: F401  (pytest fixtures)
from tests.web.conftest import history_relay  # noqa: F401,E402  (pytest fixture)
