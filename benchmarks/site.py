"""How long a full strict build of the site takes (the budget is 5 seconds on 2 cores)."""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
RUNS = 3


def build_seconds(site_dir: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site_dir],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run() -> None:
    with tempfile.TemporaryDirectory() as site_dir:
        timings = [build_seconds(site_dir) for _ in range(RUNS)]
    print(
        f"site: strict build, median of {RUNS}: {statistics.median(timings):.2f} s "
        f"(min {min(timings):.2f} s, max {max(timings):.2f} s; budget 5 s)"
    )
