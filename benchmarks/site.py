"""The site's budgets: a full strict build under 5 seconds on 2 cores, and each FAQ page's first
load (everything it asks for, without the lazily loaded search index) under 120 KB compressed.
Also printed: every other page's first load, the share of the question set
(``tests/browser/search_questions.py``) that Enter in the search box answers with its section, and
on the Try page what the engine downloads and how soon the first verdict comes (goal: 3 s).

The Try page starts loading the engine once it is idle, so "how soon" is three figures, each the
median of a few visits in a fresh browser profile (nothing cached) and one on a repeat visit:

- *open to verdict*: a reader who presses Run as soon as the form is there; seconds from opening
  the page to the verdict shown (the engine's whole start-up is in it);
- *open to ready*: seconds from opening the page until the engine has loaded on its own;
- *Run to verdict, engine ready*: a reader who presses Run after that; seconds from the click;
- *repeat visit, open to verdict*: the first figure again, in the same profile, the engine now
  kept on the device by the site's service worker.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a browser closes a page while a file is on its way."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextlib.contextmanager
def served(site: Path) -> Iterator[tuple[str, Browser]]:
    """The built site on a free local port, and a browser to open it with."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    with _QuietServer(("127.0.0.1", 0), handler) as server:
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


def first_load_kb(site: Path) -> dict[str, tuple[float, float]]:
    """Compressed kilobytes each page asks for when it first opens, as a browser loads it
    (the search index, fetched when a reader first searches, is left out), and apart from
    those, the in-browser engine's, which a page with an engine form loads once it is idle."""
    weights = {}
    with served(site) as (base, browser):
        for source in sorted(DOCS.rglob("*.md")):
            path = page_url_path(source)
            page = browser.new_page()
            asked: list[str] = []
            page.on("request", lambda request, asked=asked: asked.append(request.url))
            page.goto(base + path, wait_until="networkidle")
            page.close()
            engine = [address for address in asked if "/assets/engine/" in address]
            weights[path] = (
                compressed_kb(
                    site, (a for a in asked if "search_index" not in a and a not in engine)
                ),
                compressed_kb(site, engine),
            )
    return weights


TRY_FORM = "form[data-engine=simulate]"
VERDICT_GOAL_S = 3.0
ENGINE_RUNS = 3


@dataclass
class Visit:
    """One visit to the Try page, in seconds (see the module's docstring); ``cpu`` is the
    processor time Chromium's processes spent from opening the page to the verdict, which
    other work on the machine does not inflate as it does the wall-clock figures."""

    open_to_verdict: float
    click_to_verdict: float
    cpu: float = 0.0


