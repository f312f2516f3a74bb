"""The ``rate-card`` and ``markets`` fences: tables generated from the shipped data files.

Rates and market lists on the site are never typed by hand: a page names the card (currency and
effective date) or the day, and these fences render the data files' own contents, with their
source and effective date. A ``rate-card`` fence shows one card (``currency`` and
``effective``), or with ``show:`` the market picker (``picker``), a table of every card a reader
may be priced at from the day of the build on (``in force``), or the list of every shipped card
to download (``downloads``).

Tables are left without a class so that Material styles them like every other table; on a phone
``rates.css`` stacks each market's rates, labelled by the ``data-label`` of each cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.rate_cards import (
    Missing,
    Pricing,
    RateBook,
    RateCard,
    shipped_rate_book,
)
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.site.rate_files import (
    FOLDER,
    SITE_ROOT,
    TODAY_FILE,
    TierStep,
    card_id,
    cards_from,
    csv_address,
    pricing_day,
    tier_steps,
)

NOT_PUBLISHED = "not published"
WHY_NOT_PUBLISHED = (
    "none of the sources we could check gives the rate, and it is never guessed: the simulator "
    "reports such a charge as unpriced"
)
SHOWN_SHARE = Decimal("0.5")
"""A column with rates for fewer than this share of a card's markets is said in one sentence
below the table instead of as a column of empty cells."""


def _settings(source: str) -> dict[str, str]:
    settings = {}
    for number, line in enumerate(filter(str.strip, source.splitlines()), start=1):
        key, separator, value = line.partition(":")
        if not separator:
            raise FenceError(f"line {number} of the fence: expected 'name: value'")
        settings[key.strip()] = value.strip()
    return settings


def _day(settings: dict[str, str], key: str) -> date:
    try:
        return date.fromisoformat(settings[key])
    except (KeyError, ValueError):
        raise FenceError(f"the fence needs '{key}: YYYY-MM-DD'") from None


def rate_card_formatter(
    src: str, language: str, class_name: str, options: Any, md: Any, **_: Any
) -> str:
    """One shipped card as a table (``currency: USD`` and ``effective: 2026-10-01``), or what
    ``show:`` names."""
    settings = _settings(src)
    book = shipped_rate_book()
    show = settings.get("show")
    if show is not None:
        if show not in SHOWS:
            raise FenceError(f"'show: {show}' is not one of {', '.join(SHOWS)}")
        return SHOWS[show](book, date.today())
    effective = _day(settings, "effective")
    currency = settings.get("currency", "USD")
    card = next(
        (card for card in book.cards if card.currency == currency and card.effective == effective),
        None,
    )
    if card is None:
        raise FenceError(f"no shipped {currency} rate card takes effect on {effective}")
    return card_table(book, card, effective)


def card_table(book: RateBook, card: RateCard, day: date) -> str:
    """A card as a table under a short caption, with what it leaves out said once below it."""
    on = pricing_day(card, day)
    columns = book.vocabulary.columns
    rates = {
        market: {column: card.rate(market, column, on) for column in columns}
        for market in card.rates
    }
    shown = [column for column in columns if _is_shown(column, rates)]
    header = "".join(f'<th scope="col">{column}</th>' for column in shown)
    rows = "".join(
        f'<tr><th scope="row">{escape(market)}</th>'
        + "".join(f'<td data-label="{column}">{_rate_cell(row[column])}</td>' for column in shown)
        + "</tr>"
        for market, row in rates.items()
    )
    notes = [
        *(_left_out(column, rates) for column in columns if column not in shown),
        *_cell_keys(rates, shown),
        *_tier_notes(book, card, on),
        *_provisional_note(book, card, on),
    ]
    return (
        f'<div class="wp-rate-card" id="{card_id(card)}">'
        f"<table><caption>{_caption(card, len(rates))}</caption>"
        f'<thead><tr><th scope="col">Market</th>{header}</tr></thead><tbody>{rows}</tbody>'
        f"</table>{_list('wp-rate-card__notes', notes)}{_provenance(card)}</div>"
    )


def _caption(card: RateCard, markets: int) -> str:
    return (
        f"{card.currency} {card.pricing}, {_period(card)} "
        f"({markets} market{'s' if markets != 1 else ''})"
    )


def _period(card: RateCard) -> str:
    if card.until:
        return f"{card.effective} to {card.until}"
    return f"from {card.effective}, the latest we ship"


def _is_shown(column: str, rates: dict[str, dict[str, Decimal | Missing]]) -> bool:
    priced = sum(isinstance(row[column], Decimal) for row in rates.values())
    return priced > 0 and priced >= SHOWN_SHARE * len(rates)


def _rate_cell(rate: Decimal | Missing) -> str:
    if rate is Missing.UNKNOWN:
        return f'<span class="wp-rate-card__missing">{NOT_PUBLISHED}</span>'
    return str(rate)


def _left_out(column: str, rates: dict[str, dict[str, Decimal | Missing]]) -> str:
    """The sentence that replaces a column the table leaves out."""
    priced = [
        f"{escape(market)} {row[column]}"
        for market, row in rates.items()
        if isinstance(row[column], Decimal)
    ]
    unknown = sum(row[column] is Missing.UNKNOWN for row in rates.values())
    parts = [f"<strong>{column}</strong>:"]
    if priced:
        parts.append(f"{', '.join(priced)};")
    if unknown:
        others = "the other markets" if priced else "every market"
        parts.append(f"{NOT_PUBLISHED} for {others}.")
    else:
        parts.append("no such rate on this card (n/a).")
    return " ".join(parts)


def _cell_keys(rates: dict[str, dict[str, Decimal | Missing]], shown: list[str]) -> list[str]:
    """What ``not published`` (in the table or the lines above) and ``n/a`` cells mean, once
    each, if the card has any."""
    cells = {row[column] for row in rates.values() for column in shown}
    keys = []
    if any(Missing.UNKNOWN in row.values() for row in rates.values()):
        keys.append(f"<strong>{NOT_PUBLISHED}</strong>: {WHY_NOT_PUBLISHED}.")
    if Missing.NOT_APPLICABLE in cells:
        keys.append("<strong>n/a</strong>: Meta has no such rate for that market.")
    return keys


def _tier_notes(book: RateBook, card: RateCard, day: date) -> list[str]:
    """The volume tiers shipped for the card's markets, or one line saying there are none."""
    notes = [
        f"<strong>Volume tiers</strong>, {escape(market)} {column.lower()}: " + tier_text(steps)
        for market in card.rates
        for column in book.vocabulary.tiered_columns
        if (steps := tier_steps(book, card, market, column, day))
    ]
    if notes or card.pricing is not Pricing.PER_MESSAGE:
        return notes
    tiered = " and ".join(column.lower() for column in book.vocabulary.tiered_columns)
    return [
        f"<strong>Volume tiers</strong>: {tiered} rates are list (first tier) "
        "rates; no market's lower tiers are in the shipped data for this card."
    ]


