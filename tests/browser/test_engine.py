"""The engine running in the reader's browser says what Python says, and asks no other host."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.chromium import only_the_site
from tests.conftest import DOCS
from whatsapp_pricing import Timeline, simulate
from whatsapp_pricing.estimate import Traffic, estimate
from whatsapp_pricing.providers import PROVIDER_PROFILES

LOADING_MS = 180_000
"""How long the first Run may take to load Pyodide on a busy two-core machine."""
FENCE = re.compile(r"^```timeline\n(.*?)^```", re.MULTILINE | re.DOTALL)


def docs_timelines() -> list[str]:
    """Every timeline drawn on the site's pages."""
    return [body for page in sorted(DOCS.rglob("*.md")) for body in FENCE.findall(page.read_text())]


@pytest.fixture(scope="module")
def offline_page(browser: Browser, site_server: str) -> Iterator[Page]:
    """The Try page, able to reach the site and nothing else (checked at the end), shared by
    the tests so that Pyodide loads once."""
    page = browser.new_page()
    with only_the_site(page, site_server):
        page.goto(f"{site_server}/try/")
        yield page
        page.close()


def run(page: Page, form: str) -> None:
    """Presses the form's button and waits for its answer."""
    selector = f"form[data-engine={form}]"
    page.evaluate(f"document.querySelector('{selector}').dataset.ranIn = ''")
    page.click(f"{selector} button[type=submit]")
    page.wait_for_function(
        f"document.querySelector('{selector}').dataset.ranIn !== ''", timeout=LOADING_MS
    )


def money(charge: dict[str, Any]) -> str:
    if charge["amount"] is None:
        return "unpriced"
    return f"{'at most ' if charge.get('at_most') else ''}{charge['amount']} {charge['currency']}"


def test_the_docs_timelines_get_the_verdict_python_gives(offline_page: Page) -> None:
    timelines = docs_timelines()
    assert len(timelines) >= 20
    for text in timelines:
        offline_page.fill("form[data-engine=simulate] textarea", text)
        run(offline_page, "simulate")
        expected = simulate(Timeline.model_validate_json(text)).model_dump(mode="json")
        output = offline_page.locator("form[data-engine=simulate] output")
        rows = output.locator("tbody tr").evaluate_all(
            "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
        )
        assert rows == [
            [m["id"], m["customer"], m["market"], money(m["charge"]), m["rule"]]
            for m in expected["messages"]
        ]
        reasons = output.locator(".engine-reasons dd").all_text_contents()
        assert reasons == [message["reason"] for message in expected["messages"]]


def test_on_a_phone_the_results_stack_with_their_column_names(offline_page: Page) -> None:
    offline_page.set_viewport_size({"width": 390, "height": 844})
    offline_page.fill("form[data-engine=simulate] textarea", docs_timelines()[0])
    run(offline_page, "simulate")
    cells = offline_page.locator("form[data-engine=simulate] output td")
    rights = cells.evaluate_all("cells => cells.map(cell => cell.getBoundingClientRect().right)")
    assert max(rights) <= 390
    assert (
        cells.first.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Message: "'
    )
    offline_page.set_viewport_size({"width": 1280, "height": 900})


def test_a_mistake_is_one_line_as_on_the_command_line(offline_page: Page) -> None:
    offline_page.fill(
        "form[data-engine=simulate] textarea",
        '{"account": {"time_zone": "UTC"}, "events": [{"type": "template", "id": "a",'
        ' "at": "2026-11-06T18:00:00", "customer": "+919812345678", "category": "utility"}]}',
    )
    run(offline_page, "simulate")
    alert = offline_page.locator("form[data-engine=simulate] [role=alert]")
    assert "events[0].at" in alert.text_content()
    assert "no UTC offset" in alert.text_content()


TEN_MILLION = """country,marketing,utility,authentication,service,customers_writing_first,via_ads
IN,1500000,1500000,500000,1000000,400000,20000
US,500000,0,0,0,0,0
Rest of Africa,300000,2500000,0,200000,100000,0
Brazil,1000000,500000,200000,0,0,0
ca,0,300000,0,0,0,0
"""
"""Countries by code (either case) and by name, and a market: the US row's marketing is not
delivered in 2026, nor in the year before."""


