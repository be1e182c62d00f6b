#!/usr/bin/env python3
"""What an open /__mock/ui tab asks while its live view runs: every second the newest page of
tasks (50) and the clock, as ui/app.js does while the tab is visible. Runs until killed.

usage: dashboard-viewer.py PORT"""
import sys
import time
import urllib.request

port = int(sys.argv[1])
calls = [
    f"http://127.0.0.1:{port}/__mock/tasks?order=newest&offset=0&limit=50",
    f"http://127.0.0.1:{port}/__mock/clock",
]
while True:
    started = time.monotonic()
    for url in calls:
        urllib.request.urlopen(url).read()
    time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
