"""The site's budgets: a full strict build under 5 seconds on 2 cores, and each FAQ page's first
load (everything it asks for, without the lazily loaded search index) under 120 KB compressed.
Also printed: every other page's first load, the share of the question set
(``tests/browser/search_questions.py``) that Enter in the search box answers with its section, and
on the Try page what the first Run downloads and how long it takes to the first verdict (the
engine loads only then).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.chromium import LAUNCH_ARGUMENTS, find_chromium
from tests.browser.search_questions import QUESTIONS, hit_rate
from tests.browser.test_search import HIT_RATE_FLOOR
from tests.conftest import DOCS, page_url_path

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


@contextlib.contextmanager
def served(site: Path) -> Iterator[tuple[str, Browser]]:
    """The built site on a free local port, and a browser to open it with."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=find_chromium(), args=LAUNCH_ARGUMENTS
            )
            yield f"http://127.0.0.1:{server.server_address[1]}", browser
            browser.close()
        server.shutdown()


def compressed_kb(site: Path, addresses: Iterable[str]) -> float:
    """What the files behind some addresses weigh gzipped, as a server compressing them sends."""
    paths = {urlsplit(address).path for address in addresses}
    return sum(len(gzip.compress(_file(site, path).read_bytes())) / 1024 for path in paths)


def first_load_kb(site: Path) -> dict[str, float]:
    """Compressed kilobytes each page asks for when it first opens, as a browser loads it
    (the search index, fetched when a reader first searches, is left out)."""
    weights = {}
    with served(site) as (base, browser):
        for source in sorted(DOCS.rglob("*.md")):
            path = page_url_path(source)
            page = browser.new_page()
            asked: list[str] = []
            page.on("request", lambda request, asked=asked: asked.append(request.url))
            page.goto(base + path, wait_until="networkidle")
            page.close()
            weights[path] = compressed_kb(site, (a for a in asked if "search_index" not in a))
    return weights


def engine_figures(site: Path) -> tuple[float, float, float]:
    """On the Try page: what pressing Run first downloads (KB compressed), the seconds from
    pressing it to the first verdict, and the seconds a second Run takes."""
    form = "form[data-engine=simulate]"
    with served(site) as (base, browser):
        page = browser.new_page()
        page.goto(f"{base}/try/", wait_until="networkidle")
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        seconds = [press(page, form), press(page, form)]
        page.close()
    return compressed_kb(site, asked), seconds[0], seconds[1]


def press(page: Page, form: str) -> float:
    """Presses a Try page form's button; the seconds until its answer is shown."""
    page.evaluate(f"document.querySelector('{form}').dataset.ranIn = ''")
    page.click(f"{form} button[type=submit]")
    page.wait_for_function(f"document.querySelector('{form}').dataset.ranIn", timeout=600_000)
    return float(page.evaluate(f"document.querySelector('{form}').dataset.ranIn")) / 1000


def search_figures(site: Path) -> tuple[int, list[tuple[str, str, str]]]:
    """How many of the question set's questions Enter in the search box answers with their
    section, and the misses."""
    with served(site) as (base, browser):
        page = browser.new_page()
        found = hit_rate(page, base)
        page.close()
    return found


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
        for path, kilobytes in first_load_kb(Path(site_dir)).items():
            budget = f"budget {PAGE_BUDGET_KB} KB" if path.startswith("/faq/") else "no budget"
            print(f"site: first load of {path}: {kilobytes:.1f} KB compressed ({budget})")
        hits, misses = search_figures(Path(site_dir))
        print(
            f"site: search, Enter opens the answer for {hits} of {len(QUESTIONS)} questions "
            f"({hits / len(QUESTIONS):.0%}; floor {HIT_RATE_FLOOR:.0%}, "
            "tests/browser/test_search.py)"
        )
        for question, wanted, found in misses:
            print(f"site: search miss: {question!r} opens {found}, not {wanted}")
        download, first, again = engine_figures(Path(site_dir))
        print(
            f"site: Try page, first Run: downloads {download / 1024:.1f} MB compressed, "
            f"first verdict after {first:.1f} s, the next Run {again:.2f} s (no budget set)"
        )
