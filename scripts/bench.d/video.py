#!/usr/bin/env python3
"""(g) video encode speed: the mock's first GET of a clip (rendering the frames and encoding them
with openh264 into MP4) beside ffmpeg's libx264 -preset ultrafast encoding the same frames, decoded
from the mock's own MP4 to raw yuv420p beforehand so only the encode is timed.

Usage: video.py PORT KEY TMPDIR  (a mock started with --speed 0). Prints one line per size:
    name frames mock_seconds x264_seconds x264_threads_1_seconds
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from helper import request  # noqa: E402

CLIPS = [
    # name, path, body: 64 frames at 512² (txt2video), 81 frames at 1280×720 (wan-t2v)
    ("512x512", "/v3/async/txt2video",
     {"model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 512, "height": 512, "steps": 20,
      "prompts": [{"frames": 64, "prompt": "a paper boat drifting on a pond"}]}),
    ("1280x720", "/v3/async/wan-t2v",
     {"prompt": "a paper boat drifting on a pond", "width": 1280, "height": 720, "frames": 81}),
]


def clip_path(port, key, path, body, seed):
    headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    status, payload, _ = request(port, "POST", path, headers, json.dumps(body | {"seed": seed}).encode())
    if status != 200:
        sys.exit(f"submit to {path} failed: HTTP {status}: {payload[:300]!r}")
    task = json.loads(payload)["task_id"]
    status, payload, _ = request(port, "GET", "/v3/async/task-result?task_id=" + task, {"Authorization": "Bearer " + key})
    document = json.loads(payload)
    if document["task"]["status"] != "TASK_STATUS_SUCCEED":
        sys.exit(f"video task {task} is {document['task']['status']}")
    url = urllib.parse.urlsplit(document["videos"][0]["video_url"])
    return url.path + "?" + url.query


def main(port, key, tmp):
    for name, path, body in CLIPS:
        mock = []
        for seed in (11, 22, 33):
            url = clip_path(port, key, path, body, seed)
            status, first, elapsed = request(port, "GET", url)
            if status != 200:
                sys.exit(f"GET of the {name} clip failed: HTTP {status}")
            _, _, cached = request(port, "GET", url)
            mock.append(elapsed - cached)
        mp4 = os.path.join(tmp, f"g-{name}.mp4")
        with open(mp4, "wb") as f:
            f.write(first)
        raw = os.path.join(tmp, f"g-{name}.yuv")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", mp4, "-f", "rawvideo", "-pix_fmt", "yuv420p", raw], check=True)
        width, height = name.split("x")
        frames = os.path.getsize(raw) // (int(width) * int(height) * 3 // 2)

        def x264(threads):
            times = []
            for _ in range(3):
                args = ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", name, "-r", "24",
                        "-i", raw, "-c:v", "libx264", "-preset", "ultrafast"]
                args += ["-threads", str(threads)] if threads else []
                started = time.perf_counter()
                subprocess.run(args + ["-f", "mp4", "-y", os.path.join(tmp, "g-x264.mp4")], check=True)
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        print(name, frames, f"{statistics.median(mock):.4f}", f"{x264(0):.4f}", f"{x264(1):.4f}")
        os.remove(raw)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