def _provisional_note(book: RateBook, card: RateCard, day: date) -> list[str]:
    """Whether Meta could have changed the card by ``day``, as the simulator then says."""
    provisional = book.provisional_from(card.currency)
    if provisional is None or provisional[1] is not card or day < provisional[0]:
        return []
    return [
        f"<strong>Provisional</strong>: Meta could have changed these rates from "
        f"{provisional[0]}. This is the latest {card.currency} card we could source, so the "
        "simulator still charges at it and marks each charge provisional."
    ]


def tier_text(steps: list[TierStep]) -> str:
    """Volume tiers in words: ``messages 1 to 100,000 of a month 0.0040; from 100,001 …``."""
    parts = []
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        span = (
            f"messages {step.first_message:,} to {following.first_message - 1:,}"
            if following
            else f"from message {step.first_message:,}"
        )
        parts.append(f"{span}: {NOT_PUBLISHED if step.rate is None else step.rate}")
    return "; ".join(parts) + " (counted per calendar month)."


def _provenance(card: RateCard) -> str:
    """The card's source, confidence and notes as its data file gives them, and its download."""
    notes = "".join(f"<li>{_linked(note)}</li>" for note in card.notes)
    return (
        '<details class="wp-rate-card__source"><summary>Source, confidence and notes of this '
        f"card</summary><p>Source: {_linked(card.source)}.</p>"
        f"<p>Confidence: {escape(card.confidence or 'not stated')}.</p>"
        f"{f'<ul>{notes}</ul>' if notes else ''}</details>"
        f'<p class="wp-rate-card__download"><a href="{SITE_ROOT}{csv_address(card)}" download>'
        f"Download this card as CSV</a> (with its source and effective date inside)</p>"
    )