def estimator_ready(page: Page) -> str:
    form = "form[data-engine=estimate]"
    page.wait_for_function(f"document.querySelector('{form}').dataset.ready === 'true'")
    return form


def test_ten_million_messages_by_country_and_market_get_pythons_estimate(
    offline_page: Page,
) -> None:
    form = estimator_ready(offline_page)
    offline_page.fill(f"{form} [name=month]", "2026-11")
    offline_page.click(f"{form} .estimate-csv summary")
    offline_page.fill(f"{form} [name=pasted]", TEN_MILLION)
    offline_page.click(f"{form} [data-read-csv]")
    offline_page.select_option(f"{form} [name=profile]", "Twilio")
    offline_page.fill(f"{form} [name=failed_messages]", "1000")
    run(offline_page, "estimate")

    rows = list(csv.DictReader(io.StringIO(TEN_MILLION)))
    asked = {
        "month": "2026-11",
        "failed_messages": 1000,
        "provider": next(p for p in PROVIDER_PROFILES if p.name == "Twilio").model_dump(),
        "markets": [
            {name: value if name == "country" else int(value) for name, value in row.items()}
            for row in rows
        ],
    }
    counted = ("marketing", "utility", "authentication", "service")
    assert sum(int(row[name]) for row in rows for name in counted) == 10_000_000
    traffic = Traffic.model_validate(asked)
    now, before = estimate(traffic), estimate(traffic.a_year_earlier())
    shown = offline_page.locator(f"{form} output tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    assert [row[:4] for row in shown[: len(now.lines)]] == [
        [line.row, line.market, line.category, f"{line.messages:,}"] for line in now.lines
    ]
    for row, line, earlier in zip(shown, now.lines, before.lines, strict=False):
        assert Decimal(row[5].split()[0]) == line.amount
        assert Decimal(row[6].split()[0]) == earlier.amount
        assert ("not delivered" in row[5]) is bool(line.undelivered)
    us_marketing = next(row for row in shown if row[:3] == ["US", "North America", "marketing"])
    assert us_marketing[5] == "0 USD, 500,000 not delivered"
    assert [line.market for line in now.lines if line.row in ("US", "ca")] == ["North America"] * 2
    # Each figure's heading says the month (and the rules) it is priced at.
    headings = offline_page.locator(f"{form} output thead th").all_text_contents()
    assert headings[4:] == [
        "Charged in November 2026",
        f"Meta's charge, November 2026 (rules {', '.join(now.periods)})",
        f"Same messages, November 2025 (rules {', '.join(before.periods)})",
    ]
    notices = offline_page.locator(f"{form} output .estimate-undelivered").all_text_contents()
    assert len(notices) == 2
    assert notices[0].startswith(
        "November 2026, US, 500,000 marketing messages: not delivered, free."
    )
    assert notices[0].endswith("(rule us.marketing_blocked)")
    totals = {row[0]: row for row in shown[len(now.lines) :]}
    assert now.provider is not None
    assert Decimal(totals["Meta's charge"][5].split()[0]) == now.total
    assert Decimal(totals["Twilio fees"][5].split()[0]) == now.provider.total
    assert Decimal(totals["All in"][5].split()[0]) == now.all_in
    downloaded = offline_page.locator(f"{form} a.estimate-download").evaluate(
        "link => fetch(link.href).then(answer => answer.text())"
    )
    assert downloaded == now.to_csv()


