"""Fixtures for the pages, the SSE stream and the browser tests.

`app`/`client` build the Flask app in-process over the isolated store (fast, for headers and
rendering); `upstream` and `relay` (a real `relay serve` subprocess in front of the fake
upstream) are the proxy tests' own fixtures, reused here.
"""
import pytest

from tests.proxy.conftest import relay, upstream  # noqa: F401  (fixtures reused, not redefined)


@pytest.fixture
def app(store):
    from relay import config
    from relay.bus import Bus
    from relay.web.app import create_app

    return create_app(config.load({}), store, Bus(), upstream=None)   # page tests send no proxy traffic


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def history_relay(upstream):
    """`relay serve --history`: pages then have compositions and last prompts to show."""
    from tests.relay_process import RelayProcess
    process = RelayProcess(upstream.url, "--history").start()
    yield process
    process.stop()
