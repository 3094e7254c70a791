"""The proxy tests' fixtures (a fake upstream, a real relay in front of it), shared, not copied."""
from tests.proxy.conftest import relay, upstream  # noqa: F401 - pytest fixtures
