#!/usr/bin/env python3
"""Runs inside a throwaway network and mount namespace (`unshare -n -m`, as root): maps Novita's
host names to 127.0.0.1 with a bind-mounted /etc/hosts, makes the default CA bundles trust only
the mock's CA, starts the mock serving HTTPS on 443 with the certificate `novita-mock tls init` made, and runs unmodified clients against
https://api.novita.ai — the cnovita CLI and the official SDK's upload_assets. Prints one JSON
object (what each client did) for test_transparent.py to judge.

    unshare -n -m python3 transparent_driver.py NOVITA_MOCK_BIN WORKDIR
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
import urllib.request

NOVITA_NAMES = [
    "api.novita.ai",
    "assets.novitai.com",
    "faas-output-image.s3.ap-southeast-1.amazonaws.com",
    "faas-output-video.s3.ap-southeast-1.amazonaws.com",
]


def cnovita_command():
    """The CLI as installed (its console script), else its entry point: never patched."""
    installed = shutil.which("cnovita")
    if installed:
        return [installed]
    return [sys.executable, "-c", "import sys; from cnovita.novita_cli import main; sys.argv[0] = 'cnovita'; main()"]


def main():
    binary, work = sys.argv[1], pathlib.Path(sys.argv[2])
    tls = work / "tls"
    report = {"steps": []}

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = work / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1 " + " ".join(NOVITA_NAMES) + "\n")
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
    # The CA bundles the clients read by default (the system's, and certifi's, which requests
    # uses) hold only the mock's CA: the clients run with no CA setting of their own, and a
    # request that escaped to the real Novita would fail verification.
    bundles = ["/etc/ssl/certs/ca-certificates.crt"]
    try:
        import certifi
        bundles.append(certifi.where())
    except ImportError:
        pass
    for bundle in bundles:
        if os.path.exists(bundle):
            subprocess.run(["mount", "--bind", str(tls / "ca.pem"), bundle], check=True)

    log_path = work / "mock.log"
    with open(log_path, "w") as log:
        mock = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "8080", "--speed", "0",
             "--tls-cert", str(tls / "server.pem"), "--tls-key", str(tls / "server-key.pem"), "--tls-port", "443"],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "listening (https)" not in log_path.read_text(errors="replace"):
            if mock.poll() is not None or time.monotonic() > deadline:
                report["error"] = "the mock did not start:\n" + log_path.read_text(errors="replace")
                print(json.dumps(report))
                return
            time.sleep(0.05)

        environment = {
            name: value for name, value in os.environ.items()
            if name not in ("CNOVITA_BASE_URL", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")}
        environment["NOVITA_API_KEY"] = "transparent-key"

        def run(name, arguments, directory):
            directory.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                cnovita_command() + arguments, cwd=directory, env=environment, capture_output=True, text=True,
                timeout=120)
            report["steps"].append({
                "name": name, "returncode": done.returncode, "stdout": done.stdout[-3000:],
                "stderr": done.stderr[-3000:],
                "files": sorted(str(p.relative_to(work)) for p in directory.iterdir()),
            })
            return done

        run("image generate", ["image", "generate", "a lighthouse", "-W", "256", "-H", "192"], work / "generate")
        picture = work / "picture.png"
        shutil.copy(work / "input.png", picture)
        run("image remove-bg", ["image", "remove-bg", str(picture), "-o", "nobg.png"], work / "remove-bg")
        submitted = run("image generate --no-wait", ["image", "generate", "a harbour", "-W", "256", "-H", "256",
                                                    "--no-wait"], work / "wait")
        task = re.search(r"Task ID: (\S+)", submitted.stdout)
        if task:
            run("task wait", ["task", "wait", task.group(1)], work / "wait")

        # `account balance` reads GET /v3/user, where this mock serves it.
        user = subprocess.run(
            [sys.executable, "-c",
             "import requests; print(requests.get('https://api.novita.ai/v3/user',"
             " headers={'Authorization': 'Bearer transparent-key'}).status_code)"],
            env=environment, capture_output=True, text=True, timeout=60)
        report["user_probe"] = user.stdout.strip() or user.stderr[-2000:]
        if report["user_probe"] != "404":
            run("account balance", ["account", "balance"], work / "account")

        # The assets host: the SDK's upload_assets PUTs to https://assets.novitai.com/image.
        probe = subprocess.run(
            [sys.executable, "-c",
             "import requests, sys; r = requests.put('https://assets.novitai.com/image', data=b'probe',"
             " headers={'Content-type': 'image/jpeg'}); print(r.status_code)"],
            env=environment, capture_output=True, text=True, timeout=60)
        report["assets_probe"] = probe.stdout.strip() or probe.stderr[-2000:]
        if probe.stdout.strip() != "404":
            upload = subprocess.run(
                [sys.executable, "-c",
                 "import json, sys; from novita_client import NovitaClient;"
                 " print(json.dumps(NovitaClient('transparent-key').upload_assets([sys.argv[1]])))", str(picture)],
                env=environment, capture_output=True, text=True, timeout=120)
            report["upload_assets"] = {
                "returncode": upload.returncode, "stdout": upload.stdout.strip(), "stderr": upload.stderr[-3000:]}

        with urllib.request.urlopen("http://127.0.0.1:8080/__mock/requests?limit=1000") as response:
            report["journal"] = [
                {"method": e["method"], "path": e["path"], "status": e["status"], "headers": e.get("headers")}
                for e in json.load(response)["requests"]]
    finally:
        mock.terminate()
        mock.wait(timeout=15)
        report["mock_log"] = log_path.read_text(errors="replace")[-4000:]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
