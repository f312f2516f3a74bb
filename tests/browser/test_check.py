"""Why was I charged? in a real browser: a pasted webhook gets the answer Python gives, offline
and on a phone, and the link to the answer opens the same question."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.chromium import only_the_site
from tests.browser.test_engine import LOADING_MS
from whatsapp_pricing.why_charged import Answer, answer, question_from_json

LOG = Path(__file__).parents[1] / "fixtures" / "webhooks" / "december-2026.jsonl"
STATUS = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "statuses": [
                            {
                                "id": "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQTE2",
                                "status": "delivered",
                                "timestamp": "1793613600",
                                "recipient_id": "919812345678",
                                "pricing": {
                                    "billable": False,
                                    "pricing_model": "PMP",
                                    "category": "utility",
                                    "type": "free_customer_service",
                                },
                            }
                        ],
                    },
                }
            ],
        }
    ],
}
PASTE = "form[data-engine=why-paste]"
CHOOSE = "form[data-engine=why-choose]"


@pytest.fixture(scope="module")
def check_context(browser: Browser, site_server: str) -> Iterator[BrowserContext]:
    """A browser that may reach the site and nothing else (checked at the end)."""
    context = browser.new_context()
    with only_the_site(context, site_server):
        yield context
        context.close()


@pytest.fixture(scope="module")
def check_page(check_context: BrowserContext, site_server: str) -> Iterator[Page]:
    """The page, shared by the tests so that Pyodide loads once."""
    page = check_context.new_page()
    page.goto(f"{site_server}/check/")
    yield page
    page.close()


def check(page: Page, form: str) -> None:
    page.evaluate(f"document.querySelector('{form}').dataset.ranIn = ''")
    page.click(f"{form} button[type=submit]")
    page.wait_for_function(
        f"document.querySelector('{form}').dataset.ranIn !== ''", timeout=LOADING_MS
    )


def shown(page: Page, form: str) -> list[dict[str, str]]:
    """What each answer on the page says, field by field."""
    return page.locator(f"{form} .why-answer").evaluate_all(
        """sections => sections.map(section => ({
            facts: Object.fromEntries([...section.querySelectorAll('dt')].map(
                term => [term.textContent, term.nextElementSibling.textContent])),
            rule: section.querySelector('dd a').href,
            notes: [...section.querySelectorAll('.engine-notice')].map(note => note.textContent),
            sentence: section.querySelector('textarea.why-sentence').value,
        }))"""
    )


def expected(found: Answer) -> dict[str, object]:
    charge = (
        "unpriced"
        if found.charge.amount is None
        else f"{found.charge.amount} {found.charge.currency}"
    )
    return {
        "charge": charge,
        "rule": found.rule_link,
        "period": found.period.id,
        "notes": found.notes,
    }


def python_answers(page: Page, form: str, site: str) -> list[Answer]:
    """Python's answers to the question the page asked, with the link the page put in it."""
    fields = page.evaluate(f"Object.fromEntries(new FormData(document.querySelector('{form}')))")
    link = shown(page, form)[0]["sentence"].rsplit("Details: ", 1)[1]
    return answer(question_from_json(json.dumps({**fields, "link": link, "site": f"{site}/"})))


def assert_same(page: Page, form: str, site: str) -> list[Answer]:
    answers = python_answers(page, form, site)
    on_page = shown(page, form)
    assert len(on_page) == len(answers)
    for seen, found in zip(on_page, answers, strict=True):
        wanted = expected(found)
        assert seen["facts"]["Charge"] == wanted["charge"]
        assert seen["facts"]["Period"].startswith(found.period.id)
        assert seen["facts"]["Why"] == found.reason
        assert seen["rule"] == wanted["rule"]
        assert seen["notes"] == found.notes
        assert seen["sentence"] == found.sentence
    return answers


def test_a_pasted_status_webhook_gets_pythons_answer(check_page: Page, site_server: str) -> None:
    check_page.fill(f"{PASTE} textarea", json.dumps(STATUS, indent=2))
    check_page.fill(f"{PASTE} [name=time_zone]", "Asia/Kolkata")
    check(check_page, PASTE)
    [found] = assert_same(check_page, PASTE, site_server)
    assert found.rule == "pmp.charged"
    assert found.differences  # Meta said free; without the customer's message the rules cannot
    meta = check_page.locator(f"{PASTE} .why-meta").text_content()
    assert "free_customer_service" in meta
    assert "Differs from the rules" in meta


