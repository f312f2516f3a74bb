"""Reconciling a generated webhook log of a million notifications (goal: 100,000 lines a second).

The log follows the synthetic month of the engine benchmark: an ``inbound`` notification for each
customer message, ``sent`` and ``delivered`` statuses for each business message, in time order as
a webhook endpoint appends them. The figures are for the ``reconcile`` command end to end, in a
fresh process, with its peak memory.
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
    """Reading alone (decoding each line and taking out what it says): the ceiling for reconcile."""
    from whatsapp_pricing.webhooks import read_log

    gc.disable()  # as the command line does
    started = time.perf_counter()
    with open(path, "rb") as log:
        for _ in read_log(log):
            pass
    print(json.dumps({"seconds": time.perf_counter() - started}))


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "webhooks.jsonl"
        write_log(path)
        size_mb = path.stat().st_size / 1e6
        command = Path(sys.executable).with_name("whatsapp-pricing")
        # Exit status 1 is a log that is not clean, which a generated month may be.
        arguments = [str(command), "reconcile", str(path), "--time-zone", "UTC"]
        figures = measure(arguments, allowed=(0, 1))
        reading = subprocess.run(
            [sys.executable, "-m", "benchmarks.reconcile", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    seconds, peak_mb = figures["seconds"], figures["peak_mb"]
    print(
        f"reconcile: {LINES:,} notifications ({size_mb:.0f} MB): {LINES / seconds:,.0f} lines/s "
        f"(goal 100,000), peak {peak_mb:.0f} MB"
    )
    print(
        f"reconcile: reading alone {LINES / json.loads(reading)['seconds']:,.0f} lines/s "
        "(the ceiling, before any rule or comparison)"
    )


if __name__ == "__main__":
    measure_reading(sys.argv[1])
