"""Feeds for programs: the rate cards, the market table and the change history as JSON, and the
changes as an Atom feed, written at build time from the data the engine prices with.

A MkDocs hook (registered by ``hooks/feeds.py``). A team that builds on this site reads the
same cards, markets and periods the simulator uses, and a support team subscribes to the Atom
feed to be told when a rule, a card or a market changes. Each JSON document has a pydantic
model, so its schema is written on the timeline format page like the timeline's
(``{{ schema ratecards }}``, ``{{ schema markets }}``, ``{{ schema changes }}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal
from xml.etree import ElementTree

from pydantic import BaseModel, ConfigDict

from whatsapp_pricing.markets import EARLIEST_LISTED, MarketTable, meta_markets
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.rate_cards import Column, Missing, RateBook, RateCard, shipped_rate_book
from whatsapp_pricing.site.rate_files import card_id, csv_address

FOLDER = "feeds"
ATOM = "http://www.w3.org/2005/Atom"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class RateCardEntry(_Model):
    """One dated rate card, as shipped with the simulator."""

    id: str
    """The card's anchor on the pricing page, such as ``card-usd-2026-10-01``."""
    currency: str
    pricing: Literal["per conversation", "per message"]
    effective: date
    """The first day the card is in force, at midnight in the account's time zone."""
    until: date | None
    """The last day it is known to be in force; ``None`` while it is the latest."""
    source: str
    """Where its figures come from."""
    confidence: str
    csv: str
    """The card's data file, relative to the site's root."""
    rates: dict[str, dict[str, str | None]]
    """Each market's rate per column, as a decimal string; ``"n/a"`` where Meta has no such
    rate, ``None`` where no source gives it (never guessed)."""
    not_before: dict[str, dict[str, date]] = {}
    """Rates that began after ``effective`` (Meta added them to a reissued card), by market and
    column, with their first day: before it, Meta had no such rate (``n/a``)."""


class RateCards(_Model):
    """Every rate card the simulator ships, oldest first."""

    built: date
    cards: list[RateCardEntry]


class MarketEntry(_Model):
    """One row of Meta's market table: a country priced under a market between two days."""

    country: str
    iso2: str
    """The country's ISO 3166 code; the customer's number or business-scoped user id gives it."""
    market: str
    first_day: date
    last_day: date | None
    """``None`` while the row is in force."""


class Markets(_Model):
    """Meta's market table as the simulator applies it (a country not listed is in ``Other``)."""

    built: date
    memberships: list[MarketEntry]


class ChangeEntry(_Model):
    """One change to how messages are priced, on the day it took effect."""

    id: str
    """Stable across builds: the kind of change and what changed."""
    day: date
    """The first day of the change, at midnight in the account's time zone."""
    kind: Literal["rules", "rate card", "market"]
    title: str
    link: str
    """Where to read it, relative to the site's root: a page, or a rate card's data file."""
    source: str


class Changes(_Model):
    """Every change the simulator knows of, newest first."""

    built: date
    changes: list[ChangeEntry]


def rate_cards(book: RateBook, day: date) -> RateCards:
    return RateCards(built=day, cards=[_card(card) for card in book.cards])


def _card(card: RateCard) -> RateCardEntry:
    return RateCardEntry(
        id=card_id(card),
        currency=card.currency,
        pricing=card.pricing.value,
        effective=card.effective,
        until=card.until,
        source=card.source,
        confidence=card.confidence,
        csv=csv_address(card),
        rates={
            market: {column.value: _cell(row[column]) for column in Column}
            for market, row in card.rates.items()
        },
        not_before=_by_market(card.not_before),
    )


def _by_market(cells: Mapping[tuple[str, str], date]) -> dict[str, dict[str, date]]:
    by_market: dict[str, dict[str, date]] = {}
    for (market, column), first in sorted(cells.items()):
        by_market.setdefault(market, {})[column] = first
    return by_market


def _cell(rate: object) -> str | None:
    return None if rate is Missing.UNKNOWN else str(rate)


def markets(table: MarketTable, day: date) -> Markets:
    return Markets(
        built=day,
        memberships=[
            MarketEntry(
                country=row.country,
                iso2=row.iso2,
                market=row.market,
                first_day=row.first_day,
                last_day=row.last_day,
            )
            for row in table.memberships()
        ],
    )


