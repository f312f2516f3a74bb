"""The market picker and the rate tables as a reader uses them: offline, on a desktop and a
phone, with and without JavaScript. Every figure is checked against the engine's rate book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib.resources import files
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.browser.test_faq import first_question_found
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.rate_cards import Column, shipped_rate_book

PRICING = "/faq/pricing/"
RATE_CARDS = files("whatsapp_pricing") / "data" / "rate_cards"


@pytest.fixture
def offline_page(page: Page, site_server: str) -> Page:
    """A page that can reach nothing but the local site, as a reader with the network cut off."""
    local = urlsplit(site_server).netloc

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_local)
    return page


def pick(page: Page, site: str, market: str, currency: str | None = None) -> None:
    page.goto(site + PRICING + "#cost-today", wait_until="networkidle")
    page.select_option("#wp-rate-market", market)
    if currency is not None:
        page.select_option("#wp-rate-currency", currency)
    page.wait_for_selector(f".wp-rate-picker__title:has-text('{market}')")


def shown_rate(page: Page, column: Column) -> str:
    """A rate as the picker shows it, without the sign of a mark after it."""
    return page.eval_on_selector(
        f".wp-rate-picker tr[data-category='{column.value}'] td",
        "cell => cell.firstChild.textContent",
    )


def test_the_picker_shows_india_marketing_at_the_engines_rate_today(
    offline_page: Page, site_server: str
) -> None:
    pick(offline_page, site_server, "India", "USD")
    rate = shipped_rate_book().rate("USD", "India", Column.MARKETING, date.today())
    assert isinstance(rate, Decimal)
    assert shown_rate(offline_page, Column.MARKETING) == f"{rate} USD"
    assert offline_page.inner_text(".wp-rate-picker__title").startswith("India, in USD")


def test_the_picker_shows_every_category_in_each_currency_of_the_market(
    offline_page: Page, site_server: str
) -> None:
    book = shipped_rate_book()
    today = date.today()
    offline_page.goto(site_server + PRICING + "#cost-today", wait_until="networkidle")
    offline_page.select_option("#wp-rate-market", "India")
    currencies = offline_page.eval_on_selector_all(
        "#wp-rate-currency option", "options => options.map(option => option.value)"
    )
    in_force = [
        card.currency for card in book.cards if card.covers(today) and "India" in card.rates
    ]
    assert sorted(currencies) == sorted(in_force)
    assert len(currencies) > 1
    assert offline_page.is_visible("#wp-rate-currency")
    for currency in currencies:
        offline_page.select_option("#wp-rate-currency", currency)
        for column in Column:
            rate = book.rate(currency, "India", column, today)
            expected = f"{rate} {currency}" if isinstance(rate, Decimal) else None
            shown = shown_rate(offline_page, column)
            assert shown == expected or (expected is None and not shown[0].isdigit())


def test_the_picker_shows_the_volume_tiers_the_engine_applies(
    offline_page: Page, site_server: str
) -> None:
    pick(offline_page, site_server, "Rest of Africa")
    today = date.today()
    book = shipped_rate_book()
    tiers = book.tiers_for("USD", "Rest of Africa", Column.UTILITY, today)
    list_rate = book.rate("USD", "Rest of Africa", Column.UTILITY, today)
    assert tiers is not None
    assert isinstance(list_rate, Decimal)
    text = offline_page.inner_text(".wp-rate-picker__tiers:has-text('Volume tiers')")
    for first, discount in tiers.tiers:
        assert discount is not None
        assert f"{first:,}" in text
        assert f"{list_rate * (1 - discount)} USD" in text


def test_a_country_of_a_regional_market_leads_to_its_market(
    offline_page: Page, site_server: str
) -> None:
    offline_page.goto(site_server + PRICING + "#cost-today", wait_until="networkidle")
    market = meta_markets().market_of_country("KE", date.today())
    assert market != "Kenya"
    offline_page.select_option("#wp-rate-market", label=f"Kenya ({market})")
    offline_page.wait_for_selector(f".wp-rate-picker__title:has-text('{market}')")
    rate = shipped_rate_book().rate("USD", market, Column.UTILITY, date.today())
    assert shown_rate(offline_page, Column.UTILITY) == f"{rate} USD"
    assert "Kenya" in offline_page.inner_text(".wp-rate-picker__result")


def test_the_picker_works_from_the_keyboard(offline_page: Page, site_server: str) -> None:
    offline_page.goto(site_server + PRICING + "#cost-today", wait_until="networkidle")
    offline_page.focus("#wp-rate-market")
    for _ in range(3):
        offline_page.keyboard.press("ArrowDown")
    chosen = offline_page.input_value("#wp-rate-market")
    assert chosen
    offline_page.wait_for_selector(f".wp-rate-picker__title:has-text('{chosen}')")


def test_a_link_to_a_picked_market_opens_it_again(offline_page: Page, site_server: str) -> None:
    pick(offline_page, site_server, "India", "INR")
    address = offline_page.url
    assert "market=India" in address
    assert "currency=INR" in address
    assert address.endswith("#cost-today"), "the link names the question, whatever was open"
    offline_page.goto(site_server + "/", wait_until="networkidle")
    offline_page.goto(address, wait_until="networkidle")
    assert offline_page.input_value("#wp-rate-market") == "India"
    assert offline_page.input_value("#wp-rate-currency") == "INR"
    book = shipped_rate_book()
    rate = book.rate("INR", "India", Column.MARKETING, date.today())
    assert shown_rate(offline_page, Column.MARKETING) == f"{rate} INR"
    provisional = book.provisional_from("INR")
    warned = offline_page.locator(".wp-rate-picker__warning")
    if provisional is not None and provisional[0] <= date.today():
        assert f"from {provisional[0]}" in warned.inner_text()
    else:
        assert warned.count() == 0


def test_the_picker_links_to_its_cards_source_and_csv(offline_page: Page, site_server: str) -> None:
    pick(offline_page, site_server, "India", "USD")
    card = shipped_rate_book().card_for("USD", date.today())
    assert card is not None
    offline_page.click(".wp-rate-picker__source >> text=Source and details")
    source = offline_page.locator(f"#card-usd-{card.effective} details.wp-rate-card__source")
    assert source.is_visible()
    assert card.source.split()[0] in source.inner_text()
    with offline_page.expect_download() as download:
        offline_page.click(".wp-rate-picker__source >> text=CSV")
    file = next(
        path for path in RATE_CARDS.iterdir() if path.name == download.value.suggested_filename
    )
    downloaded = download.value.path().read_text(encoding="utf-8")
    assert downloaded == file.read_text(encoding="utf-8")
    assert f"# Effective: {card.effective}" in downloaded
    assert "# Source: " in downloaded


def test_every_shipped_card_downloads_as_its_data_file(page: Page, site_server: str) -> None:
    page.goto(site_server + PRICING + "#rate-cards", wait_until="networkidle")
    links = page.eval_on_selector_all(
        ".wp-rate-card--downloads a[download]", "links => links.map(link => link.href)"
    )
    shipped = {path.name: path for path in RATE_CARDS.iterdir() if path.name.endswith(".csv")}
    assert sorted(link.rsplit("/", 1)[1] for link in links) == sorted(shipped)
    for link in links:
        response = page.request.get(link)
        assert response.ok
        assert response.text() == shipped[link.rsplit("/", 1)[1]].read_text(encoding="utf-8")


def test_on_a_phone_the_rate_tables_stack_and_nothing_scrolls_sideways(
    page: Page, site_server: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site_server + PRICING + "#cost-today", wait_until="networkidle")
    page.select_option("#wp-rate-market", "Rest of Central & Eastern Europe")
    page.eval_on_selector_all("details", "boxes => boxes.forEach(box => { box.open = true; })")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    # Material wraps each table in a box that scrolls sideways: a table must fit the screen.
    wider = page.eval_on_selector_all(
        ".wp-rate-card table, .wp-rate-picker table",
        """tables => tables.filter(table => {
            const box = table.getBoundingClientRect();
            return box.left < 0 || box.right > document.documentElement.clientWidth;
        }).map(table => table.querySelector('caption, th').textContent)""",
    )
    assert wider == []


def test_without_javascript_the_tables_answer(browser: Browser, site_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_server + PRICING + "#cost-today")
    card = shipped_rate_book().card_for("USD", date.today())
    assert card is not None
    page.click("summary:has-text('Every card in force today')")
    table = page.locator(f"#card-usd-{card.effective} table")
    assert "India" in table.inner_text()
    assert "JavaScript" in page.inner_text(".wp-rate-picker")
    context.close()


def test_search_for_a_market_and_a_price_finds_the_picker_first(
    page: Page, site_server: str
) -> None:
    query = "marketing message India cost"
    assert first_question_found(page, site_server, query) == PRICING + "#cost-today"


def test_the_rates_load_only_when_the_reader_reaches_the_picker(
    offline_page: Page, site_server: str
) -> None:
    asked: list[str] = []
    offline_page.on("request", lambda request: asked.append(request.url))
    offline_page.goto(site_server + PRICING, wait_until="networkidle")
    assert not any(url.endswith("/today.json") for url in asked)
    offline_page.locator(".wp-rate-picker").scroll_into_view_if_needed()
    offline_page.wait_for_selector("#wp-rate-market")
    assert any(url.endswith("/today.json") for url in asked)


def test_a_marked_rate_shows_its_sign_and_what_it_means(
    offline_page: Page, site_server: str
) -> None:
    pick(offline_page, site_server, "Mexico", "USD")
    cell = ".wp-rate-picker tr[data-category='Marketing'] td"
    assert offline_page.inner_text(f"{cell} sup") == "‡"
    assert "‡ a change no text of Meta's confirms." in offline_page.inner_text(
        ".wp-rate-picker__result"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_what_changed_reads_one_market_to_a_line(
    page: Page, site_server: str, scheme: str
) -> None:
    """What changed between two cards stays a table on a phone: a market, its rate before and
    after, on one line, grouped by category, and the table fits the screen."""
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site_server + PRICING + "#rate-changes", wait_until="networkidle")
    spreads = page.eval_on_selector_all(
        ".wp-rate-card--changes[open] tbody tr:has(th[scope=row])",
        """rows => rows.map(row => {
            const tops = [...row.children].map(cell => cell.getBoundingClientRect().top);
            return Math.max(...tops) - Math.min(...tops);
        })""",
    )
    assert len(spreads) > 10
    assert max(spreads) < 1
    groups = page.eval_on_selector_all(
        ".wp-rate-card--changes[open] th[scope=colgroup]", "heads => heads.map(h => h.textContent)"
    )
    assert any(group.startswith("Service (") for group in groups)
    page.eval_on_selector_all("details", "boxes => boxes.forEach(box => { box.open = true; })")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    wider = page.eval_on_selector_all(
        ".wp-rate-card--changes table",
        """tables => tables.filter(table => {
            const box = table.getBoundingClientRect();
            return box.left < 0 || box.right > document.documentElement.clientWidth;
        }).length""",
    )
    assert wider == 0
