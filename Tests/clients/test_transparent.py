"""Transparent mode (docs/transparent.md): clients with Novita's host names built in, run
unmodified against the mock.

- curl with --resolve and the mock's CA reaches https://api.novita.ai:<port>; another CA is refused;
  plain HTTP goes on working beside it.
- As root, in a throwaway network and mount namespace (unshare -n -m): /etc/hosts maps Novita's
  names to 127.0.0.1, the default CA bundles (system and certifi) hold only the mock's CA, the
  mock serves HTTPS on 443, and the unmodified cnovita CLI and the
  official SDK's upload_assets talk to https://api.novita.ai and https://assets.novitai.com
  (transparent_driver.py). Skipped, saying why, where unshare is not permitted.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import clientkit

CLIENTS_DIR = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    done = subprocess.run(
        [str(clientkit.mock_binary()), "tls", "init", str(directory)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return directory


def test_tls_init_writes_a_ca_and_a_server_certificate_with_private_keys(tls_dir):
    for name in ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem"]:
        assert (tls_dir / name).read_text().startswith("-----BEGIN ")
    assert (tls_dir / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (tls_dir / "server-key.pem").stat().st_mode & 0o777 == 0o600
    if shutil.which("openssl"):
        text = subprocess.run(["openssl", "x509", "-in", str(tls_dir / "server.pem"), "-noout", "-text"],
                              capture_output=True, text=True, check=True).stdout
        for name in ["api.novita.ai", "assets.novitai.com", "faas-output-image.s3.ap-southeast-1.amazonaws.com"]:
            assert f"DNS:{name}" in text
        verify = subprocess.run(["openssl", "verify", "-CAfile", str(tls_dir / "ca.pem"), str(tls_dir / "server.pem")],
                                capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.fixture(scope="module")
def tls_mock(tls_dir):
    server = clientkit.MockServer(
        "--speed", "0", "--tls-cert", str(tls_dir / "server.pem"), "--tls-key", str(tls_dir / "server-key.pem"),
        "--tls-port", "0").start()
    for _ in range(200):
        match = re.search(r"tls_port=(\d+)", server.log())
        if match:
            break
        import time
        time.sleep(0.05)
    assert match, server.log()
    server.tls_port = int(match.group(1))
    yield server
    server.stop()


def curl(tls_mock, ca_file, path):
    port = tls_mock.tls_port
    return subprocess.run(
        ["curl", "-sS", "--resolve", f"api.novita.ai:{port}:127.0.0.1", "--cacert", str(ca_file),
         "-H", "Authorization: Bearer curl-key", "-H", "Content-Type: application/json",
         *path[1:], f"https://api.novita.ai:{port}{path[0]}"],
        capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_curl_trusts_the_mock_ca_refuses_another_and_plain_http_still_works(tls_mock, tls_dir, tmp_path):
    submitted = curl(tls_mock, tls_dir / "ca.pem", ["/v3/async/txt2img", "-d", json.dumps({
        "request": {"model_name": "sd_xl_base_1.0.safetensors", "prompt": "a lighthouse", "width": 256,
                    "height": 256, "image_num": 1, "steps": 4, "guidance_scale": 7, "sampler_name": "Euler a"}})])
    assert submitted.returncode == 0, submitted.stderr
    task_id = json.loads(submitted.stdout)["task_id"]
    result = curl(tls_mock, tls_dir / "ca.pem", [f"/v3/async/task-result?task_id={task_id}"])
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["task"]["status"] == "TASK_STATUS_SUCCEED"
    url = body["images"][0]["image_url"]
    # The image URL names the storage host over https on the port the client used.
    assert url.startswith(f"https://faas-output-image.s3.ap-southeast-1.amazonaws.com:{tls_mock.tls_port}/"), url
    image = subprocess.run(
        ["curl", "-sS", "-o", str(tmp_path / "image"), "-w", "%{http_code}", "--cacert", str(tls_dir / "ca.pem"),
         "--resolve", f"faas-output-image.s3.ap-southeast-1.amazonaws.com:{tls_mock.tls_port}:127.0.0.1", url],
        capture_output=True, text=True, timeout=60)
    assert image.stdout == "200", image.stderr
    assert clientkit.decode((tmp_path / "image").read_bytes()).size == (256, 256)

    other = tmp_path / "other"
    done = subprocess.run([str(clientkit.mock_binary()), "tls", "init", str(other)], capture_output=True, timeout=60)
    assert done.returncode == 0
    refused = curl(tls_mock, other / "ca.pem", [f"/v3/async/task-result?task_id={task_id}"])
    assert refused.returncode == 60, f"curl accepted a certificate from another CA: {refused.stdout}"

    plain = subprocess.run(["curl", "-sS", f"{tls_mock.url}/__mock/ready"], capture_output=True, text=True, timeout=30)
    assert json.loads(plain.stdout)["status"] == "ready"


def unshare_problem():
    """Why the namespace test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (unshare -n -m and mount --bind), as CI runs it"
    for tool in ["unshare", "ip", "mount"]:
        if not shutil.which(tool):
            return f"{tool} is not installed"
    try:
        probe = subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        return f"unshare failed: {error}"
    if probe.returncode != 0:
        return f"unshare -n -m is not permitted here: {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="module")
