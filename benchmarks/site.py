"""The site's budgets: a full strict build under 5 seconds on 2 cores, and each FAQ page's first
load (HTML, CSS and JavaScript, without the lazily loaded search index) under 120 KB compressed.
"""

from __future__ import annotations

import functools
import gzip
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.chromium import LAUNCH_ARGUMENTS, find_chromium

ROOT = Path(__file__).parents[1]
RUNS = 3
PAGE_BUDGET_KB = 120


def build_seconds(site_dir: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site_dir],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def first_load_kb(site: Path) -> dict[str, float]:
    """Compressed kilobytes each FAQ page asks for when it first opens, as a browser loads it."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(site))
    weights = {}
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=find_chromium(), args=LAUNCH_ARGUMENTS
            )
            for page_dir in sorted((site / "faq").iterdir()):
                page = browser.new_page()
                asked: list[str] = []
                page.on("request", lambda request, asked=asked: asked.append(request.url))
                page.goto(f"{base}/faq/{page_dir.name}/", wait_until="networkidle")
                page.close()
                files = {urlsplit(url).path for url in asked}
                weights[page_dir.name] = sum(
                    len(gzip.compress(_file(site, path).read_bytes())) / 1024
                    for path in files
                    if path.endswith((".html", ".css", ".js", "/")) and "search_index" not in path
                )
            browser.close()
        server.shutdown()
    return weights


def _file(site: Path, path: str) -> Path:
    local = site / path.lstrip("/")
    return local / "index.html" if local.is_dir() else local


def run() -> None:
    with tempfile.TemporaryDirectory() as site_dir:
        timings = [build_seconds(site_dir) for _ in range(RUNS)]
        print(
            f"site: strict build, median of {RUNS}: {statistics.median(timings):.2f} s "
            f"(min {min(timings):.2f} s, max {max(timings):.2f} s; budget 5 s)"
        )
        if find_chromium() is None:
            print("site: page weights skipped: no Chromium (apt-get install chromium)")
            return
        for name, kilobytes in first_load_kb(Path(site_dir)).items():
            print(
                f"site: first load of faq/{name}: {kilobytes:.1f} KB compressed "
                f"(budget {PAGE_BUDGET_KB} KB)"
            )
