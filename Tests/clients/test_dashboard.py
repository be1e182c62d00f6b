"""The dashboard /__mock/ui in Debian's headless Chromium, driven over the DevTools protocol (a
websocket, websocket-client from PyPI): the page loads from the mock alone, a task submitted
through the API appears, finishes after the page's own clock button and shows its thumbnail; a
fault rule added through the page's form makes the next request fail; the journal shows the
refusal; the endpoint catalog's "Try it" form submits the documented example; and nothing is
logged to the console as an error. With --admin-token the page asks for the token once.

Screenshots (1366×800) go to a temporary folder, or to NOVITA_MOCK_UI_SCREENSHOTS when set
(`NOVITA_MOCK_UI_SCREENSHOTS=docs` refreshes the README's docs/ui-*.png). Skipped, saying why,
where Chromium or websocket-client is not installed (scripts/install-test-tools installs both)."""

import base64
import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import clientkit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
websocket = pytest.importorskip(
    "websocket", reason="websocket-client is not installed (scripts/install-test-tools installs it)")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install-test-tools)")

TXT2IMG = {"request": {"model_name": "sd_xl_base_1.0.safetensors", "prompt": "a lighthouse at dusk", "width": 512,
                       "height": 384, "image_num": 1, "steps": 20, "seed": 7, "guidance_scale": 7.5,
                       "sampler_name": "Euler a"}}

CLIP = {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 320, "height": 256, "steps": 20, "seed": 11,
        "prompts": [{"prompt": "a lighthouse at dusk", "frames": 16}]}


