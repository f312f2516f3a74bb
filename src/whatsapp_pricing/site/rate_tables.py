"""The ``rate-card`` and ``markets`` fences: tables generated from the shipped data files.

Rates and market lists on the site are never typed by hand: a page names the card (currency and
effective date) or the day, and these fences render the data files' own contents, with their
source and effective date. A ``rate-card`` fence shows one card (``currency`` and
``effective``), or with ``show:`` the market picker (``picker``), a table of every card a reader
may be priced at from the day of the build on (``in force``), or the list of every shipped card
to download (``downloads``), or what moved between each currency's card in force and the one
before it (``changes``; with ``currency``, ``from`` and ``to``, between any two cards).

Tables are left without a class so that Material styles them like every other table; on a phone
``rates.css`` stacks each market's rates, labelled by the ``data-label`` of each cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import escape
from typing import Any

from whatsapp_pricing.card_provenance import CardProvenance, CellNote, Mark
from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.rate_cards import (
    Missing,
    Pricing,
    Rate,
    RateBook,
    RateCard,
    shipped_rate_book,
)
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.site.rate_files import (
    FOLDER,
    MARKERS,
    MEANINGS,
    SITE_ROOT,
    TIERS_FILE,
    TODAY_FILE,
    TierStep,
    card_id,
    cards_from,
    csv_address,
    pricing_day,
    provenance_of,
    tier_steps,
)
from whatsapp_pricing.vocabulary import VOCABULARY

NOT_PUBLISHED = "not published"
WHY_NOT_PUBLISHED = (
    "none of the sources we could check gives the rate, and it is never guessed: the simulator "
    "reports such a charge as unpriced"
)
TIERS_IN_WORDS = 4
"""A card with more tiered cells than this points to its tiers instead of spelling them out."""
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
    if show == "changes" and "from" in settings:
        currency = settings.get("currency", "USD")
        before, after = (_shipped(book, currency, _day(settings, key)) for key in ("from", "to"))
        return changes_table(before, after)
    if show is not None:
        if show not in SHOWS:
            raise FenceError(f"'show: {show}' is not one of {', '.join(SHOWS)}")
        return SHOWS[show](book, date.today())
    effective = _day(settings, "effective")
    card = _shipped(book, settings.get("currency", "USD"), effective)
    return card_table(book, card, effective)


def _shipped(book: RateBook, currency: str, effective: date) -> RateCard:
    card = next(
        (card for card in book.cards if card.currency == currency and card.effective == effective),
        None,
    )
    if card is None:
        raise FenceError(f"no shipped {currency} rate card takes effect on {effective}")
    return card


def card_table(book: RateBook, card: RateCard, day: date) -> str:
    """A card as a table under a short caption, with what it leaves out said once below it."""
    on = pricing_day(card, day)
    columns = book.vocabulary.columns
    provenance = provenance_of(card)
    rates = {
        market: {column: card.rate(market, column, on) for column in columns}
        for market in card.rates
    }
    shown = [column for column in columns if _is_shown(column, rates)]
    header = "".join(
        f'<th scope="col">{column}{_signs(provenance.column_marks(column))}</th>'
        for column in shown
    )
    rows = "".join(
        f'<tr><th scope="row">{escape(market)}</th>'
        + "".join(
            f'<td data-label="{column}">{_rate_cell(row[column])}'
            f"{markers(provenance, market, column)}</td>"
            for column in shown
        )
        + "</tr>"
        for market, row in rates.items()
    )
    notes = [
        *(_left_out(column, rates, provenance) for column in columns if column not in shown),
        *_cell_keys(rates, shown),
        *_added_later(card, on),
        *provenance_notes(provenance),
        *_tier_notes(book, card, on),
        *_provisional_note(book, card, on),
    ]
    return (
        f'<div class="wp-rate-card" id="{card_id(card)}">'
        f"<table><caption>{_caption(card, len(rates))}</caption>"
        f'<thead><tr><th scope="col">Market</th>{header}</tr></thead><tbody>{rows}</tbody>'
        f"</table>{_list('wp-rate-card__notes', notes)}{_provenance(card, provenance)}</div>"
    )


def markers(provenance: CardProvenance, market: str, column: str) -> str:
    """The signs after a cell's rate, one per kind of note on the cell itself (a note on the
    whole column is signed once, in its header)."""
    return _signs([note for note in provenance.marks(market, column) if note.market is not None])


def _signs(notes: list[CellNote]) -> str:
    kinds = dict.fromkeys(note.mark for note in notes)
    return "".join(
        f'<sup class="wp-rate-card__mark" title="{MEANINGS[kind]}">{MARKERS[kind]}</sup>'
        for kind in kinds
    )


def provenance_notes(provenance: CardProvenance) -> list[str]:
    """The card's notes on its cells, one line per reason, and the markets it lacks."""
    lines = [
        f"<strong>Every figure on this card {MEANINGS[note.mark]}</strong>: {escape(note.why)}."
        for note in provenance.card_notes
    ]
    grouped: dict[tuple[Mark, str], list[CellNote]] = {}
    for note in provenance.notes:
        if note.market is not None or note.column is not None:
            grouped.setdefault((note.mark, note.why), []).append(note)
    for (mark, why), notes in grouped.items():
        cells = ", ".join(_cell_name(note) for note in notes)
        lines.append(
            f"<sup>{MARKERS[mark]}</sup> <strong>{mark.value.capitalize()}</strong> "
            f"({MEANINGS[mark]}): {escape(cells)}. {escape(why[0].upper() + why[1:])}."
        )
    if provenance.missing:
        count = len(provenance.missing)
        lines.append(
            f"<strong>Not on this card</strong>: {count} market{'s' if count != 1 else ''} of "
            f"Meta's card ({escape(', '.join(provenance.missing))}), because "
            f"{escape(provenance.missing_why)}. A charge to them in this currency is unpriced."
        )
    return lines