def test_the_estimator_names_what_it_cannot_estimate_in_the_forms_words(
    offline_page: Page,
) -> None:
    form = estimator_ready(offline_page)
    offline_page.fill(f"{form} [name=pasted]", "market,service\nIndia,10")
    offline_page.click(f"{form} [data-read-csv]")
    run(offline_page, "estimate")
    alert = offline_page.locator(f"{form} output [role=alert]").text_content()
    assert alert == "Row 1 (India): service replies need at least one customer who writes first"
    offline_page.fill(f"{form} [name=pasted]", "market,utilities\nIndia,10")
    offline_page.click(f"{form} [data-read-csv]")
    problem = offline_page.locator(f"{form} .estimate-csv-problem").text_content()
    assert problem.startswith('CSV line 1: unknown column "utilities"')
    offline_page.fill(f"{form} [name=pasted]", "country,marketing\nAtlantis,10")
    offline_page.click(f"{form} [data-read-csv]")
    run(offline_page, "estimate")
    alert = offline_page.locator(f"{form} output [role=alert]").text_content()
    assert alert.startswith("Row 1 (Atlantis): no country or market is named 'Atlantis'")


def test_the_estimator_form_fits_a_phone_and_a_desktop(offline_page: Page) -> None:
    form = estimator_ready(offline_page)
    widths = {}
    for width in (390, 1280):
        offline_page.set_viewport_size({"width": width, "height": 900})
        rights = offline_page.locator(f"{form} input, {form} select, {form} button").evaluate_all(
            # On a desktop the table of markets scrolls within itself; on a phone it stacks.
            "nodes => nodes.filter(node => node.offsetParent"
            " && (innerWidth < 600 || !node.closest('.engine-table')))"
            ".map(node => node.getBoundingClientRect().right)"
        )
        assert rights
        assert max(rights) <= width
        widths[width] = offline_page.evaluate("document.documentElement.scrollWidth")
    offline_page.set_viewport_size({"width": 1280, "height": 900})
    assert widths == {390: 390, 1280: 1280}


def test_no_other_page_loads_the_engine(page: Page, site_server: str) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{site_server}/faq/pricing/", wait_until="networkidle")
    assert not [address for address in asked if "/assets/engine/" in address]
    assert json.loads(page.evaluate("JSON.stringify(typeof window.loadPyodide)")) == "undefined"


def test_edit_and_run_opens_a_pages_timeline_in_the_try_form(page: Page, site_server: str) -> None:
    page.goto(f"{site_server}/faq/pricing/", wait_until="networkidle")
    links = page.locator("figure.wp-timeline .edit-and-run a")
    assert links.count() == len(FENCE.findall((DOCS / "faq" / "pricing.md").read_text()))
    links.first.click()
    page.wait_for_url("**/try/#timeline=*")
    # The forms' code loads after the page; it takes the timeline from the address when it
    # binds the form, so read the box only once the form is bound.
    page.wait_for_selector("form[data-engine=simulate][data-bound=true]", state="attached")
    shown = page.locator("form[data-engine=simulate] textarea").input_value()
    first = FENCE.findall((DOCS / "faq" / "pricing.md").read_text())[0]
    assert json.loads(shown) == json.loads(first)


def test_the_bill_comparison_in_the_browser_is_pythons(offline_page: Page) -> None:
    """The Try page's "Does my bill match?" form, with its pasted log and pricing_analytics
    response, shows what ``reconcile --analytics`` says (the same engine, offline)."""
    from whatsapp_pricing.domain import Account
    from whatsapp_pricing.reconcile import statement
    from whatsapp_pricing.reconcile.bill import compare_log

    form = "form[data-engine=bill]"
    log = offline_page.locator(f"{form} [name=log]").input_value()
    analytics = offline_page.locator(f"{form} [name=analytics]").input_value()
    time_zone = offline_page.locator(f"{form} [name=time_zone]").input_value()
    run(offline_page, "bill")
    [bill] = compare_log(log, analytics, Account(time_zone=time_zone))
    output = offline_page.locator(f"{form} output")
    assert output.locator(".engine-total").all_text_contents() == [statement.summary(bill)[0]]
    rows = output.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    expected = [statement.row(bill, bucket) for bucket in bill.differing]
    assert expected, "the page's example should show a difference"
    assert rows == [
        [
            f"{row['start']} to {row['end']}",
            row["country"],
            row["category"],
            row["type"],
            f"{row['meta_volume']} for {row['meta_cost']}",
            f"{row['rules_volume']} for {row['rules_cost']}",
            row["status"],
            row["causes"],
        ]
        for row in expected
    ]
