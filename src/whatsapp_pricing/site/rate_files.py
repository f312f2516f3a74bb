"""The rate files the site serves: every shipped card as CSV, and today's rates as JSON.

The MkDocs hook ``hooks/rate_files.py`` adds them to the site; nothing here needs MkDocs. The
CSV files are the shipped data
files copied byte for byte, so a download carries the same ``# Source:`` and ``# Effective:``
lines as the package. The JSON file holds, for the market picker, the cards a reader could be
priced at from the day of the build on, with the figures taken from the rate book the engine
prices with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from whatsapp_pricing.card_provenance import CardProvenance, Mark, shipped_provenance
from whatsapp_pricing.markets import OTHER, MarketTable
from whatsapp_pricing.rate_cards import (
    Missing,
    RateBook,
    RateCard,
    VolumeTiers,
    parse_rate_card,
)

FOLDER = "rate-cards"
"""Where on the site the files are served."""
TODAY_FILE = "today.json"
TIERS_FILE = "volume_tiers.csv"
TIERS_DATA = files("whatsapp_pricing") / "data" / TIERS_FILE
"""The shipped volume tiers, served as they are (with their sources inside)."""
SITE_ROOT = "wp-site-root:"
"""Written by the fences before a site address; the hook makes it relative to the page."""
MARKERS = {
    Mark.SINGLE_TRANSCRIPTION: "†",
    Mark.UNCONFIRMED: "‡",
    Mark.DERIVED: "*",
    Mark.COPIED: "°",
}
"""The sign after a marked cell's rate; the notes under the table say what each means."""
MEANINGS = {
    Mark.SINGLE_TRANSCRIPTION: "rests on a single transcription",
    Mark.UNCONFIRMED: "a change no text of Meta's confirms",
    Mark.DERIVED: "derived by a rule Meta states",
    Mark.COPIED: "copied from another column",
}


@dataclass(frozen=True)
class TierStep:
    """One volume tier as a reader sees it: from the n-th message of a month, this rate."""

    first_message: int
    rate: Decimal | None
    """``None`` where the tier exists but its rate is not known."""


def card_id(card: RateCard) -> str:
    """The anchor of a card's table on the site, such as ``card-usd-2026-10-01``."""
    return f"card-{card.currency.lower()}-{card.effective}"


@cache
def shipped_card_files() -> dict[str, Traversable]:
    """Each shipped data file, by the anchor of the card it holds."""
    folder = files("whatsapp_pricing") / "data" / "rate_cards"
    return {
        card_id(parse_rate_card(path.read_text(encoding="utf-8"))): path
        for path in folder.iterdir()
        if path.name.endswith(".csv")
    }


def provenance_of(card: RateCard) -> CardProvenance:
    """What the shipped card's file says of its figures (nothing for a card not shipped)."""
    path = shipped_card_files().get(card_id(card))
    found = shipped_provenance().get(path.name) if path is not None else None
    return found or CardProvenance(read=None, notes=(), missing=(), missing_why="")


def csv_address(card: RateCard) -> str:
    """The site address of a card's CSV, relative to the site's root."""
    return f"{FOLDER}/{shipped_card_files()[card_id(card)].name}"


def cards_from(book: RateBook, day: date) -> list[RateCard]:
    """The cards a reader could be priced at from ``day`` on: in force then, or starting later."""
    return [card for card in book.cards if card.until is None or day <= card.until]


def pricing_day(card: RateCard, day: date) -> date:
    """The day a card's figures are read for: ``day``, or the card's first day if later."""
    return max(card.effective, day)


def tier_steps(
    book: RateBook, card: RateCard, market: str, column: str, day: date
) -> list[TierStep]:
    """A market's volume tiers on a card, as rates (the list rate lowered by each discount, as
    the engine computes it); empty when no tiers are shipped."""
    list_rate = card.rate(market, column, day)
    tiers = book.tiers_for(card.currency, market, column, day)
    if tiers is None or not isinstance(list_rate, Decimal):
        return []
    return [
        TierStep(first, _tier_rate(tiers, first, list_rate, discount))
        for first, discount in tiers.tiers
    ]


def _tier_rate(
    tiers: VolumeTiers, first: int, list_rate: Decimal, discount: Decimal | None
) -> Decimal | None:
    """Meta's published rate for a tier, else the list rate lowered by the tier's discount."""
    published = tiers.published_rate(first)
    if published is not None or discount is None:
        return published
    return list_rate * (1 - discount)


def _cell(rate: Decimal | Missing) -> str | None:
    """A rate as JSON: its digits, ``"n/a"``, or ``null`` when not published."""
    if rate is Missing.UNKNOWN:
        return None
    return str(rate)


def _card_record(book: RateBook, card: RateCard, day: date) -> dict[str, Any]:
    on = pricing_day(card, day)
    provisional = book.provisional_from(card.currency)
    vocabulary = book.vocabulary
    provenance = provenance_of(card)
    tiers = {
        market: {
            column: [
                {"from": step.first_message, "rate": None if step.rate is None else str(step.rate)}
                for step in steps
            ]
            for column in vocabulary.tiered_columns
            if (steps := tier_steps(book, card, market, column, on))
        }
        for market in card.rates
    }
    return {
        "id": card_id(card),
        "currency": card.currency,
        "pricing": card.pricing.value,
        "effective": card.effective.isoformat(),
        "until": card.until.isoformat() if card.until else None,
        "provisional_from": (
            provisional[0].isoformat() if provisional and provisional[1] is card else None
        ),
        "source": card.source,
        "confidence": card.confidence,
        "read": provenance.read.isoformat() if provenance.read else None,
        "caveats": [MEANINGS[note.mark] for note in provenance.card_notes],
        "marks": _marks(provenance, card, vocabulary.columns),
        "csv": shipped_card_files()[card_id(card)].name,
        "rates": {
            market: {column: _cell(card.rate(market, column, on)) for column in vocabulary.columns}
            for market in card.rates
        },
        "tiers": {market: steps for market, steps in tiers.items() if steps},
    }


def _marks(
    provenance: CardProvenance, card: RateCard, columns: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    """The signs of the card's marked cells, by market and column (unmarked cells left out)."""
    marks: dict[str, dict[str, str]] = {}
    for market in card.rates:
        for column in columns:
            kinds = dict.fromkeys(note.mark for note in provenance.marks(market, column))
            if kinds:
                marks.setdefault(market, {})[column] = "".join(MARKERS[k] for k in kinds)
    return marks


def today_rates(book: RateBook, markets: MarketTable, day: date) -> dict[str, Any]:
    """What the market picker reads: the markets on ``day`` and the cards from it on."""
    names = [name for name in markets.markets(day) if name != OTHER] + [OTHER]
    return {
        "built": day.isoformat(),
        "columns": list(book.vocabulary.columns),
        "column_names": {
            category.column: category.shown
            for category in book.vocabulary.categories
            if category.column and category.shown
        },
        "marks": {MARKERS[mark]: MEANINGS[mark] for mark in Mark},
        "markets": [
            {"name": name, "countries": markets.countries(name, day) if name != OTHER else []}
            for name in names
        ],
        "cards": [_card_record(book, card, day) for card in cards_from(book, day)],
    }
