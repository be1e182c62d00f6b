"""Debian's headless Chromium plays a clip the mock serves through a <video> element: it reads
the metadata, seeks into the middle (which over HTTP needs byte ranges: a server without them is
not seekable), and plays on to the `ended` event. Skipped, saying why, where Chromium is not
installed (scripts/install-test-tools installs it)."""

import html
import json
import shutil
import subprocess
import threading
import urllib.request

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html><html><body>
<video id="clip" muted autoplay playsinline src="{src}"></video>
<script>
const clip = document.getElementById("clip");
const note = text => console.log("VIDEO " + text);
clip.addEventListener("loadedmetadata", () => {{
  note("meta " + clip.videoWidth + "x" + clip.videoHeight + " " + clip.duration);
  clip.currentTime = clip.duration / 2;
}});
clip.addEventListener("seeked", () => note("seeked " + clip.currentTime));
clip.addEventListener("ended", () => note("ended"));
clip.addEventListener("error", () => note("error " + (clip.error && clip.error.message)));
</script></body></html>
"""


def submit_clip(mock):
    body = {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 320, "height": 256, "steps": 20,
            "seed": 11, "prompts": [{"prompt": "a lighthouse at dusk", "frames": 16}]}
    headers = {"Authorization": "Bearer browser-key", "Content-Type": "application/json"}
    submit = urllib.request.Request(f"{mock.url}/v3/async/txt2video", data=json.dumps(body).encode(), headers=headers)
    task_id = json.load(urllib.request.urlopen(submit))["task_id"]
    result = urllib.request.Request(f"{mock.url}/v3/async/task-result?task_id={task_id}", headers=headers)
    return json.load(urllib.request.urlopen(result))["videos"][0]["video_url"]


def play_in_chromium(page_path, timeout_s=60):
    """Chromium's console lines that start with VIDEO, until `ended` or an error (or the timeout)."""
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
         "--enable-logging=stderr", "--v=0", "--remote-debugging-port=0", f"file://{page_path}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    events = []
    timer = threading.Timer(timeout_s, process.kill)
    timer.start()
    try:
        for line in process.stderr:
            if '"VIDEO ' not in line:
                continue
            event = line.split('"VIDEO ', 1)[1].split('"', 1)[0]
            events.append(event)
            if event == "ended" or event.startswith("error"):
                break
    finally:
        timer.cancel()
        process.kill()
        process.wait()
    return events


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/install-test-tools)")
def test_chromium_plays_a_served_mp4_to_its_end_after_seeking_with_ranges(mock, tmp_path):
    page = tmp_path / "play.html"
    page.write_text(PAGE.format(src=html.escape(submit_clip(mock))))
    events = play_in_chromium(page)
    assert events[:1] == ["meta 320x256 2"], events
    assert any(event.startswith("seeked 1") for event in events), events
    assert events[-1] == "ended", events
