"""pytest plugin (entry point `pytest11`): fixtures for tests of code that calls the Novita API.

- `novita_mock_server` (session): one novita-mock for the whole run, started from NOVITA_MOCK_BIN,
  `novita-mock` on PATH, or the container image NOVITA_MOCK_IMAGE through docker/podman.
- `novita_mock` (function): a `MockHandle` on that server for one test, with its own tenant
  (API key) and test id (`X-Test-Id`), so tests do not see each other's tasks, journal or faults;
  what the test added is removed after it.
- `novita_mock_fresh` (function): a server of its own for one test, for options that apply to a
  whole process (`@pytest.mark.novita_mock_args("--clock", "virtual")`).

Extra server options: the ini option `novita_mock_args` or `--novita-mock-args="--speed 0"`.
"""

import re
import shlex

import pytest

from .server import MockServer


def pytest_addoption(parser):
    parser.addoption("--novita-mock-args", default=None, help="extra novita-mock options, one shell string")
    parser.addini("novita_mock_args", "extra novita-mock options, one shell string", default="--speed 0")


def pytest_configure(config):
    config.addinivalue_line("markers", "novita_mock_args(*options): options of the novita_mock_fresh server")


def _arguments(config):
    given = config.getoption("--novita-mock-args")
    return shlex.split(given if given is not None else config.getini("novita_mock_args"))


def _test_id(node):
    return re.sub(r"[^A-Za-z0-9_.:/\[\]-]", "_", node.nodeid)[:200]


@pytest.fixture(scope="session")
def novita_mock_server(request):
    server = MockServer(*_arguments(request.config)).start()
    yield server
    server.stop()


@pytest.fixture
def novita_mock(novita_mock_server, request):
    handle = novita_mock_server.handle(test_id=_test_id(request.node))
    yield handle
    handle.cleanup()


@pytest.fixture
def novita_mock_fresh(request):
    marker = request.node.get_closest_marker("novita_mock_args")
    arguments = _arguments(request.config) + (list(marker.args) if marker else [])
    server = MockServer(*arguments).start()
    handle = server.handle(test_id=_test_id(request.node))
    handle.server = server
    yield handle
    server.stop()
