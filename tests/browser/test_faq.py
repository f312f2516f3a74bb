"""What readers and support staff do in a real browser: search, follow links, copy links."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import DOCS, page_url_path

PAGES = sorted(DOCS.rglob("*.md"))

SEARCHES = {
    "free tier": "/faq/pricing/#free-tier",
    "green checkmark": "/faq/account-types/#green-checkmark",
    "on-premises": "/faq/cloud-vs-on-premises/#comparison",
    "72 hours": "/faq/opening-conversations/#free-entry-point",
    "utility template": "/faq/pricing/#utility-in-service-window",
    "service messages charged": "/faq/pricing/#service-messages-charged",
    # What Meta's webhooks and developer pages say, rather than the words the site writes.
    "PMP": "/glossary/#pmp",
    "CBP": "/glossary/#cbp",
    "FEP": "/glossary/#fep",
    "CSW": "/glossary/#csw",
    "BSUID": "/glossary/#bsuid",
}


def first_question_found(page: Page, site: str, query: str) -> str:
    page.goto(site + "/", wait_until="networkidle")
    page.click("input.md-search__input")
    page.keyboard.type(query)
    # Results arrive as the query is typed; wait for those of the whole query (each of its words
    # but the shortest, which search may drop as stop words, is then among the result links'
    # highlight terms), not of its first letters.
    words = [word.lower() for word in re.split(r"[\s-]+", query) if len(word) > 2]
    page.wait_for_function(
        """words => [...document.querySelectorAll('.md-search-result__item a')].some(link => {
            const terms = new URL(link.href).searchParams.get('h')?.split(' ') ?? [];
            return words.every(word => terms.includes(word));
        })""",
        arg=words,
    )
    links = page.eval_on_selector_all(
        ".md-search-result__item a.md-search-result__link", "links => links.map(a => a.href)"
    )
    first = next(link for link in links if "#" in link)
    address, anchor = first.split("#")
    return address.removeprefix(site).split("?")[0] + "#" + anchor


@pytest.mark.parametrize(("query", "question"), SEARCHES.items())
def test_search_puts_the_right_question_first(
    page: Page, site_server: str, query: str, question: str
) -> None:
    assert first_question_found(page, site_server, query) == question


def results_for(page: Page, site: str, query: str) -> list[dict[str, str]]:
    first_question_found(page, site, query)
    return page.eval_on_selector_all(
        ".md-search-result__item a.md-search-result__link",
        "links => links.map(a => ({href: a.href, text: a.innerText}))",
    )


def test_a_figure_is_found_without_its_thousands_separator(page: Page, site_server: str) -> None:
    found = [result["href"] for result in results_for(page, site_server, "1000")]
    assert any(href.endswith("/faq/pricing/?h=1000#free-tier") for href in found)


def test_result_previews_show_answers_not_code(page: Page, site_server: str) -> None:
    previews = [result["text"] for result in results_for(page, site_server, "simulate timeline")]
    assert len(previews) > 5
    assert not [text for text in previews if "import" in text or "#>" in text]


def test_a_deep_link_lands_on_its_question(page: Page, site_server: str) -> None:
    page.goto(site_server + "/faq/pricing/#free-tier", wait_until="networkidle")
    top = page.eval_on_selector("#free-tier", "heading => heading.getBoundingClientRect().top")
    assert 0 <= top < 200
    assert page.evaluate("window.scrollY") > 0


def test_the_copy_link_button_copies_the_question_address(
    context: BrowserContext, page: Page, site_server: str
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_server)
    page.goto(site_server + "/faq/categories/", wait_until="networkidle")
    page.click("#mixed-content .copy-link")
    page.wait_for_function(
        "() => document.querySelector('#mixed-content .copy-link').textContent === 'Link copied'"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == site_server + "/faq/categories/#mixed-content"


def test_the_copy_link_button_survives_instant_navigation(page: Page, site_server: str) -> None:
    page.goto(site_server + "/", wait_until="networkidle")
    page.click("a[href$='faq/pricing/#charged-twice']")
    page.wait_for_url("**/faq/pricing/#charged-twice")
    page.wait_for_selector("#charged-twice .copy-link")


SCRIPTS_SETTLED = """() => document.querySelector('.md-search[aria-label]') !== null
    && [...document.querySelectorAll('pre > code')].every(
        code => code.scrollWidth <= code.clientWidth || code.hasAttribute('tabindex'))"""
"""Whether the page's scripts have done what they do for accessibility after it loads: the
site's script names the search dialog (site.js), and the theme makes each code block that
scrolls focusable once it has measured it (a frame later, which on a busy machine may come
after the network has gone quiet)."""


@pytest.mark.parametrize("source", PAGES, ids=lambda source: str(source.relative_to(DOCS)))
def test_no_accessibility_violations(page: Page, site_server: str, source: Path) -> None:
    page.goto(site_server + page_url_path(source), wait_until="networkidle")
    # Waited for, not assumed: scripts that never do it leave the violations for axe to report.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(SCRIPTS_SETTLED, timeout=10_000)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("width", [375, 390])
@pytest.mark.parametrize("source", PAGES, ids=lambda source: str(source.relative_to(DOCS)))
def test_a_phone_never_scrolls_sideways(
    page: Page, site_server: str, source: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 812})
    page.goto(site_server + page_url_path(source), wait_until="networkidle")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_what_an_example_prints_wraps_on_a_phone_and_its_code_opens(
    page: Page, site_server: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(site_server + "/", wait_until="networkidle")
    outputs = page.locator(".proof-output samp")
    assert outputs.count() >= 2
    cut_off = outputs.evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth).length")
    assert cut_off == 0
    assert "charged at the India service rate" in outputs.nth(1).inner_text()
    proof = page.locator("details.proof").first
    assert not proof.locator("pre").is_visible()
    proof.locator("summary").click()
    assert proof.locator("pre").is_visible()


def test_a_rule_code_pasted_with_its_dots_finds_its_entry(page: Page, site_server: str) -> None:
    page.goto(site_server + "/rules/#pmp.service_charged", wait_until="networkidle")
    assert page.evaluate("location.hash") == "#pmp-service-charged"
    top = page.locator("#pmp-service-charged").evaluate("e => e.getBoundingClientRect().top")
    assert 0 <= top < 200
