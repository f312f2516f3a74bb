"""The estimator on a month of ten million messages in three markets: it must answer within
2 seconds once the engine has loaded (goal on a 2-core machine), in Python and on the Try page
(the same code under Pyodide; the page's second Estimate, the first having loaded the engine).
Also printed: what the same month would take written out as a timeline, message by message, as
the estimator did before (measured on a thousandth of it and scaled).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

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


def as_csv() -> str:
    """The month's table as the Try page's CSV box takes it."""
    markets = MONTH["markets"]
    assert isinstance(markets, list)
    columns = ["market", "marketing", "utility", "authentication", "service"]
    columns += ["customers_writing_first", "via_ads"]
    lines = [",".join(columns)]
    lines += [",".join(str(row.get(column, 0)) for column in columns) for row in markets]
    return "\n".join(lines)


def in_the_browser() -> float | None:
    """Seconds the Try page takes to answer the month once the engine has loaded."""
    from benchmarks.site import build_seconds, press, served
    from tests.browser.chromium import find_chromium

    if find_chromium() is None:
        return None
    form = "form[data-engine=estimate]"
    with tempfile.TemporaryDirectory() as site_dir:
        build_seconds(site_dir)
        with served(Path(site_dir)) as (base, browser):
            page = browser.new_page()
            page.goto(f"{base}/try/", wait_until="networkidle")
            page.wait_for_function(f"document.querySelector('{form}').dataset.ready")
            page.fill(f"{form} [name=month]", str(MONTH["month"]))
            page.click(f"{form} .estimate-csv summary")
            page.fill(f"{form} [name=pasted]", as_csv())
            page.click(f"{form} [data-read-csv]")
            press(page, form)  # loads the engine
            seconds = press(page, form)
            page.close()
    return seconds


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
    browser = in_the_browser()
    if browser is None:
        print("  on the Try page: skipped, no Chromium (apt-get install chromium)")
    else:
        print(
            f"  on the Try page {browser:.2f} s once the engine has loaded, the month and a year "
            f"earlier (goal {GOAL_SECONDS:.0f} s)"
        )


if __name__ == "__main__":
    run()
