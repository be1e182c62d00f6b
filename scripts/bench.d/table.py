#!/usr/bin/env python3
"""Prints scripts/bench's results as one Markdown table (machine facts first), from the files
and environment variables the script leaves: $OUT/*.kv (parsed wrk runs), $OUT/d-times.txt,
$OUT/d-encode.txt, $OUT/f-editors.txt and $OUT/f-baseline.txt (item (f)), RSS_* and *_TASKS."""
import os
import platform
import statistics
import subprocess
import time

OUT = os.environ["OUT"]
env = os.environ


def kv(name):
    values = {}
    path = os.path.join(OUT, name + ".kv")
    if not os.path.exists(path):
        return None
    for line in open(path):
        key, _, value = line.strip().partition("=")
        values[key] = [float(v) for v in value.split(",")] if key == "round_rps" else float(value)
    return values


def rounds_note(mock, base):
    """The spread of the per-round ratios of two servers that took turns (helper.py wrk-merge's
    round_rps, paired by round): how much the machine moved under the pooled ratio."""
    pairs = [m / b for m, b in zip(mock.get("round_rps", []), base.get("round_rps", [])) if b > 0]
    if len(pairs) < 4:
        return ""
    q1, median, q3 = statistics.quantiles(pairs, n=4)
    return f"; {len(pairs)} rounds' ratios: median {median:.2f}, middle half {q1:.2f}–{q3:.2f}"


def run(command):
    try:
        return subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return "?"


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def mem_total():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "?"


rows = []


def row(metric, mock, baselines, ratio, goal, met):
    rows.append((metric, mock, baselines, ratio, goal, "—" if met is None else ("yes" if met else "**no**")))


def pct(x):
    return f"{x * 100:.0f}%"


def num(x, digits=0):
    return f"{x:,.{digits}f}"


# Each part's rows appear when its outputs exist (scripts/bench --only-images and --only-editors
# leave only theirs); ROWS_ONLY=1 prints the rows alone, without the machine facts and the header.
# (a) polls
if kv("a-mock"):
    a_mock, a_bare, a_sr, a_nginx = kv("a-mock"), kv("a-bare"), kv("a-bare-sr"), kv("a-nginx")
    baselines = [f"bare MHD {num(a_bare['rps'])}"]
    if a_sr:
        baselines.append(f"bare MHD with the mock's flags and 16 KiB pools {num(a_sr['rps'])} (the mock at {pct(a_mock['rps'] / a_sr['rps'])} of it)")
    if a_nginx:
        baselines.append(f"nginx {num(a_nginx['rps'])}")
    ratio = a_mock["rps"] / a_bare["rps"]
    ratio_text = f"{pct(ratio)} of bare" + (f", {pct(a_mock['rps'] / a_nginx['rps'])} of nginx" if a_nginx else "")
    row("(a) task-result polls, req/s (wrk -t2 -c%s, %d rounds of 1 s each, servers taking turns)" % (env["CONNECTIONS"], a_mock["rounds"]),
        num(a_mock["rps"]), "; ".join(baselines) + rounds_note(a_mock, a_bare), ratio_text, "≥ 90% of bare MHD", ratio >= 0.9)
    a_inspect = kv("a-inspect")
    if a_inspect:
        row("(a) GET /__mock/tasks/{id} of the same task, req/s (in the same turns)",
            num(a_inspect["rps"]), f"the mock's polls of it {num(a_mock['rps'])}" + rounds_note(a_inspect, a_mock),
            f"{a_inspect['rps'] / a_mock['rps']:.2f}× a poll", "≥ 0.9× a poll (what a poll costs)",
            a_inspect["rps"] / a_mock["rps"] >= 0.9)
    p99 = [f"bare MHD {a_bare['p99_ms']:.2f}"]
    if a_sr:
        p99.append(f"bare with the mock's settings {a_sr['p99_ms']:.2f}")
    if a_nginx:
        p99.append(f"nginx {a_nginx['p99_ms']:.2f}")
    row("(a) task-result polls, p99 latency ms (p50)", f"{a_mock['p99_ms']:.2f} ({a_mock['p50_ms']:.2f})", "; ".join(p99),
        f"{a_mock['p99_ms'] / a_bare['p99_ms']:.1f}× bare", "≤ 5 ms", a_mock["p99_ms"] <= 5)

