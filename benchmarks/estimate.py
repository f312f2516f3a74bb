"""The estimator on a month of ten million messages in three markets: it must answer within
2 seconds once the engine has loaded (goal on a 2-core machine; the browser runs the same
code under Pyodide, a few times slower). Also printed: what the same month would take written
out as a timeline, message by message, as the estimator did before (measured on a thousandth of it
and scaled, since the whole would take minutes).
"""

from __future__ import annotations

import time

GOAL_SECONDS = 2.0
MONTH = {
    "month": "2026-11",
    "markets": [
        {"market": "India", "marketing": 2_000_000, "utility": 1_500_000,
         "authentication": 500_000, "service": 1_000_000, "customers_writing_first": 400_000,
         "via_ads": 20_000},
        {"market": "Rest of Africa", "marketing": 300_000, "utility": 2_500_000,
         "service": 200_000, "customers_writing_first": 100_000},
        {"market": "Brazil", "marketing": 1_000_000, "utility": 800_000,
         "authentication": 200_000},
    ],
}  # fmt: skip


def run() -> None:
    from whatsapp_pricing.estimate import Traffic, estimate
    from whatsapp_pricing.estimate_timeline import estimate_by_timeline

    traffic = Traffic.model_validate(MONTH)
    started = time.perf_counter()
    estimate(traffic)  # the first call, with its caches still empty
    first = time.perf_counter() - started
    started = time.perf_counter()
    answer = estimate(traffic)
    seconds = time.perf_counter() - started
    messages = sum(line.messages for line in answer.lines)
    tenth = Traffic.model_validate(
        {**MONTH, "markets": [{k: v if k == "market" else v // 1000 for k, v in row.items()}
                              for row in MONTH["markets"]]}
    )  # fmt: skip
    started = time.perf_counter()
    estimate_by_timeline(tenth)
    by_timeline = (time.perf_counter() - started) * 1000
    print(f"estimator: {messages:,} messages in 3 markets")
    print(
        f"  closed form {seconds * 1000:.1f} ms, the first call {first:.2f} s "
        f"(goal {GOAL_SECONDS:.0f} s); written as a "
        f"timeline about {by_timeline:.0f} s (measured on a thousandth, scaled)"
    )


if __name__ == "__main__":
    run()