def browser_cpu_ticks() -> dict[int, int]:
    """Processor time used so far by each of this process's Chromium descendants, in clock
    ticks, by process id (Linux' /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            text = stat.read_text()
            fields = text.rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])
            if text[text.index("(") + 1 :].startswith("chrom"):
                used[pid] = int(fields[11]) + int(fields[12])
    return {pid: t for pid, t in used.items() if _descends(pid, os.getpid(), parents)}


def cpu_seconds_since(before: dict[int, int]) -> float:
    """Processor seconds Chromium used since ``before``, process by process: one that ended
    meanwhile (a closed page's) counts for nothing, instead of taking its whole past off."""
    now = browser_cpu_ticks()
    ticks = sum(used - before.get(pid, 0) for pid, used in now.items())
    return ticks / os.sysconf("SC_CLK_TCK")


def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
    while pid in parents:
        pid = parents[pid]
        if pid == root:
            return True
    return False


@dataclass
class EngineFigures:
    download_kb: float
    first: list[Visit]
    open_to_ready: list[float]
    ready_click_to_verdict: list[float]
    repeat: list[Visit]


def engine_figures(site: Path, runs: int = ENGINE_RUNS) -> EngineFigures:
    """The Try page's figures over ``runs`` fresh browser profiles."""
    figures = EngineFigures(0.0, [], [], [], [])
    with served(site) as (base, browser):
        for _ in range(runs):
            context = browser.new_context()
            page = context.new_page()
            asked: list[str] = []
            page.on("request", lambda request, asked=asked: asked.append(request.url))
            figures.first.append(visit(page, f"{base}/try/"))
            figures.download_kb = compressed_kb(site, (a for a in asked if "/assets/engine/" in a))
            waits(page, "navigator.serviceWorker.controller !== null")
            figures.repeat.append(visit(context.new_page(), f"{base}/try/"))
            context.close()
            # A reader who reads the form first: the engine loads while they do.
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/try/")
            waits(page, "document.documentElement.dataset.engineReady")
            figures.open_to_ready.append(
                float(page.evaluate("document.documentElement.dataset.engineReady")) / 1000
            )
            figures.ready_click_to_verdict.append(press(page).click_to_verdict)
            context.close()
    return figures


def waits(page: Page, condition: str) -> None:
    """Waits for a condition, asking every 50 ms: Playwright's default asks at every frame,
    which keeps a page drawing and would take a share of the cores the engine is timed on."""
    page.wait_for_function(condition, polling=50, timeout=600_000)


def visit(page: Page, address: str) -> Visit:
    """Opens the Try page and presses Run as soon as its form is there."""
    before = browser_cpu_ticks()
    page.goto(address, wait_until="domcontentloaded")
    waits(page, f"document.querySelector('{TRY_FORM}[data-bound]')")
    shown = press(page)
    shown.cpu = cpu_seconds_since(before)
    return shown


def press(page: Page) -> Visit:
    """Presses the Try page's Run button; when its verdict came."""
    page.evaluate(f"document.querySelector('{TRY_FORM}').dataset.ranIn = ''")
    page.click(f"{TRY_FORM} button[type=submit]")
    waits(page, f"document.querySelector('{TRY_FORM}').dataset.ranIn")
    shown = page.evaluate(f"({{...document.querySelector('{TRY_FORM}').dataset}})")
    return Visit(float(shown["answeredAt"]) / 1000, float(shown["ranIn"]) / 1000)


def spread(seconds: list[float]) -> str:
    """A figure's median beside the 3 s goal, with its range."""
    middle = statistics.median(seconds)
    verdict = "within" if middle <= VERDICT_GOAL_S else "over"
    return (
        f"{middle:.1f} s ({verdict} the {VERDICT_GOAL_S:.0f} s goal; median of {len(seconds)}, "
        f"{min(seconds):.1f} to {max(seconds):.1f} s)"
    )


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
        for path, (kilobytes, engine_kb) in first_load_kb(Path(site_dir)).items():
            budget = f"budget {PAGE_BUDGET_KB} KB" if path.startswith("/faq/") else "no budget"
            engine = f", then the engine once idle: {engine_kb / 1024:.1f} MB" if engine_kb else ""
            print(f"site: first load of {path}: {kilobytes:.1f} KB compressed ({budget}){engine}")
        hits, misses = search_figures(Path(site_dir))
        print(
            f"site: search, Enter opens the answer for {hits} of {len(QUESTIONS)} questions "
            f"({hits / len(QUESTIONS):.0%}; floor {HIT_RATE_FLOOR:.0%}, "
            "tests/browser/test_search.py)"
        )
        for question, wanted, found in misses:
            print(f"site: search miss: {question!r} opens {found}, not {wanted}")
        engine = engine_figures(Path(site_dir))
        print(
            f"site: Try page engine: downloads {engine.download_kb / 1024:.1f} MB compressed, "
            "once (loading begins when the page is idle)"
        )
        first, repeat = engine.first, engine.repeat
        print(f"site: Try page, open to verdict: {spread([v.open_to_verdict for v in first])}")
        cpu = [v.cpu for v in first]
        print(
            f"site: Try page, open to verdict, Chromium's processor time: "
            f"{statistics.median(cpu):.1f} s (median; {min(cpu):.1f} to {max(cpu):.1f} s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores after the runs)"
        )
        print(f"site: Try page, Run to verdict: {spread([v.click_to_verdict for v in first])}")
        print(f"site: Try page, open to engine ready: {spread(engine.open_to_ready)}")
        print(
            f"site: Try page, Run to verdict, engine ready: {spread(engine.ready_click_to_verdict)}"
        )
        print(
            "site: Try page, repeat visit, open to verdict: "
            f"{spread([v.open_to_verdict for v in repeat])}"
        )
