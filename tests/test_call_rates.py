"""The calling rate cards: Meta's per-minute rates by market, currency, day and monthly tier,
and the per-pulse rate Meta bills."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from whatsapp_pricing.call_rates import (
    CallRate,
    CallRates,
    parse_call_rates,
    shipped_call_rates,
)
from whatsapp_pricing.errors import RateCardError
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.rate_cards import Missing

RATES = shipped_call_rates()
NOVEMBER = date(2026, 11, 2)
HEADER = "Currency,Market,Effective,Until,From minute,Per minute\n"


def test_a_call_to_kenya_is_priced_at_rest_of_africas_list_rate_per_pulse() -> None:
    rate = RATES.rate("KE", "USD", NOVEMBER)
    assert isinstance(rate, CallRate)
    assert (rate.tier, rate.first_minute, rate.per_minute) == (1, 1, Decimal("0.0103"))
    assert rate.per_pulse == Decimal("0.00103")
    assert RATES.rate("Rest of Africa", "USD", NOVEMBER) == rate


@pytest.mark.parametrize(
    ("minutes", "tier", "per_minute"),
    [
        (1, 1, "0.0103"),
        (50_000, 1, "0.0103"),
        (50_001, 2, "0.0084"),
        (250_001, 3, "0.0074"),
        (2_500_000, 4, "0.0062"),
        (5_000_001, 6, "0.0042"),
    ],
)
def test_the_months_minutes_pick_the_tier(minutes: int, tier: int, per_minute: str) -> None:
    assert RATES.tier_of("KE", "USD", NOVEMBER, minutes) == tier
    rate = RATES.rate("KE", "USD", NOVEMBER, tier)
    assert isinstance(rate, CallRate)
    assert rate.per_minute == Decimal(per_minute)


def test_a_call_crossing_into_a_tier_is_priced_wholly_at_it() -> None:
    """Counting the call's own minutes: 49,990 minutes before, a 20-minute call ends in tier 2."""
    before, call = 49_990, 20
    assert RATES.tier_of("KE", "USD", NOVEMBER, before + call) == 2


def test_unsourced_calls_are_unknown_never_converted() -> None:
    assert RATES.rate("KE", "GBP", NOVEMBER) is Missing.UNKNOWN  # no GBP card
    assert RATES.rate("KE", "USD", date(2026, 5, 1)) is Missing.UNKNOWN  # April card not read
    assert RATES.rate("BR", "USD", NOVEMBER) is Missing.UNKNOWN  # no Brazil row
    assert RATES.rate("KE", "USD", NOVEMBER, 7) is Missing.UNKNOWN  # no seventh tier
    assert RATES.rate("KE", "USD", date(2025, 9, 1), 2) is Missing.UNKNOWN  # tier known, rate not


def test_where_later_tiers_start_is_not_guessed() -> None:
    assert RATES.tier_of("IN", "INR", NOVEMBER, 1) == 1
    assert RATES.tier_of("IN", "INR", NOVEMBER, 2) is None
    rate = RATES.rate("IN", "INR", NOVEMBER)
    assert isinstance(rate, CallRate)
    assert rate.per_minute == Decimal("0.3885")
    assert RATES.tier_of("KE", "USD", date(2025, 9, 1), 300_000) is None


def test_no_rate_before_calling_charges_began() -> None:
    assert RATES.rate("KE", "USD", date(2025, 7, 31)) is Missing.UNKNOWN


def test_every_shipped_card_starts_at_minute_one_and_falls() -> None:
    for card in RATES.cards:
        firsts = [first for first, _ in card.tiers]
        assert firsts[0] == 1
        assert firsts == sorted(set(firsts))
        known = [rate for _, rate in card.tiers if rate is not None]
        assert known == sorted(known, reverse=True)
        assert card.effective >= date(2025, 8, 1)


def test_a_malformed_card_stops_the_reader() -> None:
    with pytest.raises(RateCardError, match="minute 1"):
        parse_call_rates(HEADER + "USD,Rest of Africa,2026-10-01,,5,0.0103\n")
    with pytest.raises(RateCardError, match="needs the minute"):
        parse_call_rates(
            HEADER
            + "USD,Rest of Africa,2026-10-01,,1,0.0103\nUSD,Rest of Africa,2026-10-01,,,0.0084\n"
        )
    rates = CallRates(parse_call_rates(HEADER + "USD,Other,2026-10-01,,1,0.02\n"), meta_markets())
    with pytest.raises(RateCardError, match="count from 1"):
        rates.tier_of("Other", "USD", NOVEMBER, 0)
