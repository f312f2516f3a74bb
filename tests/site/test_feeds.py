"""The feeds for programs hold the same cards, markets and periods the engine prices with."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.rate_cards import Column, Missing, shipped_rate_book
from whatsapp_pricing.site.feeds import ATOM, Changes, Markets, RateCards, atom, changes
from whatsapp_pricing.site.schemas import DOCUMENTS, json_schema

FEEDS = ("rate-cards.json", "markets.json", "changes.json", "changes.atom")


def test_the_built_feeds_read_back_as_their_models(built_site: Path) -> None:
    folder = built_site / "feeds"
    cards = RateCards.model_validate_json((folder / "rate-cards.json").read_text())
    book = shipped_rate_book()
    assert [(card.currency, card.effective) for card in cards.cards] == [
        (card.currency, card.effective) for card in book.cards
    ]
    for entry, card in zip(cards.cards, book.cards, strict=True):
        assert entry.source == card.source
        assert (built_site / entry.csv).is_file()
        for market, row in card.rates.items():
            for column in Column:
                rate = row[column]
                expected = None if rate is Missing.UNKNOWN else str(rate)
                assert entry.rates[market][column.value] == expected
    table = Markets.model_validate_json((folder / "markets.json").read_text())
    assert len(table.memberships) == len(meta_markets().memberships())
    history = Changes.model_validate_json((folder / "changes.json").read_text())
    assert {f"rules:{period.id}" for period in PERIODS} <= {c.id for c in history.changes}
    days = [change.day for change in history.changes]
    assert days == sorted(days, reverse=True)
    for change in history.changes:
        target = built_site / change.link.split("#")[0]
        assert target.is_file() or (target / "index.html").is_file(), change.link


def test_the_format_page_links_every_feed_and_offers_its_schema(built_site: Path) -> None:
    page = (built_site / "timeline-format" / "index.html").read_text()
    for name in FEEDS:
        assert f'href="../feeds/{name}"' in page
    for name in ("ratecards", "markets", "changes"):
        assert f'download="{DOCUMENTS[name].file_name}"' in page
        assert json_schema(DOCUMENTS[name])["title"] == DOCUMENTS[name].model.__name__


def test_a_market_move_is_one_change_with_both_markets() -> None:
    history = changes(shipped_rate_book(), meta_markets(), date(2026, 12, 4))
    zimbabwe = [change for change in history.changes if change.id.startswith("market:ZW:")]
    assert [(change.day, change.title) for change in zimbabwe] == [
        (date(2025, 10, 1), "Market table: Zimbabwe moves from Other to Rest of Africa")
    ]


def test_the_atom_feed_has_an_entry_per_change_with_absolute_links_on_a_deploy() -> None:
    history = changes(shipped_rate_book(), meta_markets(), date(2026, 12, 4))
    feed = ElementTree.fromstring(atom(history, "Site", "https://example.org/docs/"))
    entries = feed.findall(f"{{{ATOM}}}entry")
    assert len(entries) == len(history.changes)
    first = entries[0]
    assert first.findtext(f"{{{ATOM}}}updated") == f"{history.changes[0].day}T00:00:00Z"
    link = first.find(f"{{{ATOM}}}link")
    assert link is not None
    assert link.get("href", "").startswith("https://example.org/docs/")
    ids = [entry.findtext(f"{{{ATOM}}}id") for entry in entries]
    assert len(set(ids)) == len(ids)
    assert json.loads(history.model_dump_json())["changes"][0]["id"] == ids[0].split(":", 2)[2]
