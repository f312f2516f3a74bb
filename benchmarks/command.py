"""Runs one command and prints its wall time, CPU time and peak memory as JSON.

``RUSAGE_CHILDREN`` reports the largest child a process ever waited for, and the CPU time of
every descendant waited for, so each command is timed from a process of its own: otherwise an
earlier benchmark's Chromium or engine would stand in for the command's own peak. The process
makes itself the *subreaper* of what the command starts (Linux), so that processes the command
leaves to end on their own (Spark's JVM and its Python workers) are waited for here and their CPU
time counted: on a machine shared with other work, CPU time of the whole tree is the steadier
figure, wall time the one a user sees.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def measure(
    command: list[str],
    stdin: Path | None = None,
    allowed: tuple[int, ...] = (0,),
    environment: dict[str, str] | None = None,
) -> dict[str, float]:
    """Seconds and peak memory (MB) of a command, its output discarded; ``environment``: what
    to set for it besides this process's own variables.

    A command that ends with a status outside ``allowed`` has measured nothing: that raises.
    """
    arguments = [sys.executable, "-m", "benchmarks.command", *command]
    if stdin is not None:
        arguments[3:3] = ["--stdin", str(stdin)]
    output = subprocess.run(
        arguments,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
    ).stdout
    figures = dict(json.loads(output))
    if figures["status"] not in allowed:
        raise RuntimeError(f"{' '.join(command)} exited with status {figures['status']:.0f}")
    return figures


def _run(arguments: list[str]) -> None:
    stdin = None
    if arguments[0] == "--stdin":
        stdin, arguments = Path(arguments[1]), arguments[2:]
    _become_subreaper()
    started = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as source:
        status = subprocess.run(arguments, stdin=source, stdout=subprocess.DEVNULL).returncode
    seconds = time.perf_counter() - started
    _wait_for_orphans()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime}
    print(json.dumps({**figures, "peak_mb": usage.ru_maxrss / 1024, "status": status}))


def _become_subreaper() -> None:
    """Orphaned descendants come to this process rather than to init (Linux only)."""
    if sys.platform == "linux":
        set_child_subreaper = 36  # prctl's PR_SET_CHILD_SUBREAPER
        ctypes.CDLL(None, use_errno=True).prctl(set_child_subreaper, 1, 0, 0, 0)


def _wait_for_orphans() -> None:
    """Waits until every descendant has ended (a JVM that outlives its driver for a moment)."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


if __name__ == "__main__":
    _run(sys.argv[1:])
