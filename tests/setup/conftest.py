"""The proxy fixtures (a fake upstream and a real relay serve) for tests that fill the DB through it."""
from tests.proxy.conftest import relay, upstream  # noqa: F401  (pytest fixtures)