def changes(book: RateBook, table: MarketTable, day: date) -> Changes:
    """The periods' starts, the cards' first days and the market table's moves, newest first."""
    found = [
        ChangeEntry(
            id=f"rules:{period.id}",
            day=period.starts,
            kind="rules",
            title=f"Rules: {period.name} ({period.id})",
            link="rules/#periods",
            source=period.source,
        )
        for period in PERIODS
    ]
    found += [
        ChangeEntry(
            id=f"rate-card:{card_id(card)}",
            day=card.effective,
            kind="rate card",
            title=f"Rate card: {card.currency}, {card.pricing.value}, from {card.effective}",
            link=csv_address(card),
            source=card.source,
        )
        for card in book.cards
    ]
    found += [_added_later(card, first) for card in book.cards for first in _later_days(card)]
    moves: dict[tuple[str, date], dict[str, str]] = {}
    for row in table.memberships():
        if row.first_day > EARLIEST_LISTED:
            moves.setdefault((row.iso2, row.first_day), {"country": row.country})["to"] = row.market
        if row.last_day is not None:
            left = row.last_day + timedelta(days=1)
            moves.setdefault((row.iso2, left), {"country": row.country})["from"] = row.market
    found += [_move(iso2, day, move) for (iso2, day), move in moves.items()]
    found.sort(key=lambda change: (change.day, change.id), reverse=True)
    return Changes(built=day, changes=found)


def _later_days(card: RateCard) -> list[date]:
    return sorted({first for first in card.not_before.values() if first > card.effective})


def _added_later(card: RateCard, first: date) -> ChangeEntry:
    """Rates a reissued card added from a later day (authentication-international in 2024, on
    the card of 2023-06-01): a change of that day, not of the card's."""
    cells = ", ".join(
        f"{market} {column}"
        for (market, column), day in sorted(card.not_before.items())
        if day == first
    )
    return ChangeEntry(
        id=f"rate-card:{card_id(card)}:{first}",
        day=first,
        kind="rate card",
        title=f"Rate card: {card.currency}, {card.pricing.value}, from {card.effective}: "
        f"rates that begin on {first} ({cells})",
        link=csv_address(card),
        source=card.source,
    )


def _move(iso2: str, day: date, move: dict[str, str]) -> ChangeEntry:
    """A country's move between markets (or into or out of the table) on a day."""
    said = " ".join(
        part
        for part in (f"from {move.get('from', '')}", f"to {move.get('to', '')}")
        if part[-1] != " "
    )
    return ChangeEntry(
        id=f"market:{iso2}:{day}",
        day=day,
        kind="market",
        title=f"Market table: {move['country']} moves {said}",
        link="faq/pricing/#which-market",
        source="Meta's market table, as the simulator ships it (data/markets.csv)",
    )


def atom(history: Changes, site_name: str, site_url: str) -> str:
    """The changes as an Atom feed; addresses are absolute when the site's address is set."""
    ElementTree.register_namespace("", ATOM)

    def add(parent: ElementTree.Element, tag: str, text: str = "", **attributes: str) -> None:
        ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes).text = text or None

    base = site_url.rstrip("/") + "/" if site_url else "../"
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    add(feed, "id", f"{base}{FOLDER}/changes.atom" if site_url else "urn:whatsapp-pricing:changes")
    add(feed, "title", f"{site_name}: what changed")
    add(feed, "updated", _instant(max(change.day for change in history.changes)))
    add(feed, "link", href=f"{base}history/")
    add(feed, "link", rel="self", href=f"{base}{FOLDER}/changes.atom")
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    add(author, "name", site_name)
    for change in history.changes:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        add(entry, "id", f"urn:whatsapp-pricing:{change.id}")
        add(entry, "title", change.title)
        add(entry, "updated", _instant(change.day))
        add(entry, "link", href=f"{base}{change.link}")
        add(entry, "summary", f"From {change.day} ({change.kind}). Source: {change.source}")
    return ElementTree.tostring(feed, encoding="unicode", xml_declaration=True)


def _instant(day: date) -> str:
    return f"{day}T00:00:00Z"


def documents(site_name: str, site_url: str) -> dict[str, str]:
    """Every feed's file name and content, from the shipped data as of today."""
    book, table, today = shipped_rate_book(), meta_markets(), date.today()
    history = changes(book, table, today)
    models: dict[str, BaseModel] = {
        "rate-cards.json": rate_cards(book, today),
        "markets.json": markets(table, today),
        "changes.json": history,
    }
    contents = {name: model.model_dump_json(indent=1) for name, model in models.items()}
    contents["changes.atom"] = atom(history, site_name, site_url)
    return contents
