"""On a phone: pictures that do not fit say that they scroll, and the rate picker's links and
currency follow what the reader chose and what Meta requires."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Page

PRICING = "/faq/pricing/"


def test_a_timeline_picture_wider_than_a_phone_says_it_scrolls(
    page: Page, site_server: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site_server + "/faq/opening-conversations/", wait_until="networkidle")
    pictures = page.locator(".wp-timeline-picture")
    assert pictures.count() > 0
    assert pictures.evaluate_all("all => all.every(p => p.scrollWidth > p.clientWidth)")
    assert page.locator(".wp-timeline-picture.wp-scrolls").count() == pictures.count()
    hints = page.locator(".wp-scroll-hint")
    assert hints.count() == pictures.count()
    assert hints.first.is_visible()
    assert "sideways" in hints.first.inner_text()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_function("document.querySelectorAll('.wp-scroll-hint').length === 0")


def test_the_picker_shows_india_in_inr_and_says_what_meta_requires(
    page: Page, site_server: str
) -> None:
    page.goto(site_server + PRICING + "#cost-today", wait_until="networkidle")
    page.select_option("#wp-rate-market", "India")
    page.wait_for_selector(".wp-rate-picker__title:has-text('India')")
    assert page.input_value("#wp-rate-currency") == "INR"
    assert page.inner_text(".wp-rate-picker__title").startswith("India, in INR")
    said = page.inner_text(".wp-rate-picker__billing")
    assert "billed in INR by 2026-12-31" in said
    assert "from 2027-01-01" in said
    page.select_option("#wp-rate-market", "Germany")
    page.wait_for_selector(".wp-rate-picker__title:has-text('Germany')")
    assert "in USD" in page.inner_text(".wp-rate-picker__title")
    assert page.locator(".wp-rate-picker__billing").count() == 0


def test_copy_link_keeps_the_chosen_market_and_currency(
    context: BrowserContext, page: Page, site_server: str
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_server)
    page.goto(site_server + PRICING + "?h=rate#cost-today", wait_until="networkidle")
    page.select_option("#wp-rate-market", "India")
    page.select_option("#wp-rate-currency", "USD")
    page.wait_for_selector(".wp-rate-picker__title:has-text('India, in USD')")
    page.click("#cost-today .copy-link")
    page.wait_for_function(
        "() => document.querySelector('#cost-today .copy-link').textContent === 'Link copied'"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{site_server}{PRICING}?market=India&currency=USD#cost-today"
    page.goto(copied, wait_until="networkidle")
    page.wait_for_selector(".wp-rate-picker__title:has-text('India, in USD')")
