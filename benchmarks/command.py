"""Runs one command and prints its wall time, CPU time and peak memory as JSON.

``RUSAGE_CHILDREN`` reports the largest child a process ever waited for, and the CPU time of
every descendant waited for, so each command is timed from a process of its own: otherwise an
earlier benchmark's Chromium or engine would stand in for the command's own peak. The process
makes itself the *subreaper* of what the command starts (Linux), so that processes the command
leaves to end on their own (Spark's JVM and its Python workers) are waited for here and their CPU
time counted: on a machine shared with other work, CPU time of the whole tree is the steadier
figure, wall time the one a user sees.

The peak memory of each kind of process is sampled from ``/proc`` while the command runs (the
command itself, Java, any other Python process it starts, such as Spark's workers): Spark's
memory per task shows in its workers' peak, not in the JVM's.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import threading
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
    ran = subprocess.run(
        arguments,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
    )
    figures = dict(json.loads(ran.stdout))
    if figures["status"] not in allowed:
        said = "\n".join(ran.stderr.splitlines()[-20:])
        raise RuntimeError(
            f"{' '.join(command)} exited with status {figures['status']:.0f}; it said:\n{said}"
        )
    return figures


def _run(arguments: list[str]) -> None:
    stdin = None
    if arguments[0] == "--stdin":
        stdin, arguments = Path(arguments[1]), arguments[2:]
    _become_subreaper()
    started = time.perf_counter()
    with open(stdin or "/dev/null", "rb") as source:
        process = subprocess.Popen(arguments, stdin=source, stdout=subprocess.DEVNULL)
        peaks = _Peaks(process.pid)
        peaks.start()
        status = process.wait()
    seconds = time.perf_counter() - started
    _wait_for_orphans()
    peaks.done.set()
    peaks.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A descendant that nobody waited for (Spark's Python workers, ended with the JVM) is
    # missing from RUSAGE_CHILDREN: the samples, each a little short, are then the larger sum.
    sampled = peaks.cpu_by_kind()
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampled.values()))
    figures = {"seconds": seconds, "cpu_seconds": cpu}
    figures |= {f"peak_{kind}_mb": kb / 1024 for kind, kb in peaks.kb.items()}
    figures |= {f"cpu_{kind}_seconds": seconds for kind, seconds in sampled.items()}
    print(json.dumps({**figures, "peak_mb": usage.ru_maxrss / 1024, "status": status}))


class _Peaks(threading.Thread):
    """The peak resident memory (``VmHWM``) of the command, of Java and of other Python
    processes under this one, sampled four times a second (Linux; nothing elsewhere)."""

    def __init__(self, command: int) -> None:
        super().__init__(daemon=True)
        self.command, self.done = command, threading.Event()
        self.kb: dict[str, int] = {}
        self.cpu: dict[int, tuple[str, float]] = {}
        """Each process's kind and CPU seconds when last seen."""

    def run(self) -> None:
        while os.path.isdir("/proc") and not self.done.wait(0.25):
            for pid in _descendants(os.getpid()):
                kind = "command" if pid == self.command else _kind(pid)
                self.kb[kind] = max(self.kb.get(kind, 0), _peak_kb(pid))
                self.cpu[pid] = (kind, _cpu_seconds(pid))

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds by kind of process, as last sampled (a process's last quarter of a
        second is missed, and a process that forks has its children's counted apart)."""
        seconds: dict[str, float] = {}
        for kind, cpu in self.cpu.values():
            seconds[kind] = seconds.get(kind, 0.0) + cpu
        return seconds


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        below = children.get(stack.pop(), [])
        found += below
        stack += below
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kind(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "other"
    return "java" if name == "java" else "python" if name.startswith("python") else "other"


def _peak_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


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
