"""Runs one command and prints its wall time and peak memory as JSON.

``RUSAGE_CHILDREN`` reports the largest child a process ever waited for, so each command is
timed from a process of its own: otherwise an earlier benchmark's Chromium or engine would
stand in for the command's own peak.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def measure(
    command: list[str], stdin: Path | None = None, allowed: tuple[int, ...] = (0,)
) -> dict[str, float]:
    """Seconds and peak memory (MB) of a command, its output discarded.

    A command that ends with a status outside ``allowed`` has measured nothing: that raises.
    """
    arguments = [sys.executable, "-m", "benchmarks.command", *command]
    if stdin is not None:
        arguments[3:3] = ["--stdin", str(stdin)]
    output = subprocess.run(arguments, check=True, capture_output=True, text=True).stdout
    figures = dict(json.loads(output))
    if figures["status"] not in allowed:
        raise RuntimeError(f"{' '.join(command)} exited with status {figures['status']:.0f}")
    return figures


def _run(arguments: list[str]) -> None:
    stdin = None
    if arguments[0] == "--stdin":
        stdin, arguments = Path(arguments[1]), arguments[2:]
    started = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as source:
        status = subprocess.run(arguments, stdin=source, stdout=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "status": status}))


if __name__ == "__main__":
    _run(sys.argv[1:])
