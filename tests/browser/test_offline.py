"""The engine's size is said before Run; it loads while the reader reads (unless their browser
asks to save data); once loaded it stays on the device: a later visit loads it from there, not
from the site, and the page reloaded with no connection still gives the verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.chromium import only_the_site
from tests.browser.test_engine import LOADING_MS, docs_timelines, money
from whatsapp_pricing import Timeline, simulate

FORM = "form[data-engine=why-choose]"
TRY = "form[data-engine=simulate]"
SIZE = re.compile(
    r"(First run downloads the engine: |Loading the engine \()(?P<mb>\d+\.\d) MB, once(\.|\)…)"
)


def engine_kept(page: Page, address: str) -> None:
    """Waits until the service worker controls the page and says it kept the page's files,
    then checks that its cache holds the engine and the page at ``address``.

    It waits on the page's own mark: ``wait_for_function`` takes a predicate's promise as
    true at once, so it cannot wait on the cache itself."""
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=LOADING_MS)
    page.wait_for_function("document.documentElement.dataset.engineKept", timeout=LOADING_MS)
    assert page.evaluate("document.documentElement.dataset.engineKept") == "true"
    kept = page.evaluate(
        "caches.open('wp-engine').then(cache => cache.keys()).then(keys => keys.map(k => k.url))"
    )
    assert address in kept, kept
    assert any(key.endswith(".zip") for key in kept), kept


def test_the_engine_loads_while_the_reader_reads_and_says_its_size(
    browser: Browser, site_server: str, built_site: Path
) -> None:
    manifest = json.loads((built_site / "assets/engine/engine.json").read_text())
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    with only_the_site(page, site_server):
        page.goto(f"{site_server}/check/")
        size = page.locator(f"{FORM} .engine-size").inner_text()
        said = SIZE.fullmatch(size)
        assert said, size
        assert said["mb"] == f"{manifest['download_bytes'] / 1e6:.1f}"
        # Nobody pressed Run: the engine loads on its own, and the note says when it is ready.
        page.wait_for_function("document.documentElement.dataset.engineReady", timeout=LOADING_MS)
        assert page.locator(f"{FORM} .engine-size").inner_text() == "The engine is ready."
        page.fill(f"{FORM} [name=day]", "2026-11-03")
        page.click(f"{FORM} button[type=submit]")
        page.wait_for_selector(f"{FORM} .why-answer", timeout=LOADING_MS)
        assert "USD" in page.locator(f"{FORM} .why-facts dd").first.inner_text()
    context.close()


def test_a_reader_saving_data_downloads_the_engine_only_when_they_press_run(
    browser: Browser, site_server: str
) -> None:
    context = browser.new_context()
    context.add_init_script(
        "Object.defineProperty(NetworkInformation.prototype, 'saveData', { get: () => true })"
    )
    page = context.new_page()
    engine_files: list[str] = []
    page.on(
        "request",
        lambda request: (
            engine_files.append(request.url)
            if "/assets/engine/" in request.url and not request.url.endswith("engine.json")
            else None
        ),
    )
    page.goto(f"{site_server}/try/", wait_until="networkidle")
    page.wait_for_timeout(3000)
    assert engine_files == []
    assert re.fullmatch(
        r"First run downloads the engine: \d+\.\d MB, once\.",
        page.locator(f"{TRY} .engine-size").inner_text(),
    )
    page.click(f"{TRY} button[type=submit]")
    page.wait_for_function(f"document.querySelector('{TRY}').dataset.ranIn", timeout=LOADING_MS)
    assert any(address.endswith(".zip") for address in engine_files)
    context.close()


def test_after_the_engine_loaded_a_later_visit_takes_it_from_the_device(
    browser: Browser, site_server: str
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site_server}/check/", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.engineReady", timeout=LOADING_MS)
    engine_kept(page, f"{site_server}/check/")
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


def offline_verdict(context: BrowserContext, page: Page, timeline: str) -> list[list[str]]:
    """With no connection, reloads the Try page and runs a timeline; the verdict's rows."""
    context.set_offline(True)
    page.reload()
    page.fill(f"{TRY} textarea", timeline)
    page.click(f"{TRY} button[type=submit]")
    page.wait_for_function(f"document.querySelector('{TRY}').dataset.ranIn", timeout=LOADING_MS)
    return page.locator(f"{TRY} output tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )


def test_the_try_page_reloaded_offline_still_gives_pythons_verdict(
    browser: Browser, site_server: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site_server}/try/")
    page.wait_for_function("document.documentElement.dataset.engineReady", timeout=LOADING_MS)
    engine_kept(page, f"{site_server}/try/")
    timeline = docs_timelines()[0]
    rows = offline_verdict(context, page, timeline)
    # The network really was off: the site cannot be reached from the page.
    reached = page.evaluate(
        "fetch('/index.html', {cache: 'no-store'}).then(() => true, () => false)"
    )
    assert reached is False
    expected = simulate(Timeline.model_validate_json(timeline)).model_dump(mode="json")
    assert rows == [
        [m["id"], m["customer"], m["market"], money(m["charge"]), m["rule"]]
        for m in expected["messages"]
    ]
    context.close()


def test_when_the_engine_cannot_load_the_note_says_what_a_run_downloads_again(
    browser: Browser, site_server: str
) -> None:
    context = browser.new_context()
    context.route("**/assets/engine/pyodide.mjs", lambda route: route.abort())
    # Every text the note beside Run takes, in order.
    context.add_init_script(
        "window.notes = [];"
        "new MutationObserver(() => { const said = document.querySelector('.engine-size');"
        " const text = said && said.textContent;"
        " if (text && text !== window.notes.at(-1)) window.notes.push(text);"
        "}).observe(document, { subtree: true, childList: true, characterData: true });"
    )
    page = context.new_page()
    page.goto(f"{site_server}/try/")
    # It tries, and says so; then, the runtime refused, it says what a Run would download.
    page.wait_for_function(
        "window.notes.some(note => note.startsWith('Loading the engine'))"
        " && window.notes.at(-1).startsWith('First run')",
        timeout=LOADING_MS,
    )
    notes = page.evaluate("window.notes")
    assert re.fullmatch(r"First run downloads the engine: \d+\.\d MB, once\.", notes[-1])
    assert page.evaluate("document.documentElement.dataset.engineReady") is None
    context.close()
