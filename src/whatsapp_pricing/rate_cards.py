"""Rate cards: dated tables of what Meta charges per market and category.

Cards are data, kept in Meta's own layout (since 2023 ``Market,Currency,Marketing,Utility,
Authentication,Authentication-International,Service``), and read by column name: the rate
columns are those of the :mod:`~whatsapp_pricing.vocabulary`, a card may lack one (its rates
are then unknown on that card) or carry one the vocabulary does not know (it is set aside, as
the October 2026 download's Meta Business Agent column is). The shipped cards in
``data/rate_cards/`` start with ``# Key: value`` lines saying what the card is, when it is in
force and where its figures come from. The same reader takes Meta's official CSV as downloaded,
with its preamble line, ``$US`` currency tokens and ``n/a`` cells.

A cell is a rate, ``n/a`` (the rate does not exist for that market) or empty (the rate is not
known). An unknown rate is never guessed: the engine reports the charge as unpriced.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from whatsapp_pricing.data_files import without_comments
from whatsapp_pricing.errors import RateCardError
from whatsapp_pricing.vocabulary import VOCABULARY, Vocabulary, enum

if TYPE_CHECKING:  # built from the vocabulary's columns below; a type checker sees a StrEnum
    Column = StrEnum
    """A rate column of Meta's cards: a :class:`~enum.StrEnum` whose values are the column
    headers of :data:`~whatsapp_pricing.vocabulary.CATEGORIES` (cards are read by them)."""
else:
    Column = enum(
        "Column",
        VOCABULARY.columns,
        "A rate column of Meta's cards, as Meta's header spells it.",
        __name__,
    )


class Pricing(StrEnum):
    """What one rate buys."""

    PER_CONVERSATION = "per conversation"
    PER_MESSAGE = "per message"


class Missing(StrEnum):
    """Why a cell holds no rate."""

    UNKNOWN = "unknown"
    """No source gives the rate; it is never guessed."""
    NOT_APPLICABLE = "n/a"
    """Meta has no such rate for this market (``n/a`` on the card)."""


Rate = Decimal | Missing
KEY_COLUMNS = ("Market", "Currency")
"""The columns every card has before its rates."""
HEADER = (*KEY_COLUMNS, *VOCABULARY.columns)
"""The header of Meta's cards of 2023 to 2026 (cards are read by column name, in any order)."""
CURRENCY_TOKENS = {"$US": "USD", "US$": "USD", "$": "USD", "€": "EUR", "₹": "INR", "R$": "BRL"}


@dataclass(frozen=True)
class RateCard:
    """One dated card: the rates of every market it lists, in one currency."""

    title: str
    pricing: Pricing
    currency: str
    effective: date
    """The first day the card is in force, at midnight in the account's time zone."""
    until: date | None
    """The last day the card is known to be in force; ``None`` while it is the latest."""
    source: str
    rates: Mapping[str, Mapping[str, Rate]]
    """Each market's rates, by column header; a column the card lacks is unknown."""
    confidence: str = ""
    notes: tuple[str, ...] = ()
    not_before: Mapping[tuple[str, str], date] = field(default_factory=dict)
    """Cells that only apply from a later day than the card (a rate Meta added to a reissued
    card, such as authentication-international from 2024-06-01): before it, Meta had no such
    rate (``n/a``), not one that is unknown."""
    ignored: tuple[str, ...] = ()
    """Columns of the card that name no category of the vocabulary it was read with."""

    def covers(self, day: date) -> bool:
        return self.effective <= day and (self.until is None or day <= self.until)

    def rate(self, market: str, column: str, day: date) -> Rate:
        """The card's rate for a market and column on a day it covers."""
        first_day = self.not_before.get((market, column))
        if first_day is not None and day < first_day:
            return Missing.NOT_APPLICABLE
        row = self.rates.get(market)
        return Missing.UNKNOWN if row is None else row.get(column, Missing.UNKNOWN)


