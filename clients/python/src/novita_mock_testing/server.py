"""Starting novita-mock and talking to its control plane, with the standard library only."""

import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


class MockError(RuntimeError):
    """The mock could not be started, or a control-plane call did not answer 2xx."""


def find_binary():
    """The novita-mock executable: NOVITA_MOCK_BIN, else `novita-mock` on PATH, else None."""
    configured = os.environ.get("NOVITA_MOCK_BIN")
    if configured:
        path = pathlib.Path(configured).expanduser()
        if not path.exists():
            raise MockError(f"NOVITA_MOCK_BIN={configured} does not exist")
        return str(path.resolve())
    return shutil.which("novita-mock")


def _container_engine():
    for name in (os.environ.get("NOVITA_MOCK_ENGINE"), "docker", "podman"):
        if name and shutil.which(name):
            return name
    return None


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MockServer:
    """One novita-mock: the binary on `--port 0` (the port it picked is read from its log), or,
    when no binary is found, the container image NOVITA_MOCK_IMAGE (default `novita-mock`) through
    docker or podman on a free port. `url` is its base URL once `start()` returned."""

    def __init__(self, *arguments, binary=None, image=None, startup_timeout_s=60):
        self.arguments = list(arguments)
        self.binary = binary
        self.image = image or os.environ.get("NOVITA_MOCK_IMAGE", "novita-mock")
        self.startup_timeout_s = startup_timeout_s
        self.process = None
        self.container = None
        self.engine = None
        self.url = None
        self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_):
        self.stop()

    def start(self):
        binary = self.binary or find_binary()
        if binary:
            self._start_binary(binary)
        else:
            self.engine = _container_engine()
            if not self.engine:
                raise MockError(
                    "no novita-mock: set NOVITA_MOCK_BIN, put novita-mock on PATH, or install docker or podman "
                    "(image NOVITA_MOCK_IMAGE, default novita-mock)")
            self._start_container()
        self.wait_ready()
        return self

    def _start_binary(self, binary):
        self._log = tempfile.NamedTemporaryFile(prefix="novita-mock-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", *self.arguments],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            match = re.search(r"url=(http://\S+)", self.log())
            if match:
                self.url = match.group(1)
                return
            if self.process.poll() is not None:
                raise MockError(f"novita-mock exited with status {self.process.returncode}:\n{self.log()}")
            time.sleep(0.02)
        self.stop()
        raise MockError(f"novita-mock did not log its port within {self.startup_timeout_s} s")

    def _start_container(self):
        port = _free_port()
        done = subprocess.run(
            [self.engine, "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8080", self.image, *self.arguments],
            capture_output=True, text=True)
        if done.returncode != 0:
            raise MockError(f"{self.engine} run {self.image} failed: {done.stderr.strip()}")
        self.container = done.stdout.strip()
        self.url = f"http://127.0.0.1:{port}"

    def wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/__mock/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.02)
        raise MockError(f"novita-mock at {self.url} was not ready within {self.startup_timeout_s} s:\n{self.log()}")

    def log(self):
        if self._log:
            return pathlib.Path(self._log.name).read_text(errors="replace")
        if self.container:
            return subprocess.run([self.engine, "logs", self.container], capture_output=True, text=True).stdout
        return ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.container:
            subprocess.run([self.engine, "rm", "-f", self.container], capture_output=True)
            self.container = None
        if self._log:
            self._log.close()
            pathlib.Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def handle(self, test_id=None, api_key=None):
        """A `MockHandle` on this server for one test (its own tenant and test id)."""
        return MockHandle(self.url, test_id=test_id, api_key=api_key)