# (b) submits
if kv("b-mock"):
    b_mock, b_bare = kv("b-mock"), kv("b-bare")
    row("(b) img2img submits/s, 512 KB PNG (-c%s)" % env["SUBMIT_CONNECTIONS"], num(b_mock["rps"]),
        f"bare MHD reading the same POSTs {num(b_bare['rps'])}", f"{pct(b_mock['rps'] / b_bare['rps'])} of bare",
        "≥ 400/s", b_mock["rps"] >= 400)
    rss_b0, rss_b1 = int(env["RSS_B0"]), int(env["RSS_B1"])
    row("(b) mock RSS after the submit phase, MiB", f"{rss_b1 / 1024:.1f}",
        f"at start {rss_b0 / 1024:.1f}", f"{env['B_TASKS']} tasks held (queued)", "—", None)

# (c) downloads
if kv("c-mock"):
    c_mock, c_bare = kv("c-mock"), kv("c-bare")
    ratio = c_mock["mbps"] / c_bare["mbps"]
    row("(c) cached 1024² PNG downloads, MB/s (%s KB, -c%s, %d rounds of 1 s, taking turns)" % (int(env["IMAGE_BYTES"]) // 1024, env["DOWNLOAD_CONNECTIONS"], c_mock["rounds"]),
        f"{num(c_mock['mbps'])} ({num(c_mock['rps'])} req/s)", f"bare MHD {num(c_bare['mbps'])} ({num(c_bare['rps'])} req/s)" + rounds_note(c_mock, c_bare),
        f"{pct(ratio)} of bare", "≥ 90% of bare MHD", ratio >= 0.9)

# (d) render+encode
if os.path.exists(os.path.join(OUT, "d-times.txt")):
    times = {}
    for line in open(os.path.join(OUT, "d-times.txt")):
        size, fmt, seed, first, second, size_bytes = line.split()
        times.setdefault((int(size), fmt), []).append((float(first) * 1000, float(second) * 1000, int(size_bytes)))
    # One line per first GET of a PNG, run right after it: each figure the median over them.
    runs = {}
    for line in open(os.path.join(OUT, "d-encode.txt")):
        parts = line.split()
        runs.setdefault(int(parts[0]), []).append(dict(p.split("=") for p in parts[2:]))
    encodes = {size: {key: statistics.median(float(r[key]) for r in lines) for key in lines[0]}
               for size, lines in runs.items()}
    for size in (512, 1024, 2048):
        enc = encodes[size]
        stored = float(enc["stored_ms"])
        standard = float(enc["standard_ms"])
        for fmt in ("png", "jpeg", "webp"):
            samples = times[(size, fmt)]
            first = statistics.median(s[0] for s in samples)
            second = min(s[1] for s in samples)  # the transfer alone: the fastest cached GET
            work = max(first - second, 0.001)
            kib = statistics.median(s[2] for s in samples) / 1024
            baseline = f"stored PNG encode {stored:.1f} ms ({int(enc['stored_bytes']) // 1024} KiB; in turns)"
            if fmt == "png":
                zlib = float(enc["zlib_ms"])
                baseline += (f"; the mock's own encoder {standard:.1f} ms ({int(enc['standard_bytes']) // 1024} KiB; "
                             f"libpng zlib-1 Z_RLE {zlib:.1f} ms) → render ≈ {max(work - standard, 0):.1f} ms")
            is_goal = size == 1024 and fmt == "png"
            row(f"(d) render+encode {size}² {fmt}, ms (median first GET {first:.1f} − fastest cached GET {second:.1f}; {kib:,.0f} KiB)",
                f"{work:.1f}", baseline, f"{work / stored:.1f}× stored", "≤ 3× stored" if is_goal else "—",
                (work / stored <= 3) if is_goal else None)

# (e) RSS per task
if "RSS_E0" in env:
    rss_e0, rss_e1 = int(env["RSS_E0"]), int(env["RSS_E1"])
    tasks = int(env["E_TASKS"]) - int(env["E_TASKS0"])
    per_task = (rss_e1 - rss_e0) * 1024 / max(tasks, 1)
    e_run = kv("e-mock")
    short = "" if tasks >= int(env["TASKS"]) * 9 // 10 else f" — only {tasks:,} of {int(env['TASKS']):,} within the time bound"
    row(f"(e) RSS per finished task, bytes ({tasks:,} tasks{short})", num(per_task),
        f"RSS {rss_e0 / 1024:.1f} → {rss_e1 / 1024:.1f} MiB; submitted at ≥ {num(e_run['rps'])}/s (small PNG; wrk divides by its whole -d window)",
        f"{per_task / 2048:.2f}× goal", "≤ 2 KiB (2,048 B)", per_task <= 2048)

# (f) synchronous editors: each against its baseline run in turns with its calls (helper.py editors)
editors_path = os.path.join(OUT, "f-editors.txt")
if os.path.exists(editors_path):
    baseline_path = os.path.join(OUT, "f-baseline.txt")
    base = {k: float(v) for k, v in (p.split("=") for p in open(baseline_path).read().split())} \
        if os.path.exists(baseline_path) else {}
    decode_note = f"; decode alone {base['decode_ms']:.1f} ms" if "decode_ms" in base else ""
    what_of = {"decode": "libpng decode alone", "rgb": "decode + encode", "rgba": "decode + RGBA encode"}
    for line in open(editors_path):
        if not line.strip():
            continue
        name, median_ms, low, high, size_bytes, kind, reference = line.split()
        median_ms, reference = float(median_ms), float(reference)
        what = f"{what_of[kind]} {reference:.1f} ms, in turns" + (decode_note if kind == "rgb" else "")
        detail = "768² input on a 1024² canvas" if name == "outpainting" else "1024² input"
        row(f"(f) {name}, ms per call ({detail}; median of {env['EDITOR_CALLS']}, {float(low):.0f}–{float(high):.0f}; "
            f"response {int(size_bytes) // 1024:,} KiB)",
            f"{median_ms:.1f}", what, f"{median_ms / reference:.2f}× baseline", "≤ 2× baseline", median_ms <= 2 * reference)

if env.get("ROWS_ONLY") == "1":
    for r in rows:
        print("| " + " | ".join(r) + " |")
    raise SystemExit(0)

swift = run("swift --version 2>&1 | head -1")
print(f"## novita-mock benchmarks — {time.strftime('%Y-%m-%d %H:%M %Z')}")
print()
print(f"- Commit: `{run('git rev-parse --short HEAD')}` {run('git log -1 --format=%s | cut -c1-80')}")
print(f"- Machine: {env['CORES']} cores ({cpu_model()}), {mem_total()} RAM, Linux {platform.release()}")
mhd = run("pkg-config --modversion libmicrohttpd")
libpng = run("pkg-config --modversion libpng")
wrk_version = run("wrk --version 2>&1 | head -1 | cut -d' ' -f1-2")
nginx = run("nginx -v 2>&1") or "nginx: not installed"
print(f"- Toolchain: {swift}; libmicrohttpd {mhd}; libpng {libpng}; {wrk_version}; {nginx}")
print(f"- Client (wrk, curl) and servers share the machine over loopback. Measured part of the run: "
      f"{env['BENCH_SECONDS']} s. Load average before/after: {env.get('LOAD_BEFORE', '?')} / {env.get('LOAD_AFTER', '?')}"
      " (anything else busy on the machine lowers every figure).")
print()
print("| metric | mock | baseline(s), same run | ratio | goal | met? |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
