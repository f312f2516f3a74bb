"""The rate tables and the market picker's data say exactly what the engine's rate book says."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import escape

import pytest

from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.rate_cards import Column, Missing, RateCard, shipped_rate_book
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.site.rate_files import (
    card_id,
    cards_from,
    shipped_card_files,
    today_rates,
)
from whatsapp_pricing.site.rate_tables import (
    NOT_PUBLISHED,
    WHY_NOT_PUBLISHED,
    card_table,
    rate_card_formatter,
)

BOOK = shipped_rate_book()
ROW = re.compile(r'<tr><th scope="row">(?P<market>[^<]+)</th>(?P<cells>.*?)</tr>')
CELL = re.compile(
    r'<td data-label="(?P<column>[^"]+)">(?P<text>.*?)(?P<marks>(<sup[^>]*>[^<]*</sup>)*)</td>'
)


def card(currency: str, effective: date) -> RateCard:
    return next(c for c in BOOK.cards if (c.currency, c.effective) == (currency, effective))


def fence(text: str) -> str:
    return rate_card_formatter(text, "", "rate-card", None, None)


def rows(html: str) -> dict[str, dict[str, str]]:
    return {
        row["market"].replace("&amp;", "&"): {
            cell["column"]: cell["text"] for cell in CELL.finditer(row["cells"])
        }
        for row in ROW.finditer(html)
    }


@pytest.mark.parametrize("shipped", BOOK.cards, ids=card_id)
def test_every_cell_is_the_books_rate(shipped: RateCard) -> None:
    table = rows(card_table(BOOK, shipped, shipped.effective))
    assert set(table) == set(shipped.rates)
    for market, cells in table.items():
        for column, text in cells.items():
            rate = shipped.rate(market, Column(column), shipped.effective)
            if isinstance(rate, Decimal):
                assert text == str(rate)
            else:
                assert text.endswith(
                    NOT_PUBLISHED + "</span>" if rate is Missing.UNKNOWN else "n/a"
                )


@pytest.mark.parametrize("shipped", BOOK.cards, ids=card_id)
def test_tables_are_left_to_materials_styling_with_a_short_caption(shipped: RateCard) -> None:
    html = card_table(BOOK, shipped, shipped.effective)
    assert "<table>" in html
    assert "unknown" not in html[: html.index("</table>")]
    caption = re.search("<caption>(.*?)</caption>", html)
    assert caption is not None
    assert len(caption[1]) < 80


def test_a_column_of_unpublished_rates_is_one_sentence_not_a_column() -> None:
    html = card_table(BOOK, card("USD", date(2026, 10, 1)), date(2026, 10, 1))
    assert '<th scope="col">Authentication-International</th>' not in html
    assert "Kazakhstan 0.1600" in html
    assert html.count(WHY_NOT_PUBLISHED) == 1
    assert "Authentication-International" not in rows(html)["India"]


def test_unpublished_cells_in_a_shown_column_are_explained_once() -> None:
    html = card_table(BOOK, card("EUR", date(2026, 7, 1)), date(2026, 7, 1))
    assert rows(html)["Colombia"]["Utility"].endswith(NOT_PUBLISHED + "</span>")
    assert html.count(WHY_NOT_PUBLISHED) == 1


def test_a_table_cites_its_source_and_offers_its_csv() -> None:
    shipped = card("USD", date(2026, 10, 1))
    html = card_table(BOOK, shipped, date(2026, 10, 1))
    assert "AI-Beat-Automations/resender" in html
    assert 'href="wp-site-root:rate-cards/usd-pmp-2026-10-01.csv" download' in html


def test_the_volume_tiers_of_a_card_are_shown_with_it() -> None:
    html = card_table(BOOK, card("USD", date(2026, 10, 1)), date(2026, 11, 1))
    assert "Rest of Africa utility: messages 1 to 100,000: 0.0040; " in html
    assert "from message 80,000,001: 0.003000" in html


@pytest.mark.parametrize("day", [date(2026, 8, 15), date(2026, 12, 1), date(2027, 5, 1)])
def test_the_pickers_figures_are_the_books_on_the_day(day: date) -> None:
    data = today_rates(BOOK, meta_markets(), day)
    for record in data["cards"]:
        if BOOK.card_for(record["currency"], day) is None or record["effective"] > day.isoformat():
            continue
        for market, cells in record["rates"].items():
            for column in Column:
                rate = BOOK.rate(record["currency"], market, column, day)
                expected = None if rate is Missing.UNKNOWN else str(rate)
                assert cells[column.value] == expected, (record["id"], market, column)


def test_the_picker_offers_every_card_a_reader_may_be_priced_at() -> None:
    day = date(2026, 8, 15)
    ids = {record["id"] for record in today_rates(BOOK, meta_markets(), day)["cards"]}
    assert "card-usd-2026-07-01" in ids  # in force
    assert "card-aed-2026-10-01" in ids  # takes effect later
    assert "card-usd-2026-04-01" not in ids  # ended
    assert ids == {card_id(c) for c in cards_from(BOOK, day)}


def test_the_picker_lists_every_market_of_the_day_other_last() -> None:
    day = date(2026, 12, 1)
    names = [market["name"] for market in today_rates(BOOK, meta_markets(), day)["markets"]]
    assert names[-1] == OTHER
    assert set(names) == {*meta_markets().markets(day), OTHER}


def test_every_shipped_card_has_its_file_and_is_offered_for_download() -> None:
    assert len(shipped_card_files()) == len(BOOK.cards)
    html = fence("show: downloads")
    for path in shipped_card_files().values():
        assert f'href="wp-site-root:rate-cards/{path.name}" download' in html


def test_a_fence_with_an_unknown_show_stops_the_build() -> None:
    with pytest.raises(FenceError, match="not one of"):
        fence("show: everything")


def test_a_card_meta_could_have_changed_says_so() -> None:
    assert "Provisional" in card_table(BOOK, card("INR", date(2026, 10, 1)), date(2027, 1, 2))
    assert "Provisional" not in card_table(BOOK, card("INR", date(2026, 10, 1)), date(2026, 12, 1))
    assert "Provisional" not in card_table(BOOK, card("USD", date(2026, 7, 1)), date(2027, 1, 2))


def test_a_source_address_is_a_link_without_the_sentences_comma() -> None:
    html = card_table(BOOK, card("INR", date(2026, 1, 1)), date(2026, 1, 1))
    assert '<a href="https://whats91.com/pricing">https://whats91.com/pricing</a>,' in html


def test_the_download_list_cites_every_cards_source() -> None:
    text = re.sub("<[^>]+>", "", fence("show: downloads"))
    for shipped in BOOK.cards:
        assert f"{shipped.currency} {shipped.effective}: {escape(shipped.source)} (" in text


GROUP = re.compile(
    r'<tbody><tr><th scope="colgroup" colspan="3">(?P<column>[^<(]+) \((?P<count>\d+) markets?\)'
    r"</th></tr>(?P<rows>.*?)</tbody>"
)
CHANGE = re.compile(
    r'<tr><th scope="row">(?P<market>[^<]+)</th>'
    r'<td data-label="Before">(?P<before>[^<]+)</td><td data-label="After">(?P<after>[^<]+)'
)


def changes_shown(html: str) -> dict[tuple[str, str], tuple[str, str]]:
    """Each changed cell of a changes view, read from its category's group of markets."""
    shown = {}
    for group in GROUP.finditer(html):
        rows = list(CHANGE.finditer(group["rows"]))
        assert len(rows) == int(group["count"])
        for m in rows:
            shown[(m["market"].replace("&amp;", "&"), group["column"])] = (m["before"], m["after"])
    return shown