def _linked(text: str) -> str:
    """Escaped text with its web addresses as links."""
    return re.sub(
        r"https://[^\s)]*[^\s).,;']",
        lambda match: f'<a href="{match[0]}">{match[0]}</a>',
        escape(text),
    )


def _list(class_name: str, items: list[str]) -> str:
    return f'<ul class="{class_name}">{"".join(f"<li>{item}</li>" for item in items)}</ul>'


def picker(book: RateBook, day: date) -> str:
    """Where ``rates.js`` draws the market picker; without script, a pointer to the tables."""
    return (
        f'<div class="wp-rate-picker" data-rates="{SITE_ROOT}{FOLDER}/{TODAY_FILE}">'
        "<p>The tables below give every card in force on the day this site was built "
        f"({day}); turn on JavaScript to pick a market instead.</p></div>"
    )


def tables_in_force(book: RateBook, day: date) -> str:
    """A table for each card a reader may be priced at from ``day`` on."""
    return "".join(card_table(book, card, day) for card in cards_from(book, day))


def downloads(book: RateBook, day: date) -> str:
    """Every shipped card, newest first, with its period and CSV download, and below the table
    where each card's figures come from."""
    cards = sorted(book.cards, key=lambda card: (card.effective, card.currency), reverse=True)
    rows = "".join(
        f'<tr><th scope="row">{card.currency}</th>'
        f'<td data-label="Pricing">{card.pricing}</td>'
        f'<td data-label="In force">{_period(card)}</td>'
        f'<td data-label="Markets">{len(card.rates)}</td>'
        f'<td data-label="Download"><a href="{SITE_ROOT}{csv_address(card)}" download>'
        f"{csv_address(card).removeprefix(FOLDER + '/')}</a></td></tr>"
        for card in cards
    )
    sources = "".join(
        f"<li><strong>{card.currency} {card.effective}</strong>: {_linked(card.source)} "
        f"(confidence: {escape(card.confidence or 'not stated')})</li>"
        for card in cards
    )
    return (
        '<div class="wp-rate-card wp-rate-card--downloads"><table><caption>Every shipped card '
        "(each file opens with its title, source, confidence and effective date)</caption>"
        '<thead><tr><th scope="col">Currency</th><th scope="col">Pricing</th>'
        '<th scope="col">In force</th><th scope="col">Markets</th><th scope="col">Download</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        '<details class="wp-rate-card__source"><summary>Where each card\'s figures come from'
        f"</summary><ul>{sources}</ul></details></div>"
    )


SHOWS: dict[str, Callable[[RateBook, date], str]] = {
    "picker": picker,
    "in force": tables_in_force,
    "downloads": downloads,
}


def markets_formatter(
    src: str, language: str, class_name: str, options: Any, md: Any, **_: Any
) -> str:
    """The countries of every market on a day: ``on: 2026-11-26``."""
    day = _day(_settings(src), "on")
    markets = meta_markets()
    items = "".join(
        f"<li><strong>{escape(market)}</strong>: "
        f"{escape(', '.join(markets.countries(market, day)))}</li>"
        for market in markets.markets(day)
        if market != OTHER
    )
    return (
        f'<ul class="wp-markets">{items}<li><strong>{OTHER}</strong>: every country not '
        f"listed above (Meta's rule), as on {day}.</li></ul>"
    )
