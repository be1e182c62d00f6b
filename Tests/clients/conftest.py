"""Fixtures of the client tests: one mock server for the whole pytest run, started from the built
binary (NOVITA_MOCK_BIN, default .build/debug/novita-mock) on a free port."""

import pytest
from novita_client import NovitaClient

import clientkit


@pytest.fixture(scope="session")
def mock():
    """Finishes every task at submit (--speed 0): the tests look at what the clients get."""
    server = clientkit.MockServer("--speed", "0").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mock_real_speed():
    """The default speed and the real clock: tasks take their modelled time, so the SDK's own
    polling loop has QUEUED and PROCESSING answers to go through."""
    server = clientkit.MockServer().start()
    yield server
    server.stop()


@pytest.fixture
def sdk(mock):
    return NovitaClient("sdk-key", base_url=mock.url)