class MockHandle:
    """The control plane of a running mock, as one test sees it (docs/control-plane.md).

    A handle with a `test_id` has its own tenant (an API key derived from the test id, unless one
    is given) and sends `X-Test-Id`; `journal()` and `add_fault()` are scoped to it, and
    `cleanup()` removes what it added. Use `api_key`/`headers` in your own client."""

    def __init__(self, url, test_id=None, api_key=None, admin_token=None):
        self.url = url.rstrip("/")
        self.test_id = test_id
        digest = hashlib.sha256((test_id or "shared").encode()).hexdigest()[:16]
        self.api_key = api_key or f"test-{digest}"
        self.admin_token = admin_token or os.environ.get("NOVITA_MOCK_ADMIN_TOKEN")
        self._fault_ids = []

    @property
    def headers(self):
        """What a client of this test sends: its key and its test id."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.test_id:
            headers["X-Test-Id"] = self.test_id
        return headers

    def client(self):
        """The official SDK (`novita_client.NovitaClient`) pointed at the mock, with this test's key
        and test id."""
        from novita_client import NovitaClient

        client = NovitaClient(self.api_key, base_url=self.url)
        if self.test_id:
            client.session.headers["X-Test-Id"] = self.test_id
        return client

    # --- HTTP -----------------------------------------------------------------------------------

    def request(self, method, path, body=None, query=None, headers=None):
        """One call; the JSON answer (or None for an empty body). Raises MockError past 2xx."""
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.admin_token and path.startswith("/__mock/"):
            request.add_header("Authorization", f"Bearer {self.admin_token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise MockError(f"{method} {path} answered {error.code}: {error.read()[:2000]!r}") from None
        return json.loads(text) if text.strip() else None

    # --- control plane --------------------------------------------------------------------------

    def ready(self):
        try:
            return self.request("GET", "/__mock/ready").get("status") == "ready"
        except (MockError, urllib.error.URLError, OSError):
            return False

    def reset(self, everything=False):
        """Forgets this tenant's tasks, journal, faults, rate-limit windows, trainings and uploaded
        assets, and restores its starting balance (every tenant's, and the shared assets, with
        `everything=True`)."""
        self._fault_ids.clear()
        return self.request("POST", "/__mock/reset", query=None if everything else {"api_key": self.api_key})

    def clock(self):
        return self.request("GET", "/__mock/clock")

    def freeze(self):
        """Virtual time: it moves only through `advance`."""
        return self.request("POST", "/__mock/clock", {"mode": "virtual"})

    def advance(self, ms=0, seconds=0):
        """Moves the mock's clock on: tasks, webhook retries and URL expiry follow at once."""
        return self.request("POST", "/__mock/clock", {"advance_ms": int(ms + seconds * 1000)})

    def set_clock(self, mode="real", scale=None):
        body = {"mode": mode}
        if scale is not None:
            body["scale"] = scale
        return self.request("POST", "/__mock/clock", body)

    def tasks(self, status=None, limit=None, all_tenants=False):
        query = {"status": status, "limit": limit}
        if not all_tenants:
            query["api_key"] = self.api_key
        return self.request("GET", "/__mock/tasks", query=query)

    def task(self, task_id):
        return self.request("GET", f"/__mock/tasks/{urllib.parse.quote(task_id)}")

    def force(self, task_id, outcome="complete", reason=None):
        """Finishes a task now: `complete` (SUCCEED) or `fail` (FAILED, with `reason`)."""
        if outcome not in ("complete", "fail"):
            raise ValueError(f"outcome must be 'complete' or 'fail', got {outcome!r}")
        body = {"reason": reason} if reason else None
        return self.request("POST", f"/__mock/tasks/{urllib.parse.quote(task_id)}/{outcome}", body)

    def complete(self, task_id):
        return self.force(task_id, "complete")

    def fail(self, task_id, reason=None):
        return self.force(task_id, "fail", reason)

    def journal(self, path=None, status=None, limit=1000, all_tests=False):
        """The requests the mock saw from this tenant (and this test, unless `all_tests`), oldest
        first."""
        query = {"api_key": self.api_key, "path": path, "status": status, "limit": limit}
        if self.test_id and not all_tests:
            query["test_id"] = self.test_id
        entries = self.request("GET", "/__mock/requests", query=query)["requests"]
        return sorted(entries, key=lambda entry: entry["sequence"])

    def add_fault(self, route, **rule):
        """Adds a fault rule (docs/control-plane.md), scoped to this tenant and test unless the rule
        names its own; removed again by `cleanup()`. Returns the rule as the mock keeps it."""
        body = {"route": route, "api_key": self.api_key, **rule}
        if self.test_id:
            body.setdefault("test_id", self.test_id)
        added = self.request("POST", "/__mock/faults", body)
        fault_id = (added or {}).get("id") or (added or {}).get("rule", {}).get("id")
        if fault_id:
            self._fault_ids.append(fault_id)
        return added

    def faults(self):
        return self.request("GET", "/__mock/faults")

    def clear_faults(self):
        """Removes this tenant's fault rules."""
        self._fault_ids.clear()
        return self.request("DELETE", "/__mock/faults", query={"api_key": self.api_key})

    def set_balance(self, usd=None, credits=None, key_prefix=None):
        """Sets a tenant's credit balance (this test's by default): `usd`, or `credits` in units of
        0.0001 USD as GET /v3/user reports them."""
        if (usd is None) == (credits is None):
            raise ValueError("give usd or credits, not both")
        body = {"balance_usd": usd} if usd is not None else {"credit_balance": int(credits)}
        prefix = urllib.parse.quote(key_prefix or self.api_key, safe="")
        return self.request("POST", f"/__mock/tenants/{prefix}/balance", body)

    def cleanup(self):
        """Removes the fault rules this handle added (other tests' rules stay)."""
        for fault_id in self._fault_ids:
            try:
                self.request("DELETE", f"/__mock/faults/{urllib.parse.quote(fault_id, safe='')}")
            except MockError:
                pass
        self._fault_ids.clear()
