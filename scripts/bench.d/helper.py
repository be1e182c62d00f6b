#!/usr/bin/env python3
"""Small helpers for scripts/bench (standard library only).

  helper.py free-port                          a free TCP port on 127.0.0.1
  helper.py png OUT W H noise|plain [SEED]     an RGB PNG; noise = random bytes stored at zlib
                                               level 0 (incompressible, ~3·W·H bytes)
  helper.py body OUT PNG TYPE W H SEED         an img2img JSON body with the PNG as image_base64
  helper.py submit PORT KEY BODY               POST it, print the task id (fails loudly otherwise)
  helper.py result PORT KEY TASK OUT           GET the task-result, save the exact body, print the
                                               path+query of images[0].image_url
  helper.py get PORT PATH OUT                  GET a path, save the body, print "seconds status bytes"
  helper.py metric PORT NAME                   sum of a Prometheus metric over its label sets
  helper.py rss PID                            VmRSS of a process in KiB
  helper.py wrk FILE                           parse wrk --latency output into key=value lines
  helper.py wrk-merge FILE…                    the same for several rounds of one server, merged
  helper.py editor-inputs DIR                  photo.png (1024², photo-like), small.png (768²), mask.png,
                                               face.png (256²) for item (f)
  helper.py editors PORT KEY DIR CALLS BASELINE
                                               per editor: 2 warm-up calls, then CALLS sequential
                                               timed calls on one keep-alive connection, each
                                               followed by one run of the baseline program
                                               (decode-encode --turns); prints "name median_ms
                                               min_ms max_ms response_bytes kind baseline_ms" lines
"""
import base64
import http.client
import json
import random
import re
import statistics
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(path, width, height, mode, seed=1):
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        if mode == "noise":
            row = rng.randbytes(width * 3)
        else:
            row = bytes(((x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)), 128)[c]
                        for x in range(width) for c in range(3))
        rows.append(b"\x00" + row)
    raw = b"".join(rows)
    level = 0 if mode == "noise" else 6

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def body(out, png_path, image_type, width, height, seed):
    with open(png_path, "rb") as f:
        image = base64.b64encode(f.read()).decode()
    document = {
        "extra": {"response_image_type": image_type},
        "request": {
            "model_name": "sd_xl_base_1.0.safetensors", "image_base64": image, "prompt": "a lighthouse at dusk",
            "negative_prompt": "", "width": width, "height": height, "image_num": 1, "steps": 20,
            "seed": seed, "guidance_scale": 7.5, "sampler_name": "Euler a", "strength": 0.5,
        },
    }
    with open(out, "w") as f:
        json.dump(document, f, separators=(",", ":"))


