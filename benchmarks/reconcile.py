"""Reconciling a generated webhook log of a million notifications (goal: 100,000 lines a second).

The log follows the synthetic month of the engine benchmark: an ``inbound`` notification for each
customer message, ``sent`` and ``delivered`` statuses for each business message. The figures are
for reading and reconciling alone, in a fresh process, with its peak memory.
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
    lines: list[str] = []
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
            lines.append(notification({"messages": [message]}))
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
            lines.append(notification({"statuses": [status]}))
        if len(lines) >= LINES:
            break
    path.write_text("\n".join(lines[:LINES]) + "\n", encoding="utf-8")


def measure(path: str) -> None:
    from whatsapp_pricing.domain import Account
    from whatsapp_pricing.reconcile import reconcile
    from whatsapp_pricing.webhooks import read_log

    text = Path(path).read_text(encoding="utf-8")
    started = time.perf_counter()
    result = reconcile(read_log(text), Account(time_zone="UTC"))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "findings": len(result.findings), "peak_mb": peak}))


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "webhooks.jsonl"
        write_log(path)
        output = subprocess.run(
            [sys.executable, "-m", "benchmarks.reconcile", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures = json.loads(output)
    print(
        f"reconcile: {LINES:,} notifications, {figures['findings']:,} messages: "
        f"{LINES / figures['seconds']:,.0f} lines/s (goal 100,000), "
        f"peak {figures['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    measure(sys.argv[1])
