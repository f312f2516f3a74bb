"""The engine on a synthetic month: one million events for 100,000 customers.

Goals on a 2-core machine: the engine alone at 500,000 events per second or more; ``simulate``
end to end within twice the time the standard library's ``json`` takes merely to parse the
file; peak memory under 1 GB. Each figure is measured in a fresh process, so one measurement's
memory does not inflate the next.
"""

from __future__ import annotations

import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.command import measure

EVENTS = 1_000_000
CUSTOMERS = 100_000
MONTH_START = datetime(2024, 10, 1, tzinfo=UTC)
MONTH_SECONDS = 30 * 24 * 3600


def synthetic_events(events: int = EVENTS, customers: int = CUSTOMERS) -> list[dict[str, Any]]:
    """A month of traffic: each customer gets a few short exchanges at random times."""
    rng = random.Random(2024)
    numbers = [f"+5511{9_0000_0000 + index:09d}" for index in range(customers)]
    timeline: list[dict[str, Any]] = []
    while len(timeline) < events:
        number = numbers[rng.randrange(customers)]
        start = MONTH_START + timedelta(seconds=rng.randrange(MONTH_SECONDS))
        for step, kind in enumerate(rng.choice(EXCHANGES)):
            at = (start + timedelta(minutes=7 * step)).isoformat()
            event: dict[str, Any] = {"type": kind[0], "at": at, "customer": number}
            if kind[0] == "customer_message" and kind[1]:
                event["entry_point"] = kind[1]
            elif kind[0] != "customer_message":
                event["id"] = f"m{len(timeline)}"
                if kind[0] == "template":
                    event["category"] = kind[1]
            timeline.append(event)
    return timeline[:events]


EXCHANGES = [
    [("customer_message", None), ("free_form", None), ("free_form", None)],
    [("template", "marketing"), ("customer_message", None), ("free_form", None)],
    [("template", "utility"), ("template", "utility")],
    [("template", "authentication")],
    [("customer_message", "click_to_whatsapp_ad"), ("template", "marketing"), ("free_form", None)],
    [("free_form", None)],
]


def write_timeline(path: Path) -> None:
    document = {"account": {"time_zone": "UTC", "currency": "USD"}, "events": synthetic_events()}
    path.write_text(json.dumps(document), encoding="utf-8")


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_engine(path: str) -> None:
    """Times the rules alone on events already validated and in time order."""
    from whatsapp_pricing.engine import ConversationEngine, run
    from whatsapp_pricing.timeline_io import read_timeline

    gc.disable()  # as the command line does
    account, events = read_timeline(Path(path).read_bytes())
    engine = ConversationEngine(account)
    started = time.perf_counter()
    for _ in run(engine, events):
        engine.closed()
    engine.finish()
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "events": len(events), "peak_mb": peak_memory_mb()}))


def measure_floor(path: str) -> None:
    """The least any pure-Python engine does per event: the ceiling for the rules alone.

    Read the event, look its customer up, and give a business message a verdict with a reason;
    no rule at all. Its rate bounds what the real engine can reach on this machine.
    """
    from whatsapp_pricing.engine import Kind
    from whatsapp_pricing.timeline_io import read_timeline

    gc.disable()
    _, events = read_timeline(Path(path).read_bytes())
    customers: dict[str, float] = {}
    started = time.perf_counter()
    for at, _, kind, customer, message, category, _, _ in events:
        customers.setdefault(customer, at)
        if kind != Kind.CUSTOMER_MESSAGE:
            verdict = {"id": message, "status": "delivered", "customer": customer, "market": ""}
            verdict["reason"] = f"the {category} message {message} joins nothing"
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "events": len(events), "peak_mb": peak_memory_mb()}))


def measure_json(path: str) -> None:
    started = time.perf_counter()
    with open(path, encoding="utf-8") as file:
        json.load(file)
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_memory_mb()}))


def in_fresh_process(part: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.engine", part, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output))


def end_to_end(path: Path) -> dict[str, float]:
    command = Path(sys.executable).with_name("whatsapp-pricing")
    return measure([str(command), "simulate", "-"], stdin=path)


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "month.json"
        write_timeline(path)
        size_mb = path.stat().st_size / 1e6
        engine = in_fresh_process("engine", path)
        floor = in_fresh_process("floor", path)
        parse = in_fresh_process("json", path)
        whole = end_to_end(path)
    rate = engine["events"] / engine["seconds"]
    seconds, peak_mb = whole["seconds"], whole["peak_mb"]
    print(f"engine: {EVENTS:,} events for {CUSTOMERS:,} customers ({size_mb:.0f} MB of JSON)")
    print(
        f"engine: rules alone {rate:,.0f} events/s (goal 500,000), peak {engine['peak_mb']:.0f} MB"
    )
    print(
        f"engine: a loop applying no rule at all {floor['events'] / floor['seconds']:,.0f} "
        "events/s (the ceiling for pure Python on this machine)"
    )
    print(
        f"engine: simulate end to end {seconds:.2f} s, json.load alone {parse['seconds']:.2f} s: "
        f"{seconds / parse['seconds']:.2f}x (goal 2x), peak {peak_mb:.0f} MB (goal 1,024 MB)"
    )


if __name__ == "__main__":
    {"engine": measure_engine, "floor": measure_floor, "json": measure_json}[sys.argv[1]](
        sys.argv[2]
    )
