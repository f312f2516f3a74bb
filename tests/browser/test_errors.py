"""Errors people can read: every form's error at WCAG AA contrast in light and dark, in the
form's words, saying where (line and column in a JSON box) and what to do."""

from __future__ import annotations

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.test_engine import LOADING_MS

SCHEMES = ("default", "slate")
CONTRAST = """node => {
    const rgba = (color) => {
        const [r, g, b, a = 1] = color.match(/[\\d.]+/g).map(Number);
        return [r, g, b, a];
    };
    const layers = [];
    for (let at = node; at; at = at.parentElement) {
        const layer = rgba(getComputedStyle(at).backgroundColor);
        layers.push(layer);
        if (layer[3] === 1) { break; }
    }
    let back = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
        back = [r, g, b].map((channel, i) => channel * a + back[i] * (1 - a));
    }
    const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    const luminance = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    const [one, two] = [luminance(rgba(getComputedStyle(node).color)), luminance(back)];
    return (Math.max(one, two) + 0.05) / (Math.min(one, two) + 0.05);
}"""
"""The contrast of an element's text with what is behind it (translucent layers blended)."""
TIMELINE = '{"account": {"time_zone": "UTC"},\n "events": [\n  {"type": "template", "id": "a"'


def submit(page: Page, form: str) -> str:
    """Presses the form's button, waits for its answer, and returns the alert's text."""
    page.evaluate(f"document.querySelector('{form}').dataset.ranIn = ''")
    page.click(f"{form} button[type=submit]")
    page.wait_for_function(
        f"document.querySelector('{form}').dataset.ranIn !== ''", timeout=LOADING_MS
    )
    return page.locator(f"{form} output [role=alert]").text_content() or ""


def assert_readable(page: Page, form: str) -> None:
    """No axe violation (contrast included) with the error shown, in either colour scheme."""
    alert = page.locator(f"{form} output [role=alert]")
    assert alert.is_visible()
    for scheme in SCHEMES:
        page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        results = Axe().run(page, context=f"{form} output", options={"runOnly": ["wcag2aa"]})
        assert results.violations_count == 0, results.generate_report()
        contrast = alert.evaluate(CONTRAST)
        assert contrast >= 4.5, (scheme, contrast)


def test_an_unfinished_timeline_says_where_and_what_is_missing(
    page: Page, site_server: str
) -> None:
    page.goto(f"{site_server}/try/")
    form = "form[data-engine=simulate]"
    page.fill(f"{form} textarea", TIMELINE)
    said = submit(page, form)
    assert said == (
        "the timeline is not valid JSON: it stops at line 3, column 33 before it is complete: "
        "the { opened at line 3, column 3 is never closed (}]} missing); add what is missing, "
        "or paste the whole text again"
    )
    caret = page.locator(f"{form} textarea").evaluate("box => box.selectionStart")
    assert caret == len(TIMELINE)
    assert_readable(page, form)

    estimate = "form[data-engine=estimate]"
    page.fill(f"{estimate} [name=time_zone]", "Mars/Olympus")
    said = submit(page, estimate)
    assert said.startswith("Time zone: unknown time zone 'Mars/Olympus'; use an IANA name")
    assert page.locator(f"{estimate} [name=time_zone]").get_attribute("aria-invalid") == "true"
    assert_readable(page, estimate)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_check_pages_errors_are_in_its_words(page: Page, site_server: str, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{site_server}/check/")
    paste = "form[data-engine=why-paste]"
    page.fill(
        f"{paste} textarea", json.dumps({"entry": [{"id": "1", "changes": []}]}, indent=1)[:-3]
    )
    said = submit(page, paste)
    assert said.startswith("The paste is not valid JSON: it stops at line ")
    assert "never closed (]} missing)" in said
    assert_readable(page, paste)

    choose = "form[data-engine=why-choose]"
    page.fill(f"{choose} [name=day]", "2021-06-30")
    said = submit(page, choose)
    assert said.startswith("Day: 2021-06-30 is before 2022-02-01")
    assert_readable(page, choose)


@pytest.mark.parametrize("path", ["check", "try"])
def test_a_button_pressed_before_its_form_is_bound_does_nothing(
    page: Page, site_server: str, path: str
) -> None:
    """The served page has every Run button disabled: pressed before the form's code has bound
    it, it would post the form to the server and reload the page, losing what was typed. The
    code enables each button once it has bound its form."""
    served = page.request.get(f"{site_server}/{path}/").text()
    buttons = served.count('type="submit"') or served.count("type=submit")
    assert buttons >= 2
    assert served.count("disabled") >= buttons
    page.route("**/engine-forms.mjs", lambda route: None)  # the form code never arrives
    page.goto(f"{site_server}/{path}/")
    for button in page.locator("form[data-engine] button[type=submit]").all():
        assert button.is_disabled()
    page.unroute("**/engine-forms.mjs")
    page.goto(f"{site_server}/{path}/")
    page.wait_for_function(
        "[...document.querySelectorAll('form[data-engine]')].every((f) => f.dataset.bound)",
        timeout=LOADING_MS,
    )
    for button in page.locator("form[data-engine] button[type=submit]").all():
        assert button.is_enabled()
