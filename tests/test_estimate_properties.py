"""The estimator's closed form gives exactly what the engine gives, message by message, for
the month written as a timeline: random volumes (tier boundaries among them), several rows by
market or by country (the same market twice, to pool its tiers; the US and Canada, one market
whose marketing templates Meta delivers to Canadian numbers only from 2025-04), every pricing
period, two billing currencies.

The engine prices one message at a time, so the real tiers' starts (100,001 to 80,000,001) are
out of its reach here; the property uses a rate book whose tiers start where the shipped ones do,
divided by 10,000 (with the same discounts, and a tier of unknown rate), so that every start and
the message either side of it is drawn. ``tests/test_estimate.py`` checks the real 100,001.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whatsapp_pricing.estimate import Traffic, estimate
from whatsapp_pricing.estimate_timeline import estimate_by_timeline, month_of
from whatsapp_pricing.markets import country_of, meta_markets
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book, shipped_volume_tiers

SCALE = 10_000


TIERS = [
    replace(tier, tiers=tuple((1 + (start - 1) // SCALE, off) for start, off in tier.tiers))
    for tier in shipped_volume_tiers()
]
BOOK = RateBook(shipped_rate_book().cards, TIERS, (), shipped_rate_book().vocabulary)
STARTS = sorted({start for tier in TIERS for start, _ in tier.tiers})
BOUNDARIES = sorted({n for start in STARTS for n in (start - 1, start, start + 1) if n >= 0})
MONTHS = (
    "2022-03",  # two categories: a free thousand of any conversation, then no sourced rate
    "2023-09",  # four categories: a free thousand service conversations
    "2024-03",
    "2024-12",  # service conversations free
    "2025-03",  # marketing templates to US numbers delivered for the last month
    "2025-04",  # and no longer
    "2025-07",  # per-message pricing, volume tiers
    "2026-08",
    "2026-10",  # service messages charged
    "2026-11",
)
MARKETS = ("India", "Rest of Africa", "Brazil", "Indonesia", "Other", "North America")
COUNTRIES = ("US", "CA", "IN", "Brazil", "ng")
"""Rows by country: ISO codes in either case and a name as the market table spells it."""


def counts(most: int) -> st.SearchStrategy[int]:
    """Small volumes, or one either side of a tier's start (up to ``most``)."""
    return st.one_of(st.integers(0, 120), st.sampled_from([n for n in BOUNDARIES if n <= most]))


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    writers = draw(st.one_of(st.integers(0, 40), st.integers(990, 1_010)))
    column = draw(st.sampled_from(("market", "country")))
    row: dict[str, Any] = {
        column: draw(st.sampled_from(MARKETS if column == "market" else COUNTRIES)),
        "marketing": draw(counts(120)),
        "utility": draw(counts(8_002)),
        "authentication": draw(counts(2_502)),
        "customers_writing_first": writers,
        "via_ads": draw(st.integers(0, writers)),
    }
    if writers:
        row["service"] = draw(st.integers(0, 2 * writers))
    return row


@st.composite
def months(draw: st.DrawFn) -> Traffic:
    return Traffic.model_validate(
        {
            "month": draw(st.sampled_from(MONTHS)),
            "currency": draw(st.sampled_from(("USD", "USD", "INR"))),
            "time_zone": draw(st.sampled_from(("UTC", "Asia/Kolkata", "America/Sao_Paulo"))),
            "markets": draw(st.lists(rows(), min_size=1, max_size=3)),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(months())
def test_the_closed_form_is_the_engines_figure(traffic: Traffic) -> None:
    closed = estimate(traffic, BOOK)
    assert closed == estimate_by_timeline(traffic, BOOK)
    for line in closed.lines:
        blocked = line.row == "US" and line.category == "marketing" and traffic.month >= "2025-04"
        assert (line.undelivered, line.rule) == (
            (line.messages, "us.marketing_blocked") if blocked else (0, None)
        )
        assert not blocked or (line.charged, line.amount) == (0, 0)


def test_the_timeline_names_us_and_canadian_customers_by_number() -> None:
    """+1 is shared: the reference path names a US number (212) and a Canadian one (416), so
    the engine tells them apart as Meta does, by area code."""
    traffic = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [{"country": "US", "marketing": 1}, {"country": "CA", "marketing": 1}],
        }
    )
    customers = [event.customer for event in month_of(traffic, meta_markets())]
    assert [customer[:5] for customer in customers] == ["+1212", "+1416"]
    assert [country_of(customer) for customer in customers] == ["US", "CA"]
    us, canada = estimate_by_timeline(traffic).lines
    assert (us.undelivered, us.amount, canada.undelivered) == (1, 0, 0)
    assert canada.amount > 0


def test_the_scaled_tiers_start_where_the_property_draws() -> None:
    """The property's tiers start at the shipped starts over 10,000: Rest of Africa's USD
    utility tiers of 100,001, 1,000,001 and 4,500,001 messages among them."""
    assert {1, 11, 101, 451} <= set(STARTS)
    assert {11, 101, 451} <= set(BOUNDARIES)
