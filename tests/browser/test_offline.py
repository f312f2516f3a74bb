"""The engine's size is said before Run, and after the first Run the engine and the page stay
on the device: a later visit loads the engine from there, not from the site."""

from __future__ import annotations

import re

from playwright.sync_api import Browser

from tests.browser.test_engine import LOADING_MS

FORM = "form[data-engine=why-choose]"


def test_after_a_first_run_the_engine_is_kept_on_the_device(
    browser: Browser, site_server: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site_server}/check/", wait_until="networkidle")
    size = page.locator(f"{FORM} .engine-size").inner_text()
    assert re.fullmatch(r"First run downloads the engine: \d+\.\d MB, once\.", size)
    page.fill(f"{FORM} [name=day]", "2026-11-03")
    page.click(f"{FORM} button[type=submit]")
    page.wait_for_selector(f"{FORM} .why-answer", timeout=LOADING_MS)
    assert page.locator(".engine-size").count() == 0
    page.evaluate("navigator.serviceWorker.ready")
    page.wait_for_function(
        "caches.open('wp-engine').then(cache => cache.keys())"
        ".then(keys => keys.some(key => key.url.endsWith('.zip'))"
        " && keys.some(key => key.url.endsWith('/check/')))",
        timeout=LOADING_MS,
    )
    # A later visit: the engine comes from the copy on the device, not from the site.
    later = context.new_page()
    from_site: list[str] = []
    later.on(
        "response",
        lambda response: (
            from_site.append(response.url)
            if "/assets/engine/" in response.url
            and not response.from_service_worker
            and not response.url.endswith("engine.json")
            else None
        ),
    )
    later.goto(f"{site_server}/check/", wait_until="networkidle")
    later.fill(f"{FORM} [name=day]", "2026-11-03")
    later.click(f"{FORM} button[type=submit]")
    later.wait_for_selector(f"{FORM} .why-answer", timeout=LOADING_MS)
    assert "USD" in later.locator(f"{FORM} .why-facts dd").first.inner_text()
    assert from_site == []
    context.close()