@dataclass(frozen=True)
class AgentRate:
    """What Meta charges for Meta Business Agent messages, per million tokens, from a day."""

    currency: str
    effective: date
    per_million_tokens: Decimal


class RateBook:
    """A set of cards, volume tiers and agent rates; for any day and currency it picks the ones
    in force.

    It carries the :class:`~whatsapp_pricing.vocabulary.Vocabulary` its cards were read with, so
    that whatever prices with the book (the engine, reconcile, the estimator, the site's
    tables) names the same categories and columns.
    """

    def __init__(
        self,
        cards: Iterable[RateCard],
        tiers: Iterable[VolumeTiers] = (),
        agent_rates: Iterable[AgentRate] = (),
        vocabulary: Vocabulary = VOCABULARY,
    ) -> None:
        self.vocabulary = vocabulary
        self._tiers = list(tiers)
        self._tiers_by_cell: dict[tuple[str, str, str], list[VolumeTiers]] = {}
        for tier in self._tiers:
            cell = (tier.currency, tier.market, tier.column)
            self._tiers_by_cell.setdefault(cell, []).append(tier)
        self._agent_rates = sorted(agent_rates, key=lambda rate: rate.effective, reverse=True)
        self._cards: dict[str, list[RateCard]] = {}
        for card in sorted(cards, key=lambda card: card.effective):
            self._cards.setdefault(card.currency, []).append(card)
        self._starts = {
            currency: [card.effective for card in cards] for currency, cards in self._cards.items()
        }

    @property
    def cards(self) -> list[RateCard]:
        return [card for cards in self._cards.values() for card in cards]

    def card_for(self, currency: str, day: date) -> RateCard | None:
        """The latest card in the currency that took effect by ``day`` and still covers it."""
        cards = self._cards.get(currency, [])
        index = bisect.bisect_right(self._starts.get(currency, []), day) - 1
        if index < 0 or not cards[index].covers(day):
            return None
        return cards[index]

    def has_currency(self, currency: str) -> bool:
        """Whether any card of the book is in the currency."""
        return currency in self._cards

    def provisional_from(self, currency: str) -> tuple[date, RateCard] | None:
        """The first day Meta could have changed the latest card in a currency, and that card.

        Since June 2024 Meta changes rates at most quarterly, on the first day of a quarter: a
        charge from the quarter after the latest card's on is priced at it, but provisionally.
        """
        cards = self._cards.get(currency)
        if not cards or cards[-1].until is not None:
            return None
        latest = cards[-1]
        quarter = (latest.effective.month - 1) // 3 + 1
        year, month = divmod(quarter * 3, 12)
        return date(latest.effective.year + year, month + 1, 1), latest

    def rate(self, currency: str, market: str, column: str, day: date) -> Rate:
        card = self.card_for(currency, day)
        return Missing.UNKNOWN if card is None else card.rate(market, column, day)

    def tiers_for(self, currency: str, market: str, column: str, day: date) -> VolumeTiers | None:
        """The volume tiers in force for a market and column, if any are known."""
        candidates = self._tiers_by_cell.get((currency, market, column), [])
        return next((tiers for tiers in candidates if tiers.covers(day)), None)

    def agent_rate(self, currency: str, day: date) -> Decimal | None:
        """The rate per million tokens of agent messages on a day, if one is known."""
        return next(
            (
                rate.per_million_tokens
                for rate in self._agent_rates
                if rate.currency == currency and rate.effective <= day
            ),
            None,
        )

    def with_cards(self, cards: Iterable[RateCard]) -> RateBook:
        """A book where the given cards replace any card of the same currency and start day."""
        replaced = {(card.currency, card.effective): card for card in self.cards}
        replaced.update({(card.currency, card.effective): card for card in cards})
        return RateBook(replaced.values(), self._tiers, self._agent_rates, self.vocabulary)