def _cell_name(note: CellNote) -> str:
    market = note.market or "every market"
    column = note.column or "every column"
    source = f" (from {note.source_column})" if note.source_column else ""
    return f"{market} {column}{source}"


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


def _left_out(
    column: str,
    rates: dict[str, dict[str, Decimal | Missing]],
    provenance: CardProvenance,
) -> str:
    """The sentence that replaces a column the table leaves out."""
    priced = [
        f"{escape(market)} {row[column]}{markers(provenance, market, column)}"
        for market, row in rates.items()
        if isinstance(row[column], Decimal)
    ]
    unknown = sum(row[column] is Missing.UNKNOWN for row in rates.values())
    parts = [f"<strong>{column}</strong>{_signs(provenance.column_marks(column))}:"]
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


def _added_later(card: RateCard, day: date) -> list[str]:
    """The rates a reissued card holds that began after the day it is shown for (Meta added
    authentication-international to its June 2023 card in 2024): each with its first day, so
    that a figure of 2024 is never read as one of 2023."""
    later = sorted(
        (first, market, column, rate)
        for (market, column), first in card.not_before.items()
        if first > day and isinstance(rate := card.rates.get(market, {}).get(column), Decimal)
    )
    if not later:
        return []
    cells = "; ".join(
        f"{escape(market)} {column} {rate} from {first}" for first, market, column, rate in later
    )
    return [
        f"<strong>Added later</strong>: {cells}. Before those days Meta had no such rate, so "
        "they are n/a in the table above."
    ]


def _tier_notes(book: RateBook, card: RateCard, day: date) -> list[str]:
    """The volume tiers shipped for the card's markets, in words for a few markets; for a whole
    card's tables, where to find them (the picker and the tiers' CSV), to keep the page light."""
    tiered = {
        (market, column): steps
        for market in card.rates
        for column in book.vocabulary.tiered_columns
        if (steps := tier_steps(book, card, market, column, day))
    }
    notes = [
        f"<strong>Volume tiers</strong>, {escape(market)} {column.lower()}: " + tier_text(steps)
        for (market, column), steps in tiered.items()
    ]
    if len(notes) > TIERS_IN_WORDS:
        markets = len({market for market, _ in tiered})
        return [
            f"<strong>Volume tiers</strong>: Meta's tiers of {markets} markets "
            "of this card are shipped, as Meta publishes them: choose a market in the picker, "
            f'or <a href="{SITE_ROOT}{FOLDER}/{TIERS_FILE}" download>download every shipped '
            "tier as CSV</a> (with its sources inside)."
        ]
    if notes or card.pricing is not Pricing.PER_MESSAGE:
        return notes
    *others, last = (column.lower() for column in book.vocabulary.tiered_columns)
    columns = f"{', '.join(others)} and {last}" if others else last
    return [
        f"<strong>Volume tiers</strong>: {columns} rates are list (first tier) "
        "rates; no market's lower tiers are in the shipped data for this card."
    ]


