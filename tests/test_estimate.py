"""The estimator writes a month the way its page says, and the engine's rules price it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from whatsapp_pricing.estimate import MOST_MESSAGES, Traffic, estimate, month_of
from whatsapp_pricing.rate_cards import Column, shipped_rate_book


def line(traffic: Traffic, category: str):  # type: ignore[no-untyped-def]
    return next(cost for cost in estimate(traffic).categories if cost.category == category)


def rate(market: str, column: Column, day: date) -> Decimal:
    found = shipped_rate_book().rate("USD", market, column, day)
    assert isinstance(found, Decimal)
    return found


def test_the_first_volume_tier_lowers_the_rate_from_message_100001() -> None:
    traffic = Traffic(market="Rest of Africa", month="2026-11", utility=100_002)
    list_rate = rate("Rest of Africa", Column.UTILITY, date(2026, 11, 1))
    tiered = list_rate * Decimal("0.95")
    assert line(traffic, "utility").amount == 100_000 * list_rate + 2 * tiered


def test_each_template_is_charged_as_it_goes_to_a_customer_with_no_window_open() -> None:
    traffic = Traffic(market="India", month="2026-11", utility=30, customers_writing_first=5)
    cost = line(traffic, "utility")
    assert cost.charged == cost.messages == 30
    assert cost.amount == 30 * rate("India", Column.UTILITY, date(2026, 11, 1))


def test_replies_to_customers_from_an_ad_are_free() -> None:
    traffic = Traffic(
        market="India", month="2026-11", service=40, customers_writing_first=10, via_ads=4
    )
    cost = line(traffic, "service")
    assert (cost.messages, cost.charged) == (40, 24)
    assert cost.amount == 24 * rate("India", Column.SERVICE, date(2026, 11, 1))


def test_service_conversations_beyond_the_free_thousand_are_charged_in_2024() -> None:
    traffic = Traffic(market="India", month="2024-03", service=2400, customers_writing_first=1200)
    cost = line(traffic, "service")
    assert cost.charged == 200
    assert cost.amount == 200 * rate("India", Column.SERVICE, date(2024, 3, 1))
    assert estimate(traffic).periods == ("cbp-2023-06",)


def test_a_year_earlier_is_the_same_traffic_twelve_months_before() -> None:
    traffic = Traffic(market="India", month="2026-01", marketing=3)
    earlier = traffic.a_year_earlier()
    assert (earlier.month, earlier.marketing) == ("2025-01", 3)
    assert estimate(earlier).periods == ("cbp-2024-11",)


def test_the_month_is_written_inside_its_own_days_in_the_account_time_zone() -> None:
    traffic = Traffic(
        market="India",
        month="2026-02",
        time_zone="Asia/Kolkata",
        marketing=90,
        service=200,
        customers_writing_first=31,
    )
    events = month_of(traffic, "IN")
    assert len(events) == 90 + 200 + 31
    days = {event.at.astimezone(event.at.tzinfo).date() for event in events}
    assert min(days) == date(2026, 2, 1)
    assert max(days) <= date(2026, 3, 1)
    assert all(event.customer.startswith("IN.") for event in events)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"service": 1}, "at least one customer who writes first"),
        ({"customers_writing_first": 2, "via_ads": 3}, "cannot be more of them"),
        ({"marketing": MOST_MESSAGES, "utility": 1}, f"at most {MOST_MESSAGES:,}"),
        ({"month": "2026-13"}, "month"),
        ({"marketing": -1}, "marketing"),
    ],
)
def test_traffic_that_cannot_be_written_is_refused(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Traffic.model_validate({"market": "India", "month": "2026-11", **fields})


def test_an_unknown_market_names_the_markets_there_are() -> None:
    with pytest.raises(ValueError, match="Rest of Africa"):
        estimate(Traffic(market="Atlantis", month="2026-11", marketing=1))
