"""Reconciling the same generated log in one process and on Spark in local mode.

The log is the reconcile benchmark's (a synthetic month that follows the rules), cut to a size
a laptop's local Spark gets through in a minute or two. Both runs are the ``reconcile`` command
end to end in a fresh process, so Spark's figure includes starting its JVM and its Python
workers: on a log this small that start-up is a large part of it, and lines per second per core
is the figure to compare (the single-process run uses one core).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.command import measure
from benchmarks.engine import synthetic_events
from tests.helpers import webhook_log
from whatsapp_pricing import Timeline

LINES = 200_000
CORES = min(2, os.cpu_count() or 1)


def run() -> None:
    if shutil.which("java") is None or importlib.util.find_spec("pyspark") is None:
        print("spark: skipped (needs pyspark and a Java runtime)")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "webhooks.jsonl"
        timeline = Timeline.model_validate(
            {"account": {"time_zone": "UTC"}, "events": synthetic_events(events=LINES * 2 // 3)}
        )
        path.write_text("\n".join(webhook_log(timeline)[:LINES]) + "\n", encoding="utf-8")
        command = [str(Path(sys.executable).with_name("whatsapp-pricing")), "reconcile", str(path)]
        command += ["--time-zone", "UTC"]
        single = measure(command)
        spark = measure([*command, "--spark", f"local[{CORES}]"])
    print(f"spark: {LINES:,} notifications, the same clean log")
    for name, figures, cores in (("one process", single, 1), (f"local[{CORES}]", spark, CORES)):
        rate = LINES / figures["seconds"]
        print(
            f"  {name}: {figures['seconds']:.1f} s, {rate:,.0f} lines/s, "
            f"{rate / cores:,.0f} lines/s per core (peak of the driver {figures['peak_mb']:.0f} MB)"
        )