def test_log_lines_of_two_accounts_get_pythons_answers(check_page: Page, site_server: str) -> None:
    check_page.fill(f"{PASTE} textarea", LOG.read_text())
    check_page.fill(f"{PASTE} [name=time_zone]", "Africa/Nairobi")
    check(check_page, PASTE)
    answers = assert_same(check_page, PASTE, site_server)
    assert [found.message for found in answers] == ["wamid.A1", "wamid.A2", "wamid.A3", "wamid.B1"]


def test_four_choices_get_pythons_answer(check_page: Page, site_server: str) -> None:
    check_page.wait_for_function(
        f"document.querySelector('{CHOOSE}').elements.country.options.length > 100"
    )
    check_page.fill(f"{CHOOSE} [name=day]", "2026-11-03")
    check_page.select_option(f"{CHOOSE} [name=country]", "BR")
    check_page.select_option(f"{CHOOSE} [name=category]", "service")
    check_page.select_option(f"{CHOOSE} [name=customer_wrote]", "yes")
    check(check_page, CHOOSE)
    [found] = assert_same(check_page, CHOOSE, site_server)
    assert (found.rule, found.market) == ("pmp.service_charged", "Brazil")


def test_an_unfinished_paste_says_where_and_what_is_missing(check_page: Page) -> None:
    check_page.fill(f"{PASTE} textarea", json.dumps(STATUS, indent=2)[:-30])
    check(check_page, PASTE)
    alert = check_page.locator(f"{PASTE} [role=alert]").text_content()
    assert "stops at line" in alert
    assert "is never closed" in alert


def test_it_answers_offline_on_a_phone(
    check_context: BrowserContext, check_page: Page, site_server: str
) -> None:
    check_page.set_viewport_size({"width": 390, "height": 844})
    check_context.set_offline(True)
    try:
        check_page.fill(f"{PASTE} textarea", json.dumps(STATUS))
        check(check_page, PASTE)
        assert_same_offline = shown(check_page, PASTE)
        assert assert_same_offline[0]["facts"]["Charge"].endswith("USD")
        overflow = check_page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        check_context.set_offline(False)
        check_page.set_viewport_size({"width": 1280, "height": 900})


def test_the_link_in_the_ticket_sentence_opens_the_same_question(
    check_context: BrowserContext, check_page: Page
) -> None:
    check_page.fill(f"{PASTE} textarea", json.dumps(STATUS))
    check(check_page, PASTE)
    link = shown(check_page, PASTE)[0]["sentence"].rsplit("Details: ", 1)[1]
    other = check_context.new_page()
    other.goto(link, wait_until="networkidle")
    other.wait_for_function(f"document.querySelector('{PASTE} textarea').value.includes('wamid')")
    assert json.loads(other.locator(f"{PASTE} textarea").input_value()) == STATUS
    other.close()


def test_a_message_the_rules_reject_is_not_said_to_match_metas_report(
    check_page: Page, site_server: str
) -> None:
    """A real India account's service reply of 2023 (public-statuses.jsonl lines 1 and 2), the
    reader saying the customer had not written: the rules reject it (csw.closed), so Meta's
    billable report cannot be "the same" as theirs."""
    lines = (LOG.parent / "real" / "public-statuses.jsonl").read_text().splitlines()
    check_page.fill(f"{PASTE} textarea", "\n".join(lines[:2]))
    check_page.select_option(f"{PASTE} [name=customer_wrote]", "no")
    check(check_page, PASTE)
    [found] = assert_same(check_page, PASTE, site_server)
    assert (found.rule, found.expected) == ("csw.closed", None)
    meta = check_page.locator(f"{PASTE} .why-meta").text_content()
    assert meta is not None
    assert "The rules expect the same" not in meta
    assert "under them this message is not delivered at all" in meta


def test_the_page_describes_the_buttons_it_has(check_page: Page) -> None:
    """The page's "What the answer says" names the ticket button the answer really shows."""
    page = (Path(__file__).parents[2] / "docs" / "check.md").read_text(encoding="utf-8")
    check_page.fill(f"{PASTE} textarea", json.dumps(STATUS, indent=2))
    check(check_page, PASTE)
    buttons = check_page.locator(f"{PASTE} .why-answer button").all_text_contents()
    quoted = re.findall(r'"(Copy[^"]*)"', " ".join(page.split()))
    assert quoted
    assert set(quoted) <= set(buttons)
