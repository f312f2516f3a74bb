"""Calling rate cards: what Meta charges for a business-initiated call, by market and tier.

Meta prices a business-initiated call by the callee's market (the country calling code, mapped as
for messages), the account's billing currency, the day (midnight in the account's time zone)
and the month's volume tier. Meta publishes a rate **per minute** for each tier and bills in
6-second **pulses**, a started pulse counting whole, so a pulse costs a tenth of the minute rate.
Minutes are counted per calendar month across the business portfolio, and a call that crosses
into a new tier is priced wholly at the new tier's rate: so the tier of a call is the tier of
the month's minutes *including* that call. Customer-initiated calls are free and are not here.

The cards are data (``data/call_rates.csv``, one row per tier, with its sources in its ``#``
lines). Nothing is converted or guessed: a market, currency, day or tier no source gives is
:attr:`~whatsapp_pricing.rate_cards.Missing.UNKNOWN`.

For the ``business_call`` rule: a 56-second call to Kenya (10 pulses, a started pulse counting
whole), billed in USD, when the month's earlier calls took 49,995 minutes:

```python
from datetime import date
from decimal import Decimal

from whatsapp_pricing.call_rates import CallRate, shipped_call_rates

rates = shipped_call_rates()
day, pulses = date(2026, 11, 2), 10
tier = rates.tier_of("KE", "USD", day, 49_995 + 1)  # the month's minutes, this call included
rate = rates.rate("KE", "USD", day, tier) if tier else None
assert isinstance(rate, CallRate)
print(tier, rate.per_minute, rate.per_pulse * pulses)
#> 1 0.0103 0.01030
```
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files

from whatsapp_pricing.data_files import without_comments
from whatsapp_pricing.errors import RateCardError
from whatsapp_pricing.markets import MarketTable, meta_markets
from whatsapp_pricing.rate_cards import Missing

PULSE_SECONDS = 6
PULSES_PER_MINUTE = 60 // PULSE_SECONDS


@dataclass(frozen=True)
class CallRate:
    """One tier's rate: as Meta publishes it (per minute) and as Meta bills it (per pulse)."""

    tier: int
    """The tier's number, 1 for the first (list) tier."""
    first_minute: int
    """The month's minute the tier starts at (1 for the first tier)."""
    per_minute: Decimal

    @property
    def per_pulse(self) -> Decimal:
        """The rate of one 6-second pulse: a tenth of the minute rate (Meta's pulse rule)."""
        return self.per_minute / PULSES_PER_MINUTE


@dataclass(frozen=True)
class CallRateCard:
    """The tiers of one market in one currency, over the days the card is in force."""

    currency: str
    market: str
    effective: date
    until: date | None
    tiers: tuple[tuple[int, Decimal | None], ...]
    """The first minute of each known tier and its rate per minute (``None``: not sourced)."""
    open_ended: bool
    """Whether more tiers exist beyond the last listed one, starting at a minute not sourced."""

    def covers(self, day: date) -> bool:
        return self.effective <= day and (self.until is None or day <= self.until)

    def tier_of(self, minutes: int) -> int | None:
        """The tier (1-based) of the month's ``minutes``-th minute, or ``None`` when no source
        says where the tier holding it starts."""
        if minutes < 1:
            raise RateCardError(f"a month's minutes count from 1, not {minutes}")
        index = bisect.bisect_right([first for first, _ in self.tiers], minutes) - 1
        if self.open_ended and index == len(self.tiers) - 1 and minutes > self.tiers[-1][0]:
            return None
        return index + 1

    def rate(self, tier: int) -> CallRate | Missing:
        if not 1 <= tier <= len(self.tiers):
            return Missing.UNKNOWN
        first, per_minute = self.tiers[tier - 1]
        return Missing.UNKNOWN if per_minute is None else CallRate(tier, first, per_minute)


class CallRates:
    """Every calling rate card, looked up by market or country, currency and day."""

    def __init__(self, cards: list[CallRateCard], markets: MarketTable) -> None:
        self._cards = cards
        self._markets = markets

    @property
    def cards(self) -> list[CallRateCard]:
        return list(self._cards)

    def card_for(self, callee: str, currency: str, day: date) -> CallRateCard | None:
        """The card of the callee's market in force on ``day``; ``callee`` is a market name
        ("Rest of Africa") or a country's ISO 3166 code ("KE"), mapped by Meta's market table
        of that day."""
        market = self._markets.market_of_country(callee, day) if _is_iso2(callee) else callee
        return next(
            (
                card
                for card in self._cards
                if (card.market, card.currency) == (market, currency) and card.covers(day)
            ),
            None,
        )

    def tier_of(self, callee: str, currency: str, day: date, minutes: int) -> int | None:
        """The tier of the month's ``minutes``-th minute (count the call being priced in it:
        a call crossing into a tier is priced wholly at that tier), or ``None`` if unknown."""
        card = self.card_for(callee, currency, day)
        return None if card is None else card.tier_of(minutes)

    def rate(self, callee: str, currency: str, day: date, tier: int = 1) -> CallRate | Missing:
        """The rate of a tier (1 = list rate) for calls to ``callee`` billed in ``currency`` on
        ``day``: per minute as Meta publishes it, and per 6-second pulse as Meta bills it.
        :attr:`Missing.UNKNOWN` when no source gives it."""
        card = self.card_for(callee, currency, day)
        return Missing.UNKNOWN if card is None else card.rate(tier)


def _is_iso2(callee: str) -> bool:
    return re.fullmatch(r"[A-Z]{2}", callee) is not None


def parse_call_rates(text: str) -> list[CallRateCard]:
    """Reads ``data/call_rates.csv``: one row per tier, ``#`` lines being comments."""
    grouped: dict[tuple[str, str, str, str], list[tuple[int | None, Decimal | None]]] = {}
    for row in csv.DictReader(io.StringIO(without_comments(text))):
        key = (row["Currency"], row["Market"], row["Effective"], row["Until"])
        first = int(row["From minute"]) if row["From minute"] else None
        rate = Decimal(row["Per minute"]) if row["Per minute"] else None
        if first is None and rate is not None:
            raise RateCardError(f"{key}: a rate needs the minute its tier starts at")
        grouped.setdefault(key, []).append((first, rate))
    return [_card(key, rows) for key, rows in grouped.items()]


def _card(
    key: tuple[str, str, str, str], rows: list[tuple[int | None, Decimal | None]]
) -> CallRateCard:
    currency, market, effective, until = key
    tiers = tuple(sorted((first, rate) for first, rate in rows if first is not None))
    if not tiers or tiers[0][0] != 1:
        raise RateCardError(f"{key}: the first tier must start at minute 1")
    return CallRateCard(
        currency=currency,
        market=market,
        effective=date.fromisoformat(effective),
        until=date.fromisoformat(until) if until else None,
        tiers=tiers,
        open_ended=any(first is None for first, _ in rows),
    )


@cache
def shipped_call_rates() -> CallRates:
    """The calling rate cards shipped in ``data/call_rates.csv``, with Meta's market table."""
    data = files("whatsapp_pricing") / "data" / "call_rates.csv"
    return CallRates(parse_call_rates(data.read_text(encoding="utf-8")), meta_markets())