@pytest.mark.parametrize(
    ("currency", "before", "after"),
    [
        ("USD", date(2026, 7, 1), date(2026, 10, 1)),
        ("USD", date(2026, 1, 1), date(2026, 4, 1)),
        ("INR", date(2025, 10, 1), date(2026, 1, 1)),
        ("BRL", date(2026, 7, 1), date(2026, 10, 1)),
    ],
)
def test_the_changes_view_lists_exactly_the_cells_that_moved(
    currency: str, before: date, after: date
) -> None:
    old, new = card(currency, before), card(currency, after)
    html = fence(f"show: changes\ncurrency: {currency}\nfrom: {before}\nto: {after}")
    shown = changes_shown(html)
    moved = {
        (market, column.value): (str(old.rate(market, column, before)), str(rates[column]))
        for market, rates in new.rates.items()
        if market in old.rates
        for column in Column
        if Missing.UNKNOWN not in (old.rate(market, column, before), rates[column])
        and old.rate(market, column, before) != rates[column]
    }
    assert shown == moved
    assert f"({len(moved)} cell" in html


def test_this_quarters_changes_show_the_october_2026_moves_with_their_marks() -> None:
    html = fence("show: changes")
    assert "USD: what changed from the card of 2026-07-01 to the card of 2026-10-01" in html
    marketing = next(group for group in GROUP.finditer(html) if group["column"] == "Marketing")
    mexico = re.search(r"Mexico</th>(.*?)</tr>", marketing["rows"])
    assert mexico is not None
    assert "0.0305" in mexico[1]
    assert "0.0397" in mexico[1]
    assert "‡" in mexico[1]
    assert changes_shown(html)[("Brazil", "Service")][0] == "n/a"
    # The first currency's changes are unfolded, the others folded under their currency.
    folds = re.findall(r'<details class="wp-rate-card wp-rate-card--changes"[^>]*?( open)?>', html)
    assert folds[0] == " open"
    assert len(folds) > 1
    assert " open" not in folds[1:]


def test_marked_cells_carry_their_sign_and_the_card_says_why() -> None:
    html = card_table(BOOK, card("USD", date(2026, 10, 1)), date(2026, 10, 1))
    table = {m["market"]: m for m in ROW.finditer(html)}
    assert "‡</sup>" in table["Mexico"]["cells"].split("Utility")[0]
    assert "‡" not in table["Brazil"]["cells"]
    assert "°" not in table["Brazil"]["cells"]
    assert re.search(r'<th scope="col">Authentication<sup[^>]*>°</sup></th>', html)
    assert "Kazakhstan 0.1600<sup" in html
    assert "read 2026-11-25" in html
    derived = card_table(BOOK, card("AED", date(2026, 10, 1)), date(2026, 10, 1))
    assert re.search(r'Egypt</th>.*data-label="Service">0.0132<sup[^>]*>\*</sup>', derived)
    assert "Every figure on this card rests on a single transcription" in derived
    assert "Not on this card</strong>: 41 markets" in derived


def test_the_pickers_data_carries_each_cards_marks_and_read_date() -> None:
    data = today_rates(BOOK, meta_markets(), date(2026, 12, 1))
    usd = next(record for record in data["cards"] if record["id"] == "card-usd-2026-10-01")
    assert usd["marks"]["Mexico"]["Marketing"] == "‡"
    assert usd["read"] == "2026-11-25"
    assert data["marks"]["‡"] == "a change no text of Meta's confirms"
    inr = next(record for record in data["cards"] if record["id"] == "card-inr-2026-10-01")
    assert inr["caveats"] == ["rests on a single transcription"]
