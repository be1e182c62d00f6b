"""What the client tests and scripts/client-census share: a mock server on a free port, small
images made in memory, and the cnovita CLI pointed at the mock.

The clients judged here are the ones users install from PyPI: the official Python SDK
(novita-client 0.7.1 with dataclass-wizard 0.22.2) and the cnovita CLI (cnovita 0.3.0, which also
installs the same CLI as `novita`). The SDK takes the base URL as `NovitaClient(key, base_url=…)`;
the CLI has it as the module constant `cnovita.core.client.BASE_URL`, so `cnovita_at.py` patches
that constant before handing over to the CLI's own entry point.
"""

import base64
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from PIL import Image

CLIENTS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = CLIENTS_DIR.parent.parent
CNOVITA_WRAPPER = CLIENTS_DIR / "cnovita_at.py"

# The SDK uploads assets to this host, hard-coded (NovitaClient.upload_assets); the mock serves
# the same PUT /image on its own port.
NOVITA_ASSETS_HOST = "https://assets.novitai.com"


def mock_binary():
    """The server under test: NOVITA_MOCK_BIN, else the debug build of this checkout."""
    configured = os.environ.get("NOVITA_MOCK_BIN")
    path = pathlib.Path(configured) if configured else REPO_ROOT / ".build/debug/novita-mock"
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.exists():
        raise RuntimeError(f"no novita-mock binary at {path}: build it (swift build) or set NOVITA_MOCK_BIN")
    return path


class MockServer:
    """One novita-mock process on a free port; its log goes to a temporary file that start()
    reads for the port the server picked."""

    def __init__(self, *arguments):
        self.arguments = list(arguments)
        self.process = None
        self.url = None
        self.log_path = None

    def start(self, timeout_s=60):
        log = tempfile.NamedTemporaryFile(prefix="novita-mock-", suffix=".log", delete=False)
        self.log_path = log.name
        self.process = subprocess.Popen(
            [str(mock_binary()), "--host", "127.0.0.1", "--port", "0", *self.arguments],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = re.search(r"url=(http://\S+)", self.log())
            if match:
                self.url = match.group(1)
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"novita-mock exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"novita-mock did not log its port within {timeout_s} s:\n{self.log()}")

    def log(self):
        return pathlib.Path(self.log_path).read_text(errors="replace") if self.log_path else ""

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path:
            pathlib.Path(self.log_path).unlink(missing_ok=True)
            self.log_path = None

    def journal(self, after_sequence=0):
        """The requests the mock saw (GET /__mock/requests), oldest first, after a sequence."""
        import json

        with urllib.request.urlopen(f"{self.url}/__mock/requests?limit=1000") as response:
            entries = json.load(response)["requests"]
        return sorted((e for e in entries if e["sequence"] > after_sequence), key=lambda e: e["sequence"])

    def last_sequence(self):
        entries = self.journal()
        return entries[-1]["sequence"] if entries else 0


def picture(width, height, mode="RGB"):
    """A picture with structure (a gradient and a dark square) rather than one flat colour, so
    operations that look at contrast have something to find."""
    image = Image.new(mode, (width, height))
    pixels = image.load()
    for y in range(height):
        for x in range(width):
            value = (x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128)
            if mode == "RGBA":
                value = value + (255,)
            pixels[x, y] = value
    square = Image.new(mode, (width // 3, height // 3), (20, 20, 20) if mode == "RGB" else (20, 20, 20, 255))
    image.paste(square, (width // 3, height // 3))
    return image


def solid(width, height, colour):
    return Image.new("RGB", (width, height), colour)


def mask(width, height, box):
    """A black mask with the white rectangle `box` (left, top, right, bottom): white = edit."""
    image = Image.new("L", (width, height), 0)
    image.paste(255, box)
    return image


def encode(image, image_format="PNG"):
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def b64(image, image_format="PNG"):
    return base64.b64encode(encode(image, image_format)).decode("ascii")


def decode_b64(data):
    """A base64 image from a response, opened with Pillow (format and size are then at hand)."""
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image


def decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Pillow's format names for the API's image_type values.
PILLOW_FORMAT = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def run_cnovita(base_url, arguments, cwd, api_key="cli-key", timeout_s=120):
    """Runs the cnovita CLI as a user would, in its own process, pointed at the mock."""
    environment = dict(os.environ, NOVITA_API_KEY=api_key, CNOVITA_BASE_URL=base_url)
    return subprocess.run(
        [sys.executable, str(CNOVITA_WRAPPER), *arguments],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout_s)


def probe_video(data, suffix):
    """ffprobe's reading of the first video stream of a clip (frames decoded and counted), or
    None when ffprobe is not installed (scripts/install-test-tools installs Debian's ffmpeg)."""
    if shutil.which("ffprobe") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=suffix) as file:
        file.write(data)
        file.flush()
        output = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
             "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames,duration", "-of", "json", file.name],
            check=True, capture_output=True, text=True).stdout
    return json.loads(output)["streams"][0]
