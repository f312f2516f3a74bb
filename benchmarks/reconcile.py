"""Reconciling a generated webhook log of a million notifications, pure and compiled.

The log follows the synthetic month of the engine benchmark: an ``inbound`` notification for each
customer message, ``sent`` and ``delivered`` statuses for each business message, in time order as
a webhook endpoint appends them, each with what the engine's records say Meta reports; so the
log follows the rules and must come out clean. The figures are for the ``reconcile`` command end
to end, in a fresh process, with its peak memory, against its floor: msgspec merely decoding
every line of the same log. The goal is at most 8x the floor at the margin (each line's cost
beyond what a log of a few hundred lines costs, which is start-up).

Both builds run (the pure Python reference, and the mypyc build ``make install`` makes where a C
compiler is: :mod:`whatsapp_pricing.compiled`), interleaved so that a busy minute on the shared
machine falls on both, by CPU time (the steadier figure there), best of two.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from benchmarks.command import measure
from benchmarks.engine import synthetic_events
from tests.helpers import webhook_log
from whatsapp_pricing import Timeline, compiled

LINES = int(os.environ.get("RECONCILE_BENCH_LINES", "1000000"))
"""``RECONCILE_BENCH_LINES`` sets the size; a million by default."""
EVENTS = LINES * 3 // 5
"""Enough events for the lines: two statuses per business message, one line per other."""
SMALL = 600
"""The small log's lines: what a run costs before its first line."""
GOAL = 8
"""The single process's marginal cost per line, at most this many times the floor's."""
ROUNDS = 2


def write_log(path: Path) -> None:
    """Notifications for the synthetic month, as Meta reports it when it follows the rules."""
    timeline = Timeline.model_validate(
        {"account": {"time_zone": "UTC"}, "events": synthetic_events(events=EVENTS)}
    )
    path.write_text("\n".join(webhook_log(timeline)[:LINES]) + "\n", encoding="utf-8")


def measure_reading(path: str) -> None:
    """Decoding each line alone (the floor), then reading (decoding and taking out what each
    line says, no rule), in CPU seconds."""
    import msgspec

    from whatsapp_pricing.webhooks import read_log

    gc.disable()  # as the command line does
    decode = msgspec.json.Decoder().decode
    started = time.process_time()
    with open(path, "rb") as log:
        for line in log:
            decode(line)
    decoding = time.process_time() - started
    started = time.process_time()
    with open(path, "rb") as log:
        for _ in read_log(log):
            pass
    reading = time.process_time() - started
    print(json.dumps({"decoding": decoding, "reading": reading, "running": compiled.running()}))


class Floor(NamedTuple):
    """CPU seconds to decode every line, and to read them; which modules ran compiled."""

    decoding: float
    reading: float
    running: list[str]


def _floor(path: Path, environment: dict[str, str]) -> Floor:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.reconcile", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
    ).stdout
    return Floor(**json.loads(output))


def run() -> None:
    builds = {"pure": {compiled.SWITCH: "0"}}
    if compiled.built_digest() == compiled.source_digest():
        builds["compiled"] = {compiled.SWITCH: "1"}
    command = [str(Path(sys.executable).with_name("whatsapp-pricing")), "reconcile"]
    with tempfile.TemporaryDirectory() as folder:
        path, small = Path(folder) / "webhooks.jsonl", Path(folder) / "small.jsonl"
        write_log(path)
        with path.open("rb") as whole:
            small.write_bytes(b"".join(line for _, line in zip(range(SMALL), whole, strict=False)))
        size_mb = path.stat().st_size / 1e6
        best: dict[tuple[str, Path], dict[str, float]] = {}
        floors: dict[str, Floor] = {}
        load_before = os.getloadavg()[0]
        for _ in range(ROUNDS):
            for build, environment in builds.items():
                for log in (small, path):
                    arguments = [*command, str(log), "--time-zone", "UTC"]
                    # A status of 1 would be a log that is not clean: that raises.
                    figures = measure(arguments, allowed=(0,), environment=environment)
                    kept = best.get((build, log))
                    if kept is None or figures["cpu_seconds"] < kept["cpu_seconds"]:
                        best[build, log] = figures
                floor = _floor(path, environment)
                if build not in floors or floor.decoding < floors[build].decoding:
                    floors[build] = floor
        load_after = os.getloadavg()[0]
    decoding = min(floor.decoding for floor in floors.values()) / LINES
    print(
        f"reconcile: {LINES:,} notifications ({size_mb:.0f} MB), a clean log; CPU time, best of "
        f"{ROUNDS} interleaved runs; load average {load_before:.2f} before, {load_after:.2f} "
        f"after, on {os.cpu_count()} cores (other work on a shared machine slows CPU time too)"
    )
    print(f"  msgspec decoding every line (the floor): {decoding * 1e6:.2f} us a line")
    for build in ("pure", "compiled"):
        if build not in builds:
            print(f"  {build}: not built (no C compiler, or make install not run since a change)")
            continue
        timed, start = best[build, path], best[build, small]
        marginal = (timed["cpu_seconds"] - start["cpu_seconds"]) / (LINES - SMALL)
        running = floors[build].running
        said = "" if bool(running) == (build == "compiled") else " (WRONG BUILD RAN)"
        print(
            f"  {build}{said}: {timed['cpu_seconds']:.2f} s CPU end to end "
            f"({LINES / timed['cpu_seconds']:,.0f} lines/s; {timed['seconds']:.2f} s wall), "
            f"{marginal * 1e6:.2f} us a line at the margin ({1 / marginal:,.0f} lines/s): "
            f"{marginal / decoding:.1f}x the floor (goal {GOAL}x); start-up "
            f"{start['cpu_seconds']:.2f} s; peak {timed['peak_mb']:.0f} MB"
        )
        reading = floors[build].reading / LINES
        print(
            f"    reading alone (decoding, and taking out what each line says): "
            f"{reading * 1e6:.2f} us a line, {reading / decoding:.1f}x the floor"
        )


if __name__ == "__main__":
    measure_reading(sys.argv[1])
