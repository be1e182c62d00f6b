"""Test kit for novita-mock: start the mock (binary or container) on a free port and drive its
control plane (`/__mock/…`) from tests. The pytest plugin (`novita_mock_testing.plugin`) builds
its fixtures on `MockServer` and `MockHandle`."""

from .server import MockError, MockHandle, MockServer, find_binary

__all__ = ["MockError", "MockHandle", "MockServer", "find_binary"]
