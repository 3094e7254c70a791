"""The proxy fixtures (a fake upstream and a real `relay serve`) for the status line tests."""
from tests.proxy.conftest import relay, upstream  # noqa: F401  (pytest fixtures)