def request(port, method, path, headers=None, data=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request(method, path, body=data, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, payload, elapsed


def submit(port, key, body_path):
    with open(body_path, "rb") as f:
        data = f.read()
    status, payload, _ = request(port, "POST", "/v3/async/img2img",
                                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"}, data)
    if status != 200:
        sys.exit(f"submit failed: HTTP {status}: {payload[:300]!r}")
    print(json.loads(payload)["task_id"])


def result(port, key, task, out):
    status, payload, _ = request(port, "GET", "/v3/async/task-result?task_id=" + task,
                                 {"Authorization": "Bearer " + key})
    if status != 200:
        sys.exit(f"task-result failed: HTTP {status}: {payload[:300]!r}")
    document = json.loads(payload)
    if document["task"]["status"] != "TASK_STATUS_SUCCEED":
        sys.exit(f"task {task} is {document['task']['status']}, expected TASK_STATUS_SUCCEED")
    with open(out, "wb") as f:
        f.write(payload)
    url = urllib.parse.urlsplit(document["images"][0]["image_url"])
    print(url.path + "?" + url.query)


def get(port, path, out):
    status, payload, elapsed = request(port, "GET", path)
    if status != 200:
        sys.exit(f"GET {path[:80]} failed: HTTP {status}: {payload[:300]!r}")
    with open(out, "wb") as f:
        f.write(payload)
    print(f"{elapsed:.6f} {status} {len(payload)}")


def metric(port, name):
    status, payload, _ = request(port, "GET", "/__mock/metrics")
    if status != 200:
        sys.exit(f"metrics failed: HTTP {status}")
    total = 0.0
    for line in payload.decode().splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    print(int(total) if total == int(total) else total)


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(line.split()[1])
                return
    sys.exit("no VmRSS")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
BYTES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def wrk(path):
    for key, value in parse_wrk(open(path).read()).items():
        print(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")


def wrk_merge(*paths):
    """The rounds of one server (scripts/bench's interleaved runs) as one run: requests over the
    seconds they took, bytes likewise, the median round's p50 and p99, errors summed; and each
    round's req/s in round order (NAME.r<N>.wrk), so two servers' rounds can be paired."""
    def round_number(path):
        m = re.search(r"\.r(\d+)\.wrk$", path)
        return int(m.group(1)) if m else 0
    rounds = [parse_wrk(open(p).read()) for p in sorted(paths, key=round_number)]
    seconds = sum(r["seconds"] for r in rounds) or 1.0
    middle = lambda key: statistics.median(r[key] for r in rounds)
    out = {
        "rps": sum(r["requests"] for r in rounds) / seconds,
        "mbps": sum(r["mbps"] * r["seconds"] for r in rounds) / seconds,
        "p99_ms": middle("p99_ms"),
        "p50_ms": middle("p50_ms"),
        "requests": sum(r["requests"] for r in rounds),
        "non2xx": sum(r["non2xx"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "rounds": len(rounds),
    }
    for key, value in out.items():
        print(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    print("round_rps=" + ",".join(f"{r['rps']:.1f}" for r in rounds))


def parse_wrk(text):
    out = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    out["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", text)
    out["mbps"] = float(m.group(1)) * BYTES[m.group(2)] / 1024 ** 2 if m else 0.0
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    out["p99_ms"] = float(m.group(1)) * UNITS[m.group(2)] if m else -1.0
    m = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    out["p50_ms"] = float(m.group(1)) * UNITS[m.group(2)] if m else -1.0
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    out["requests"] = int(m.group(1)) if m else 0
    out["seconds"] = float(m.group(2)) * UNITS[m.group(3)] / 1e3 if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["errors"] = sum(int(g) for g in m.groups()) if m else 0
    return out


def photo(path, width, height, seed):
    """A photo-like RGB picture (sky and ground gradients, a dark subject, a light banner, mild
    grain), stored at zlib level 6 as a typical PNG upload: smooth enough to compress like a
    photo, grainy enough that the encoder cannot just run-length it."""
    rng = random.Random(seed)
    grain = bytes(rng.randrange(0, 12) for _ in range(4096))
    horizon = height * 2 // 3
    cx, cy, r2 = width // 2, height // 2, (height // 5) ** 2
    rows = []
    for y in range(height):
        if y < horizon:
            base = (110 + 90 * y // height, 160 + 60 * y // height, 235)
        else:
            base = (60, 120 + 60 * (y - horizon) // height, 55)
        row = bytearray(width * 3)
        offset = (y * 131) % 4096
        for x in range(width):
            if (x - cx) ** 2 + (y - cy) ** 2 < r2 or (cx - width // 8 < x < cx + width // 8 and cy < y < height * 9 // 10):
                pixel = (40, 30, 35)
            elif width // 20 < x < width // 3 and height // 20 < y < height // 8:
                pixel = (250, 250, 250)
            else:
                pixel = (base[0] + 40 * x // width, base[1], base[2])
            g = grain[(offset + x) % 4096]
            i = x * 3
            row[i] = min(255, pixel[0] + g)
            row[i + 1] = min(255, pixel[1] + g)
            row[i + 2] = min(255, pixel[2] + g)
        rows.append(b"\x00" + bytes(row))
    write_png(path, width, height, b"".join(rows), 6)


def write_png(path, width, height, raw, level):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    out += chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def editor_inputs(folder):
    photo(f"{folder}/photo.png", 1024, 1024, 1)
    photo(f"{folder}/small.png", 768, 768, 2)
    photo(f"{folder}/face.png", 256, 256, 3)
    # The mask: white (clean up) over the banner, black elsewhere.
    rows = []
    for y in range(1024):
        inside = 40 < y < 140
        rows.append(b"\x00" + b"".join(b"\xff\xff\xff" if inside and 40 < x < 360 else b"\x00\x00\x00"
                                        for x in range(1024)))
    write_png(f"{folder}/mask.png", 1024, 1024, b"".join(rows), 6)


# Item (f): each editor at 1024² (outpainting: a 768² input onto a 1024² canvas), PNG out.
EDITORS = [
    ("cleanup", "/v3/cleanup", {"image_file": "photo", "mask_file": "mask"}),
    ("remove-background", "/v3/remove-background", {"image_file": "photo"}),
    ("replace-background", "/v3/replace-background", {"image_file": "photo", "prompt": "in a warehouse"}),
    ("remove-text", "/v3/remove-text", {"image_file": "photo"}),
    ("merge-face", "/v3/merge-face", {"image_file": "photo", "face_image_file": "face"}),
    ("reimagine", "/v3/reimagine", {"image_file": "photo"}),
    ("img2prompt", "/v3/img2prompt", {"image_file": "photo"}),
    ("outpainting", "/v3/outpainting",
     {"image_file": "small", "prompt": "a wide valley", "width": 1024, "height": 1024, "center_x": 0, "center_y": 0}),
]
IMAGE_FIELDS = ("image_file", "mask_file", "face_image_file")


# The baseline each editor is held to: what the least it must do with its input costs (see
# decode-encode.c). img2prompt answers text, so decoding alone; remove-background answers RGBA.
EDITOR_BASELINES = {"img2prompt": "decode", "remove-background": "rgba"}


def editors(port, key, folder, calls, baseline_program):
    """Each editor's calls taken in turns with one run of its baseline (decode-encode --turns), so
    that the host's load, which moves the figures by a factor of 2 within minutes on a shared VM,
    moves the mock and its baseline alike. Prints per editor: the median, fastest and slowest call
    (ms), the answer's size, and the median baseline run (ms)."""
    images = {}
    for name in ("photo", "small", "mask", "face"):
        with open(f"{folder}/{name}.png", "rb") as f:
            images[name] = base64.b64encode(f.read()).decode()
    headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    baseline = subprocess.Popen([baseline_program, f"{folder}/photo.png", "--turns"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def baseline_run(kind):
        baseline.stdin.write(kind + "\n")
        baseline.stdin.flush()
        line = baseline.stdout.readline()
        if not line:
            sys.exit(f"{baseline_program} --turns stopped answering")
        return float(line)

    for name, path, fields in EDITORS:
        kind = EDITOR_BASELINES.get(name, "rgb")
        document = {k: (images[v] if k in IMAGE_FIELDS else v) for k, v in fields.items()}
        data = json.dumps(document, separators=(",", ":")).encode()
        times, baseline_times, size = [], [], 0
        for call in range(calls + 2):
            started = time.perf_counter()
            connection.request("POST", path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                sys.exit(f"{path} failed: HTTP {response.status}: {payload[:300]!r}")
            reference = baseline_run(kind)
            if call >= 2:  # the first two warm caches and the allocator
                times.append(elapsed)
                baseline_times.append(reference)
            size = len(payload)
        times.sort()
        baseline_times.sort()
        print(f"{name} {times[len(times) // 2]:.2f} {times[0]:.2f} {times[-1]:.2f} {size} "
              f"{kind} {baseline_times[len(baseline_times) // 2]:.2f}")
    baseline.stdin.close()
    baseline.wait()
    connection.close()


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "free-port":
        print(free_port())
    elif command == "png":
        png(args[0], int(args[1]), int(args[2]), args[3], int(args[4]) if len(args) > 4 else 1)
    elif command == "body":
        body(args[0], args[1], args[2], int(args[3]), int(args[4]), int(args[5]))
    elif command == "submit":
        submit(int(args[0]), args[1], args[2])
    elif command == "result":
        result(int(args[0]), args[1], args[2], args[3])
    elif command == "get":
        get(int(args[0]), args[1], args[2])
    elif command == "metric":
        metric(int(args[0]), args[1])
    elif command == "rss":
        rss(args[0])
    elif command == "wrk":
        wrk(args[0])
    elif command == "wrk-merge":
        wrk_merge(*args)
    elif command == "editor-inputs":
        editor_inputs(args[0])
    elif command == "editors":
        editors(int(args[0]), args[1], args[2], int(args[3]), args[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