def parse_rate_card(
    text: str,
    *,
    source: str | None = None,
    effective: date | None = None,
    until: date | None = None,
    vocabulary: Vocabulary = VOCABULARY,
) -> RateCard:
    """Reads a card: one of this project's data files, or Meta's CSV as downloaded.

    Keyword arguments fill in what the text does not say (Meta's file gives its effective date
    only in its preamble line, for instance) and win over what it does. Columns are found by
    their header, as the vocabulary spells them: a rate column the card lacks is unknown on it,
    and a column no category of the vocabulary has (a newer one of Meta's) is set aside in
    :attr:`RateCard.ignored`.
    """
    lines = text.lstrip("\ufeff").splitlines()
    header_at = next(
        (number for number, line in enumerate(lines) if line.startswith("Market,")), None
    )
    if header_at is None:
        raise RateCardError(f"no header line starting with {','.join(HEADER)!r}")
    metadata = _metadata(lines[:header_at])
    preamble = " ".join(line for line in lines[:header_at] if not line.startswith("#"))
    table = list(csv.reader(io.StringIO("\n".join(lines[header_at:]))))
    header = _Header.read(header_at + 1, table[0], vocabulary)
    rows = [(header_at + 2 + offset, row) for offset, row in enumerate(table[1:]) if any(row)]
    currency = (
        metadata.get("currency") or _currency_in(preamble) or _currency(header.currency(rows[0][1]))
    )
    start = effective or _day(metadata.get("effective")) or _effective_in(preamble)
    if start is None:
        raise RateCardError("the card does not say when it takes effect; pass effective=")
    return RateCard(
        title=metadata.get("title") or preamble or f"rate card in {currency}",
        pricing=_pricing(metadata.get("pricing") or preamble),
        currency=currency,
        effective=start,
        until=until or _day(metadata.get("until")),
        source=source or metadata.get("source", ""),
        confidence=metadata.get("confidence", ""),
        notes=tuple(metadata.get("notes", "").split("\n")) if metadata.get("notes") else (),
        rates={header.market(row): header.row(number, row, currency) for number, row in rows},
        not_before=_not_before(metadata.get("not before", ""), header),
        ignored=header.ignored,
    )


def _metadata(lines: list[str]) -> dict[str, str]:
    """``# Key: value`` lines, with indented ``#`` lines continuing the previous value."""
    entries: list[list[str]] = []
    for line in lines:
        if not line.startswith("#"):
            continue
        content = line[1:].rstrip()
        match = re.match(r"^ (\w[\w ]*?): (.*)$", content)
        if match:
            entries.append([match[1].lower(), match[2]])
        elif entries and content.startswith("   "):
            entries[-1][1] += " " + content.strip()
    metadata: dict[str, str] = {}
    for key, value in entries:
        name = "notes" if key == "note" else key
        metadata[name] = f"{metadata[name]}\n{value}" if name in metadata else value
    return metadata


def card_metadata(text: str) -> dict[str, str]:
    """The ``# Key: value`` lines before a card's header, keys in lower case (repeated keys
    joined by newlines), for readers of the lines :func:`parse_rate_card` does not use."""
    lines = text.lstrip("\ufeff").splitlines()
    header_at = next(
        (number for number, line in enumerate(lines) if line.startswith("Market,")), len(lines)
    )
    return _metadata(lines[:header_at])


