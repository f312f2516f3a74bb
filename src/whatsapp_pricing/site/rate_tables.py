"""The ``rate-card`` and ``markets`` fences: tables generated from the shipped data files.

Rates and market lists on the site are never typed by hand: a page names the card (currency and
effective date) or the day, and these fences render the data files' own contents, with their
source and effective date.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.rate_cards import Column, Missing, Rate, shipped_rate_book
from whatsapp_pricing.site import FenceError


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
    """A shipped rate card as a table: ``currency: USD`` and ``effective: 2026-10-01``."""
    settings = _settings(src)
    effective = _day(settings, "effective")
    currency = settings.get("currency", "USD")
    card = next(
        (
            card
            for card in shipped_rate_book().cards
            if card.currency == currency and card.effective == effective
        ),
        None,
    )
    if card is None:
        raise FenceError(f"no shipped {currency} rate card takes effect on {effective}")
    rows = "".join(
        f"<tr><td>{escape(market)}</td>"
        + "".join(f"<td>{_rate(rates[column])}</td>" for column in Column)
        + "</tr>"
        for market, rates in card.rates.items()
    )
    until = f" to {card.until}" if card.until else " (the latest card)"
    caption = (
        f"{escape(card.title)}: in force from {card.effective}{until}; {card.pricing}, in "
        f"{card.currency}. Source: {escape(card.source)}. Confidence: {escape(card.confidence)}."
    )
    header = "".join(f"<th>{column}</th>" for column in Column)
    return (
        f'<table class="wp-rate-card"><caption>{caption}</caption><thead><tr><th>Market</th>'
        f"{header}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _rate(rate: Rate) -> str:
    if rate is Missing.UNKNOWN:
        return "unknown"
    if rate is Missing.NOT_APPLICABLE:
        return "n/a"
    return str(rate)


def markets_formatter(
    src: str, language: str, class_name: str, options: Any, md: Any, **_: Any
) -> str:
    """The countries of every market on a day: ``on: 2026-11-01``."""
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
