"""Every API test runs on SQLite, then on PostgreSQL (tests/conftest.py `backend`): the relay each
test starts reads RELAY_DATABASE_URL from the environment the fixture sets."""
import pytest


@pytest.fixture(autouse=True)
def _both_backends(backend):
    return backend