@dataclass(frozen=True)
class _Header:
    """Where a card's columns are: found by name, so that Meta may add, drop or move one."""

    width: int
    market_at: int
    currency_at: int
    columns: tuple[tuple[str, int], ...]
    """Each rate column of the vocabulary the card has, with its position."""
    ignored: tuple[str, ...]

    @classmethod
    def read(cls, number: int, cells: list[str], vocabulary: Vocabulary) -> _Header:
        names = [cell.strip() for cell in cells]
        for name in {name for name in names if names.count(name) > 1}:
            raise RateCardError(f"line {number}: the column {name!r} appears twice")
        if not set(KEY_COLUMNS) <= set(names):
            raise RateCardError(
                f"line {number}: the header needs the columns {', '.join(KEY_COLUMNS)}"
            )
        known = set(vocabulary.columns)
        return cls(
            width=len(names),
            market_at=names.index("Market"),
            currency_at=names.index("Currency"),
            columns=tuple((name, at) for at, name in enumerate(names) if name in known),
            ignored=tuple(name for name in names if name not in known and name not in KEY_COLUMNS),
        )

    def market(self, row: list[str]) -> str:
        return row[self.market_at].strip()

    def currency(self, row: list[str]) -> str:
        return row[self.currency_at] if len(row) > self.currency_at else ""

    def row(self, number: int, row: list[str], currency: str) -> dict[str, Rate]:
        if len(row) != self.width:
            raise RateCardError(f"line {number}: expected {self.width} cells, found {len(row)}")
        if _currency(row[self.currency_at]) != currency:
            message = (
                f"line {number}: currency {row[self.currency_at]!r} differs from the card's "
                f"{currency}"
            )
            raise RateCardError(message)
        return {column: _rate(number, row[at]) for column, at in self.columns}


def _rate(number: int, cell: str) -> Rate:
    cell = cell.strip().lstrip("$€₹").strip()
    if not cell:
        return Missing.UNKNOWN
    if cell.lower() == "n/a":
        return Missing.NOT_APPLICABLE
    try:
        rate = Decimal(cell)
    except InvalidOperation:
        raise RateCardError(f"line {number}: {cell!r} is not a rate") from None
    if not rate.is_finite() or rate < 0:
        raise RateCardError(f"line {number}: {cell!r} is not a rate")
    return rate


def _currency(token: str) -> str:
    token = token.strip()
    currency = CURRENCY_TOKENS.get(token, token.upper())
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RateCardError(f"{token!r} is not a currency")
    return currency


def _currency_in(preamble: str) -> str | None:
    match = re.search(r"\bin ([A-Z]{3})\b", preamble)
    return match[1] if match else None


def _effective_in(preamble: str) -> date | None:
    match = re.search(r"effective (\w+ \d{1,2}, \d{4})", preamble, flags=re.IGNORECASE)
    return datetime.strptime(match[1], "%B %d, %Y").date() if match else None


def _pricing(text: str) -> Pricing:
    return Pricing.PER_MESSAGE if "per message" in text.lower() else Pricing.PER_CONVERSATION


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value.split()[0]) if value else None


def _not_before(entries: str, header: _Header) -> dict[tuple[str, str], date]:
    """``Market Column YYYY-MM-DD (why)`` lines: cells that apply only from that day (lines
    about a column set aside are read and left out with it)."""
    cells: dict[tuple[str, str], date] = {}
    known = [column for column, _ in header.columns]
    columns = "|".join(map(re.escape, known + list(header.ignored)))
    for entry in filter(None, entries.split("\n")):
        match = re.match(rf"^(.+) ({columns}) (\d{{4}}-\d\d-\d\d)", entry)
        if match is None:
            raise RateCardError(f"cannot read 'Not before: {entry}'")
        if match[2] in known:
            cells[(match[1], match[2])] = date.fromisoformat(match[3])
    return cells


@dataclass(frozen=True)
class VolumeTiers:
    """The volume tiers of one market and category: cheaper rates for a month's later messages.

    ``tiers`` pairs the first message of each tier (counted from 1 in the calendar month) with
    the fraction taken off the list rate, or ``None`` where the tier's rate is not known.
    ``rates`` holds, in the same order, the rate Meta publishes for each tier where a source
    gives it: Meta rounds each tier's rate, so the published figure wins over the discount.
    """

    currency: str
    market: str
    column: str
    effective: date
    until: date | None
    tiers: tuple[tuple[int, Decimal | None], ...]
    rates: tuple[Decimal | None, ...] = ()

    def covers(self, day: date) -> bool:
        return self.effective <= day and (self.until is None or day <= self.until)

    def discount(self, message_number: int) -> Decimal | None:
        """The discount for the month's n-th charged message; ``None`` when not known."""
        index = bisect.bisect_right([first for first, _ in self.tiers], message_number) - 1
        return self.tiers[index][1] if index >= 0 else None

    def published_rate(self, message_number: int) -> Decimal | None:
        """Meta's own rate for the month's n-th charged message, if a source gives it."""
        index = bisect.bisect_right([first for first, _ in self.tiers], message_number) - 1
        return self.rates[index] if 0 <= index < len(self.rates) else None