def _provisional_note(book: RateBook, card: RateCard, day: date) -> list[str]:
    """Whether Meta could have changed the card by ``day``, as the simulator then says."""
    provisional = book.provisional_from(card.currency)
    if provisional is None or provisional[1] is not card or day < provisional[0]:
        return []
    return [
        f"<strong>Provisional</strong>: Meta could have changed these rates from "
        f"{provisional[0]}. No {card.currency} card of that quarter is sourced, so the simulator "
        f"still charges at this one, the {card.currency} card of {card.effective}, and marks "
        "each charge provisional."
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


def _provenance(card: RateCard, provenance: CardProvenance) -> str:
    """The card's source, confidence and notes as its data file gives them, and its download."""
    notes = "".join(f"<li>{_linked(note)}</li>" for note in card.notes)
    read = f" (read {provenance.read})" if provenance.read else ""
    return (
        '<details class="wp-rate-card__source"><summary>Source, confidence and notes of this '
        f"card</summary><p>Source{read}: {_linked(card.source)}.</p>"
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


@dataclass(frozen=True)
class CellChange:
    """A cell two cards of one currency both give, with a different rate on each."""

    market: str
    column: str
    before: Rate
    after: Rate


def card_changes(before: RateCard, after: RateCard) -> list[CellChange]:
    """Every cell that moved from one card to the next: a rate that changed, or a rate that
    came or went (``n/a``). A cell one of the cards does not know is not compared."""
    last_day = before.until or after.effective - timedelta(days=1)
    changes = []
    for market in after.rates:
        if market not in before.rates:
            continue
        for column in VOCABULARY.columns:
            old = before.rate(market, column, max(last_day, before.effective))
            new = after.rate(market, column, after.effective)
            if Missing.UNKNOWN not in (old, new) and old != new:
                changes.append(CellChange(market, column, old, new))
    return changes


def changes_table(before: RateCard, after: RateCard, *, open_: bool = True) -> str:
    """What moved between two cards of a currency, cell by cell, marked as the later card's
    cells are: one group of markets per category, so that a phone shows each change on one line
    (market, before, after) instead of a block of labels per cell. Folded unless ``open_``."""
    provenance = provenance_of(after)
    changes = card_changes(before, after)
    groups = "".join(
        f'<tbody><tr><th scope="colgroup" colspan="3">{column} '
        f"({len(moved)} market{'s' if len(moved) != 1 else ''})</th></tr>"
        + "".join(
            f'<tr><th scope="row">{escape(change.market)}</th>'
            f'<td data-label="Before">{_rate_cell(change.before)}</td>'
            f'<td data-label="After">{_rate_cell(change.after)}'
            f"{markers(provenance, change.market, change.column)}</td></tr>"
            for change in moved
        )
        + "</tbody>"
        for column in VOCABULARY.columns
        if (moved := [change for change in changes if change.column == column])
    )
    added = [market for market in after.rates if market not in before.rates]
    dropped = [market for market in before.rates if market not in after.rates]
    notes = [
        *(
            [f"<strong>New on the later card</strong>: {escape(', '.join(added))}."]
            if added
            else []
        ),
        *(
            [f"<strong>Not on the later card</strong>: {escape(', '.join(dropped))}."]
            if dropped
            else []
        ),
        "A cell that one of the two cards does not give is not compared; "
        "<strong>n/a</strong> means Meta has no such rate.",
    ]
    cells = f"{len(changes)} cell{'s' if len(changes) != 1 else ''}"
    caption = (
        f"{after.currency}: what changed from the card of {before.effective} to the card of "
        f"{after.effective} ({cells})"
    )
    table = (
        f'<table><caption>{caption}</caption><thead><tr><th scope="col">Market</th>'
        '<th scope="col">Before</th><th scope="col">After</th></tr></thead>'
        f"{groups}</table>"
        if changes
        else f"<p>{caption}: no cell that both cards give moved.</p>"
    )
    return (
        f'<details class="wp-rate-card wp-rate-card--changes" id="changes-{card_id(after)}"'
        f"{' open' if open_ else ''}><summary>{after.currency}: {cells} changed on "
        f"{after.effective}</summary>"
        f"{table}{_list('wp-rate-card__notes', [*provenance_notes(provenance), *notes])}</details>"
    )


def latest_changes(book: RateBook, day: date) -> str:
    """For each currency, what moved between its card in force on ``day`` and the one before;
    the first (USD) unfolded, the others folded under their currency, to keep a phone's page
    short."""
    tables: list[str] = []
    for current in sorted(
        cards_from(book, day), key=lambda card: (card.currency != "USD", card.currency)
    ):
        if not current.covers(day):
            continue
        earlier = [
            card
            for card in book.cards
            if card.currency == current.currency and card.effective < current.effective
        ]
        if earlier:
            before = max(earlier, key=lambda card: card.effective)
            tables.append(changes_table(before, current, open_=not tables))
    return "".join(tables)


SHOWS: dict[str, Callable[[RateBook, date], str]] = {
    "picker": picker,
    "in force": tables_in_force,
    "downloads": downloads,
    "changes": latest_changes,
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
