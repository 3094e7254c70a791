"""The proxy fixtures (a fake upstream and a real `relay serve`) for the live-view tests."""
from tests.proxy.conftest import relay, upstream  # noqa: F401  (pytest fixtures)