def parse_volume_tiers(text: str, vocabulary: Vocabulary = VOCABULARY) -> list[VolumeTiers]:
    """Reads ``data/volume_tiers.csv``: one row per tier, ``#`` lines being comments; the
    ``Rate`` column (Meta's published tier rate) is optional. A row of a column the vocabulary
    gives no tiers is refused: the engine would never apply it."""
    rows = csv.DictReader(io.StringIO(without_comments(text)))
    grouped: dict[tuple[str, str, str, str, str], list[tuple[int, Decimal | None]]] = {}
    published: dict[tuple[str, str, str, str, str], dict[int, Decimal | None]] = {}
    for number, row in enumerate(rows, start=2):
        if row["Category"] not in vocabulary.tiered_columns:
            message = (
                f"volume tiers, row {number}: {row['Category']!r} is no rate column with "
                "volume tiers"
            )
            raise RateCardError(message)
        key = (row["Currency"], row["Market"], row["Category"], row["Effective"], row["Until"])
        discount = Decimal(row["Discount"]) if row["Discount"] else None
        grouped.setdefault(key, []).append((int(row["From message"]), discount))
        rate = row.get("Rate")
        published.setdefault(key, {})[int(row["From message"])] = Decimal(rate) if rate else None
    return [
        VolumeTiers(
            currency=currency,
            market=market,
            column=category,
            effective=date.fromisoformat(effective),
            until=date.fromisoformat(until) if until else None,
            tiers=tuple(sorted(tiers)),
            rates=_published(published[(currency, market, category, effective, until)]),
        )
        for (currency, market, category, effective, until), tiers in grouped.items()
    ]


def _published(rates: dict[int, Decimal | None]) -> tuple[Decimal | None, ...]:
    """The published tier rates in tier order, or none at all when no tier has one."""
    ordered = tuple(rates[first] for first in sorted(rates))
    return ordered if any(rate is not None for rate in ordered) else ()


@cache
def shipped_volume_tiers(vocabulary: Vocabulary = VOCABULARY) -> list[VolumeTiers]:
    """The volume tier fragments shipped in ``data/volume_tiers.csv``."""
    data = files("whatsapp_pricing") / "data" / "volume_tiers.csv"
    return parse_volume_tiers(data.read_text(encoding="utf-8"), vocabulary)


def parse_agent_rates(text: str) -> list[AgentRate]:
    """Reads ``data/agent_rates.csv``: one row per currency and day, ``#`` lines being comments."""
    return [
        AgentRate(
            currency=row["Currency"],
            effective=date.fromisoformat(row["Effective"]),
            per_million_tokens=Decimal(row["Per million tokens"]),
        )
        for row in csv.DictReader(io.StringIO(without_comments(text)))
    ]


@cache
def shipped_rate_book(vocabulary: Vocabulary = VOCABULARY) -> RateBook:
    """Every card shipped in ``data/rate_cards/``, with the shipped tiers and agent rates, read
    with a vocabulary (the package's own unless told)."""
    data = files("whatsapp_pricing") / "data"
    return RateBook(
        (
            parse_rate_card(card.read_text(encoding="utf-8"), vocabulary=vocabulary)
            for card in (data / "rate_cards").iterdir()
            if card.name.endswith(".csv")
        ),
        shipped_volume_tiers(vocabulary),
        parse_agent_rates((data / "agent_rates.csv").read_text(encoding="utf-8")),
        vocabulary,
    )
