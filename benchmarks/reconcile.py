"""Reconciling a generated webhook log of a million notifications.

The log follows the synthetic month of the engine benchmark: an ``inbound`` notification for each
customer message, ``sent`` and ``delivered`` statuses for each business message, in time order as
a webhook endpoint appends them, each with what the engine's records say Meta reports; so the
log follows the rules and must come out clean. The figures are for the ``reconcile`` command end
to end, in a fresh process, with its peak memory, against its floor: msgspec merely decoding
every line of the same log (goal: within 5x of it).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.command import measure
from benchmarks.engine import synthetic_events
from tests.helpers import webhook_log
from whatsapp_pricing import Timeline

LINES = 1_000_000
EVENTS = 600_000
"""Enough events for a million lines: two statuses per business message, one line per other."""


def write_log(path: Path) -> None:
    """Notifications for the synthetic month, as Meta reports it when it follows the rules."""
    timeline = Timeline.model_validate(
        {"account": {"time_zone": "UTC"}, "events": synthetic_events(events=EVENTS)}
    )
    path.write_text("\n".join(webhook_log(timeline)[:LINES]) + "\n", encoding="utf-8")


def measure_reading(path: str) -> None:
    """Decoding each line alone (the floor), then reading (decoding and taking out what each
    line says, no rule)."""
    import msgspec

    from whatsapp_pricing.webhooks import read_log

    gc.disable()  # as the command line does
    decode = msgspec.json.Decoder().decode
    started = time.perf_counter()
    with open(path, "rb") as log:
        for line in log:
            decode(line)
    decoding = time.perf_counter() - started
    started = time.perf_counter()
    with open(path, "rb") as log:
        for _ in read_log(log):
            pass
    print(json.dumps({"decoding": decoding, "reading": time.perf_counter() - started}))


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "webhooks.jsonl"
        write_log(path)
        size_mb = path.stat().st_size / 1e6
        command = Path(sys.executable).with_name("whatsapp-pricing")
        arguments = [str(command), "reconcile", str(path), "--time-zone", "UTC"]
        figures = measure(arguments, allowed=(0,))  # 1 would be a log that is not clean
        reading = subprocess.run(
            [sys.executable, "-m", "benchmarks.reconcile", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    seconds, peak_mb = figures["seconds"], figures["peak_mb"]
    floor = json.loads(reading)
    print(f"reconcile: {LINES:,} notifications ({size_mb:.0f} MB), a clean log")
    print(
        f"  end to end {seconds:.2f} s ({LINES / seconds:,.0f} lines/s) against msgspec decoding "
        f"every line {floor['decoding']:.2f} s: {seconds / floor['decoding']:.1f}x (goal 5x); "
        f"peak {peak_mb:.0f} MB"
    )
    print(
        f"  reading alone (decoding, and taking out what each line says) {floor['reading']:.2f} s: "
        f"{floor['reading'] / floor['decoding']:.1f}x the floor"
    )


if __name__ == "__main__":
    measure_reading(sys.argv[1])