def transparent_run(tls_dir, tmp_path_factory):
    """One run of transparent_driver.py in its own namespaces: (report, work directory)."""
    problem = unshare_problem()
    if problem:
        pytest.skip(f"transparent mode namespace test skipped: {problem}")
    work = tmp_path_factory.mktemp("transparent")
    shutil.copytree(tls_dir, work / "tls")
    (work / "input.png").write_bytes(clientkit.encode(clientkit.picture(256, 192)))
    done = subprocess.run(
        ["unshare", "-n", "-m", sys.executable, str(CLIENTS_DIR / "transparent_driver.py"),
         str(clientkit.mock_binary()), str(work)],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in report, report["error"]
    return report, work


def test_the_unmodified_cnovita_cli_reaches_the_mock_under_novitas_names(transparent_run):
    report, work = transparent_run
    steps = [step for step in report["steps"] if step["name"] != "account balance"]
    for step in steps:
        assert step["returncode"] == 0, (
            f"cnovita {step['name']} failed:\n{step['stdout']}\n{step['stderr']}\n{report['mock_log']}")
    assert [step["name"] for step in steps] == [
        "image generate", "image remove-bg", "image generate --no-wait", "task wait"]

    generated = sorted((work / "generate").glob("novita_img_*"))
    assert len(generated) == 1
    assert clientkit.decode(generated[0].read_bytes()).size == (256, 192)
    assert clientkit.decode((work / "remove-bg" / "nobg.png").read_bytes()).size == (256, 192)
    waited = sorted((work / "wait").glob("task_*_0.*"))
    assert len(waited) == 1 and clientkit.decode(waited[0].read_bytes()).size == (256, 256)

    # Every request reached the mock under a Novita name; images came from the storage host.
    hosts = {json.dumps(entry["headers"]) for entry in report["journal"]}
    assert any("api.novita.ai" in h for h in hosts)
    assert any("faas-output-image.s3.ap-southeast-1.amazonaws.com" in h for h in hosts), report["journal"]


def test_cnovita_account_balance_reads_the_mock(transparent_run):
    report, _ = transparent_run
    if report["user_probe"] == "404":
        pytest.skip("GET /v3/user answers 404 (not served yet); `cnovita account balance` runs once it is")
    step = next(step for step in report["steps"] if step["name"] == "account balance")
    assert step["returncode"] == 0, step["stdout"] + step["stderr"]
    assert "Credit Balance: $" in step["stdout"]


def test_the_sdks_upload_assets_reaches_the_assets_host(transparent_run):
    report, _ = transparent_run
    if report["assets_probe"] == "404":
        pytest.skip("the assets host answers 404 for PUT /image (the route is not served yet); "
                    "upload_assets runs and is checked once it is")
    upload = report["upload_assets"]
    assert upload["returncode"] == 0, upload["stderr"]
    ids = json.loads(upload["stdout"])
    assert len(ids) == 1 and ids[0]
