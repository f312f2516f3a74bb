"""The site as deployed: its own address in links and previews, a 404 page, printing, copying.

A deploy build (``SITE_URL``, ``PROVIDER_NAME``) is served by Playwright at that very address, as
a static host would serve it (``404.html`` for a missing page), without any network.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, Route

from tests.conftest import DOCS, build_site, page_url_path

SITE_URL = "https://faq.example.org/whatsapp/"
PROVIDER = "Acme Messaging"
PLAIN_HTTP = SITE_URL.replace("https:", "http:")
PREVIEW_IMAGE = "assets/social-preview.png"
LOCAL = re.compile(r"127\.0\.0\.1|localhost|\[::1\]")


@pytest.fixture(scope="session")
def deploy_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("deploy-site")
    return build_site(site, SITE_URL=SITE_URL, PROVIDER_NAME=PROVIDER)


def html_pages(site: Path) -> dict[Path, str]:
    return {html: html.read_text("utf-8") for html in site.rglob("*.html")}


def canonical_links(site: Path) -> dict[Path, list[str]]:
    pattern = re.compile(r'<link rel="canonical" href="([^"]*)"')
    return {html: pattern.findall(text) for html, text in html_pages(site).items()}


def sitemap_addresses(site: Path) -> list[str]:
    return re.findall(r"<loc>([^<]*)</loc>", (site / "sitemap.xml").read_text("utf-8"))


def meta(text: str, key: str) -> list[str]:
    return re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', text)


def serve(context: BrowserContext, site: Path, address: str) -> None:
    """Answers every request under address from site, as a static host does, 404 page included."""
    prefix = urlsplit(address).path

    def answer(route: Route) -> None:
        path = urlsplit(route.request.url).path
        file = site / path.removeprefix(prefix)
        if path.startswith(prefix) and file.is_dir():
            file = file / "index.html"
        if path.startswith(prefix) and file.is_file():
            route.fulfill(path=str(file))
        else:
            route.fulfill(status=404, path=str(site / "404.html"))

    context.route(re.compile("^" + re.escape(address)), answer)


# A build without SITE_URL, and one with it.


def test_a_build_without_an_address_names_no_local_one(built_site: Path) -> None:
    assert all(links == [] for links in canonical_links(built_site).values())
    assert sitemap_addresses(built_site) == []
    published = [*built_site.rglob("*.html"), *built_site.rglob("*.xml")]
    assert [file for file in published if LOCAL.search(file.read_text("utf-8"))] == []


def test_a_deploy_build_gives_every_page_its_own_address(deploy_site: Path) -> None:
    sources = sorted(DOCS.rglob("*.md"))
    expected = sorted(SITE_URL + page_url_path(source).removeprefix("/") for source in sources)
    links = canonical_links(deploy_site)
    for address in expected:
        assert links[deploy_site / address.removeprefix(SITE_URL) / "index.html"] == [address]
    assert sorted(sitemap_addresses(deploy_site)) == expected


# Link previews.


def test_every_page_has_a_preview_with_its_title_and_description(built_site: Path) -> None:
    pages = html_pages(built_site)
    pricing = pages[built_site / "faq" / "pricing" / "index.html"]
    assert meta(pricing, "og:title") == ["Pricing - WhatsApp Business pricing, explained"]
    assert meta(pricing, "twitter:card") == ["summary"]
    for text in pages.values():
        assert len(meta(text, "og:title")) == len(meta(text, "og:description")) == 1
        assert meta(text, "og:url") == meta(text, "og:image") == []  # no address to give


def test_a_deploy_preview_gives_the_address_and_the_sites_own_image(deploy_site: Path) -> None:
    for html, text in html_pages(deploy_site).items():
        if html.name == "index.html":
            assert meta(text, "og:url") == re.findall(r'rel="canonical" href="([^"]*)"', text)
        assert meta(text, "og:image") == [SITE_URL + PREVIEW_IMAGE]
        assert meta(text, "twitter:card") == ["summary_large_image"]
    image = (deploy_site / PREVIEW_IMAGE).read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", image[16:24]) == (1200, 630)  # what og:image:width/height say


# The provider's name, when a deploy sets it (tests/docs/test_contract.py checks the unset case).


def test_a_provider_name_is_written_wherever_a_page_names_the_provider(deploy_site: Path) -> None:
    pages = html_pages(deploy_site).values()
    assert sum(PROVIDER in text for text in pages) >= 5
    assert not any("the publisher of this site" in text for text in pages)
    pricing = (deploy_site / "faq" / "pricing" / "index.html").read_text("utf-8")
    assert re.search(rf"Last reviewed <time [^>]+>[\d-]+</time> by {PROVIDER}\.", pricing)


# In a browser, at the deployed address.


def test_instant_navigation_works_at_the_deployed_address(
    context: BrowserContext, page: Page, deploy_site: Path
) -> None:
    serve(context, deploy_site, SITE_URL)
    page.goto(SITE_URL, wait_until="networkidle")
    page.evaluate("window.notReloaded = true")
    page.click("a[href$='faq/pricing/#charged-twice']")
    page.wait_for_url("**/faq/pricing/#charged-twice")
    page.wait_for_selector("#charged-twice .copy-link")
    assert page.evaluate("window.notReloaded === true"), "the page was loaded anew"


def test_a_missing_page_offers_search_and_the_most_asked_questions(
    context: BrowserContext, page: Page, deploy_site: Path
) -> None:
    serve(context, deploy_site, SITE_URL)
    response = page.goto(SITE_URL + "faq/no-such/question/", wait_until="networkidle")
    assert response is not None
    assert response.status == 404
    assert page.locator("h1").inner_text() == "There is no page at this address"
    axe = Axe().run(page)
    assert axe.violations_count == 0, axe.generate_report()
    questions = page.eval_on_selector_all("article li a", "links => links.map(a => a.href)")
    assert len(questions) >= 5
    for question in questions:
        address, anchor = question.split("#")
        target = deploy_site / address.removeprefix(SITE_URL) / "index.html"
        assert f'id="{anchor}"' in target.read_text("utf-8"), question
    page.fill("#not-found-query", "free tier")
    page.click(".not-found-search button")
    page.wait_for_selector(".md-search-result__item a[href*='faq/pricing/'][href$='#free-tier']")


def test_a_printed_page_is_the_answer_alone(
    context: BrowserContext, page: Page, deploy_site: Path
) -> None:
    serve(context, deploy_site, SITE_URL)
    page.emulate_media(media="print", color_scheme="dark")
    page.goto(SITE_URL + "faq/pricing/", wait_until="networkidle")
    page.wait_for_selector(".copy-link", state="attached")
    for chrome in (".md-header", ".md-sidebar--primary", ".md-search", ".copy-link", ".md-footer"):
        assert page.locator(chrome).evaluate_all("all => all.every(e => !e.checkVisibility())")
    outside = page.locator("article a[href^='https://developers.facebook.com/']").first
    shown = outside.evaluate("a => getComputedStyle(a, '::after').content")
    assert shown == f'" ({outside.get_attribute("href")})"'
    text = page.locator("article").evaluate("a => getComputedStyle(a).color")
    assert text.startswith("rgba(0, 0, 0"), "dark mode's pale text printed on white paper"


COPIED = """document.addEventListener('copy', () => {
  const field = document.activeElement;
  window.copied = field.value.slice(field.selectionStart, field.selectionEnd);
})"""


def test_copy_link_works_on_plain_http_without_the_clipboard_api(
    context: BrowserContext, page: Page, deploy_site: Path
) -> None:
    serve(context, deploy_site, PLAIN_HTTP)
    context.add_init_script(COPIED)
    page.goto(PLAIN_HTTP + "faq/categories/", wait_until="networkidle")
    assert page.evaluate("navigator.clipboard === undefined")
    page.click("#mixed-content .copy-link")
    page.wait_for_function(
        "() => document.querySelector('#mixed-content .copy-link').textContent === 'Link copied'"
    )
    assert page.evaluate("window.copied") == PLAIN_HTTP + "faq/categories/#mixed-content"
    assert page.locator(".copy-link-field").count() == 0


def test_where_copying_is_refused_the_link_is_left_selected(
    context: BrowserContext, page: Page, deploy_site: Path
) -> None:
    serve(context, deploy_site, PLAIN_HTTP)
    context.add_init_script("document.execCommand = () => false")
    page.goto(PLAIN_HTTP + "faq/categories/", wait_until="networkidle")
    page.click("#mixed-content .copy-link")
    field = page.locator("#mixed-content + .copy-link-field")
    assert field.input_value() == PLAIN_HTTP + "faq/categories/#mixed-content"
    assert field.evaluate("f => f === document.activeElement && f.selectionEnd === f.value.length")
    assert "Ctrl+C" in page.locator("#mixed-content .copy-link").inner_text()
