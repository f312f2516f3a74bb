"""Reconciling a generated webhook log of a million notifications (goal: 100,000 lines a second).

The log follows the synthetic month of the engine benchmark: an ``inbound`` notification for each
customer message, ``sent`` and ``delivered`` statuses for each business message, in time order as
a webhook endpoint appends them. The figures are for the ``reconcile`` command end to end, in a
fresh process, with its peak memory.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.engine import synthetic_events

LINES = 1_000_000


def notification(value: dict[str, Any]) -> str:
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    )


def write_log(path: Path) -> None:
    lines: list[tuple[int, str]] = []
    for event in synthetic_events(events=LINES * 2 // 3):
        at = int(datetime.fromisoformat(event["at"]).timestamp())
        number = event["customer"].removeprefix("+")
        if event["type"] == "customer_message":
            message = {
                "from": number,
                "id": f"in{len(lines)}",
                "timestamp": str(at),
                "type": "text",
            }
            lines.append((at, notification({"messages": [message]})))
            continue
        category = event.get("category", "service")
        pricing = {"billable": True, "pricing_model": "CBP", "category": category}
        for kind, delay in (("sent", 0), ("delivered", 1)):
            status = {
                "id": event["id"],
                "status": kind,
                "timestamp": str(at + delay),
                "recipient_id": number,
                "pricing": pricing,
            }
            lines.append((at + delay, notification({"statuses": [status]})))
        if len(lines) >= LINES:
            break
    in_time_order = sorted(lines[:LINES], key=lambda line: line[0])
    path.write_text("\n".join(line for _, line in in_time_order) + "\n", encoding="utf-8")


def measure(path: Path) -> tuple[float, float]:
    """Seconds and peak memory (MB) of ``whatsapp-pricing reconcile`` on the log."""
    command = Path(sys.executable).with_name("whatsapp-pricing")
    started = time.perf_counter()
    subprocess.run(
        [str(command), "reconcile", str(path), "--time-zone", "UTC"],
        stdout=subprocess.DEVNULL,
        check=False,  # exits 1: the generated log has undelivered messages
    )
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "webhooks.jsonl"
        write_log(path)
        size_mb = path.stat().st_size / 1e6
        seconds, peak_mb = measure(path)
    print(
        f"reconcile: {LINES:,} notifications ({size_mb:.0f} MB): {LINES / seconds:,.0f} lines/s "
        f"(goal 100,000), peak {peak_mb:.0f} MB"
    )