class Browser:
    """One headless Chromium with one page, spoken to over the DevTools protocol."""

    def __init__(self, width=1366, height=800):
        self.profile = tempfile.mkdtemp(prefix="novita-mock-chromium-")
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        endpoint = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and endpoint is None:
            line = self.process.stderr.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError("chromium exited before it listened for DevTools")
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                endpoint = match.group(1)
        if endpoint is None:
            raise RuntimeError("chromium did not start DevTools within 60 s")
        port = re.search(r":(\d+)/", endpoint).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as response:
            page = next(t for t in json.load(response) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.events = []
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method, params=None):
        id = next(self.ids)
        self.socket.send(json.dumps({"id": id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout_s=30, what=None):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what or expression}")

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})
        self.wait_for("window.dashboardReady === true", what="the dashboard to start")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))

    def console_errors(self):
        """Errors the page logged, threw, or Chromium reported about it (failed loads, CSP)."""
        errors = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(("console", [a.get("value", a.get("description")) for a in params.get("args", [])]))
            elif method == "Runtime.exceptionThrown":
                errors.append(("exception", params["exceptionDetails"].get("exception", {}).get("description")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(("log", params["entry"].get("text"), params["entry"].get("url")))
        return errors

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.kill()
            self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser():
    instance = Browser()
    yield instance
    instance.close()


@pytest.fixture
def screenshots(tmp_path):
    configured = os.environ.get("NOVITA_MOCK_UI_SCREENSHOTS")
    folder = pathlib.Path(configured) if configured else tmp_path
    if not folder.is_absolute():
        folder = clientkit.REPO_ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def post(mock, path, body, key="dash-key", test_id=None):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    if test_id:
        headers["X-Test-Id"] = test_id
    request = urllib.request.Request(f"{mock.url}{path}", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def set_fields(browser, form, values):
    """Types into a form's fields the way a user would (value + input event), then submits it."""
    browser.evaluate(f"""(() => {{
      const form = document.querySelector({json.dumps(form)});
      for (const [name, value] of Object.entries({json.dumps(values)})) {{
        const field = form.elements[name];
        if (field.type === "checkbox") field.checked = value; else field.value = value;
        field.dispatchEvent(new Event("input", {{ bubbles: true }}));
      }}
      form.requestSubmit();
    }})()""")


def test_the_dashboard_follows_a_task_adds_a_fault_and_tries_an_endpoint(browser, screenshots):
    mock = clientkit.MockServer("--clock", "virtual").start()
    try:
        browser.navigate(f"{mock.url}/__mock/ui")
        assert browser.evaluate("document.title") == "novita-mock dashboard"
        # A second tenant's finished tasks (a clip among them) fill the list, as a real run would.
        status, body = post(mock, "/v3/async/txt2video", CLIP, key="ci-runner")
        assert status == 200, body
        clip = body["task_id"]
        for seed in (1, 2, 3):
            post(mock, "/v3/async/txt2img", {**TXT2IMG, "request": {**TXT2IMG["request"], "seed": seed}}, key="ci-runner")
        post(mock, "/__mock/clock", {"advance_ms": 600_000})

        status, body = post(mock, "/v3/async/txt2img", TXT2IMG)
        assert status == 200, body
        task = body["task_id"]
        row = f'document.querySelector(\'tr[data-task="{task}"]\')'
        browser.wait_for(f"{row} !== null", what="the task's row")
        assert browser.evaluate(f"{row}.dataset.status") in ("QUEUED", "PROCESSING")

        # The page's own clock button moves the virtual clock; the task finishes in the page.
        browser.evaluate('document.querySelector("[data-advance=\\"60000\\"]").click()')
        browser.wait_for(f"{row}.dataset.status === 'SUCCEED'", what="the task to succeed in the page")
        width = browser.wait_for(f"{row}.querySelector('img.thumb')?.naturalWidth", what="the thumbnail to load")
        assert width == 512
        clip_row = f'document.querySelector(\'tr[data-task="{clip}"]\')'
        browser.wait_for(f"{clip_row}.querySelector('video.thumb')?.readyState >= 1", what="the clip's preview")

        # Others in every state: failed (forced), processing, queued.
        _, body = post(mock, "/v3/async/txt2img", TXT2IMG, key="ci-runner")
        post(mock, f"/__mock/tasks/{body['task_id']}/fail", {"reason": "CUDA out of memory"})
        post(mock, "/v3/async/txt2img", TXT2IMG, key="ci-runner")
        post(mock, "/__mock/clock", {"advance_ms": 700})
        post(mock, "/v3/async/txt2img", TXT2IMG, key="ci-runner")
        for state in ("FAILED", "PROCESSING", "QUEUED"):
            browser.wait_for(f"document.querySelector('tr[data-status=\"{state}\"]') !== null", what=f"a {state} row")
        browser.evaluate(f"{row}.querySelector('button.link').click()")
        browser.wait_for("document.querySelector('#task-detail pre')?.textContent.includes('a lighthouse at dusk')",
                         what="the task's request in the detail panel")
        browser.wait_for("document.querySelector('#task-detail .outputs img')?.naturalWidth > 0",
                         what="the full-size output")
        assert "image_url" in browser.evaluate("document.querySelectorAll('#task-detail pre')[1].textContent")
        browser.screenshot(screenshots / "ui-tasks.png")

        # A fault rule through the form: the next submit fails with it, then the rule is spent.
        browser.evaluate("document.querySelector('#tab-faults').click()")
        set_fields(browser, "#fault-form", {"route": "/v3/async/txt2img", "status": "503", "times": "1",
                                            "id": "gpu-outage"})
        browser.wait_for("document.querySelector('#faults-table tbody')?.textContent.includes('gpu-outage')",
                         what="the new rule in the table")
        status, body = post(mock, "/v3/async/txt2img", TXT2IMG, test_id="t-fault")
        assert status == 503, body
        assert "gpu-outage" in body["message"]
        browser.wait_for("!document.querySelector('#faults-table tbody')?.textContent.includes('gpu-outage')",
                         what="the spent rule to leave the table")

        # A refused body: the journal shows it in red with its violations marked.
        status, body = post(mock, "/v3/async/txt2img", {"request": {**TXT2IMG["request"], "steps": 500, "width": 13}},
                            test_id="t-bad")
        assert status == 400, body
        browser.evaluate("document.querySelector('#tab-journal').click()")
        browser.wait_for("document.querySelectorAll('#journal-table tbody tr.refused').length >= 2",
                         what="the two refusals in the journal")
        refused = browser.evaluate(
            "[...document.querySelectorAll('#journal-table tbody tr.refused')].map(r => r.textContent)")
        assert any("503" in text and "t-fault" in text for text in refused), refused
        browser.evaluate("document.querySelector('#journal-table tbody tr.refused button.link').click()")
        marks = browser.wait_for(
            "[...document.querySelectorAll('#journal-detail .violations mark')].map(m => m.textContent)",
            what="the violations of the refused request")
        assert "request.steps" in marks and "request.width" in marks, marks
        browser.screenshot(screenshots / "ui-journal.png")

        # The endpoint catalog: "Try it" submits txt2img's documented example.
        browser.evaluate("document.querySelector('#tab-endpoints').click()")
        browser.wait_for("document.querySelectorAll('#endpoints-table tbody tr').length >= 10",
                         what="the endpoint catalog")
        browser.evaluate("""[...document.querySelectorAll('#endpoints-table tbody tr')]
            .find(r => r.textContent.includes('POST /v3/async/txt2img')).querySelector('button').click()""")
        browser.evaluate("document.querySelector('#endpoint-detail form').requestSubmit()")
        answer = browser.wait_for("document.querySelector('#endpoint-detail pre')?.textContent",
                                  what="the answer of the tried endpoint")
        assert '"task_id"' in answer, answer
        browser.screenshot(screenshots / "ui-endpoints.png")

        assert browser.console_errors() == []
    finally:
        mock.stop()


def test_with_an_admin_token_the_page_asks_for_it_once_and_keeps_it_for_the_tab(browser):
    mock = clientkit.MockServer("--admin-token", "s3cret-admin").start()
    try:
        browser.navigate(f"{mock.url}/__mock/ui")
        browser.wait_for("document.querySelector('#token-dialog').open", what="the token dialog")
        browser.evaluate("""(() => {
          const form = document.querySelector('#token-form');
          form.elements.token.value = 's3cret-admin';
          form.requestSubmit();
        })()""")
        browser.wait_for("document.querySelector('#health').textContent === 'connected'", what="the page to connect")
        assert browser.evaluate("sessionStorage.getItem('novita-mock-admin-token')") == "s3cret-admin"
        status, _ = post(mock, "/v3/async/txt2img", TXT2IMG)
        assert status == 200
        browser.wait_for("document.querySelectorAll('#tasks-table tbody tr').length === 1", what="the task's row")
        # A reload keeps the token: no second question.
        browser.navigate(f"{mock.url}/__mock/ui")
        browser.wait_for("document.querySelector('#health').textContent === 'connected'", what="the page to reconnect")
        assert not browser.evaluate("document.querySelector('#token-dialog').open")
        # The only error is Chromium's note of the first, unauthenticated call's 401.
        errors = browser.console_errors()
        assert len(errors) <= 1 and all("401" in str(error) for error in errors), errors
    finally:
        mock.stop()
