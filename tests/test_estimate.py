"""The estimator prices a month the way its page says, and the engine's rules agree with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from whatsapp_pricing.errors import PricingError
from whatsapp_pricing.estimate import Line, Traffic, estimate
from whatsapp_pricing.estimate_timeline import estimate_by_timeline, month_of
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.providers import PROVIDER_PROFILES, ProviderFees
from whatsapp_pricing.rate_cards import Column, shipped_rate_book


def one_market(month: str, **fields: object) -> Traffic:
    """A month of traffic to one market (``market`` and the counts in ``fields``)."""
    return Traffic.model_validate({"month": month, "markets": [fields]})


def line(traffic: Traffic, category: str) -> Line:
    return next(cost for cost in estimate(traffic).lines if cost.category == category)


def rate(market: str, column: Column, day: date, currency: str = "USD") -> Decimal:
    found = shipped_rate_book().rate(currency, market, column, day)
    assert isinstance(found, Decimal)
    return found


def test_the_first_volume_tier_lowers_the_rate_from_message_100001() -> None:
    traffic = one_market("2026-11", market="Rest of Africa", utility=100_002)
    list_rate = rate("Rest of Africa", Column.UTILITY, date(2026, 11, 1))
    tiered = list_rate * Decimal("0.95")
    assert line(traffic, "utility").amount == 100_000 * list_rate + 2 * tiered


def test_at_the_real_tier_boundary_the_engines_timeline_agrees() -> None:
    """Message 100,001 of a market and category is the first of the 5% tier: the engine,
    priced message by message, gives the closed form's figure (the slowest test here)."""
    traffic = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [
                {"market": "Rest of Africa", "utility": 60_000},
                {"market": "Rest of Africa", "utility": 40_001},
            ],
        }
    )
    list_rate = rate("Rest of Africa", Column.UTILITY, date(2026, 11, 1))
    closed = estimate(traffic)
    assert closed.lines[1].amount == 39_999 * list_rate + list_rate * Decimal("0.95") + list_rate
    assert closed == estimate_by_timeline(traffic)


def test_volume_tiers_pool_a_market_across_rows_and_reach_every_tier_at_ten_million() -> None:
    ten_million = one_market("2026-11", market="Rest of Africa", utility=10_000_000)
    list_rate = rate("Rest of Africa", Column.UTILITY, date(2026, 11, 1))
    expected = list_rate * (
        100_000
        + 900_000 * Decimal("0.95")
        + 3_500_000 * Decimal("0.90")
        + 5_500_000 * Decimal("0.85")
    )
    assert line(ten_million, "utility").amount == expected
    split = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [
                {"market": "Rest of Africa", "utility": 4_000_000},
                {"market": "India", "utility": 10},
                {"market": "Rest of Africa", "utility": 6_000_000},
            ],
        }
    )
    africa = [cost.amount for cost in estimate(split).lines if cost.market == "Rest of Africa"]
    assert sum(africa) == expected


def test_each_template_is_charged_as_it_goes_to_a_customer_with_no_window_open() -> None:
    traffic = one_market("2026-11", market="India", utility=30, customers_writing_first=5)
    cost = line(traffic, "utility")
    assert cost.charged == cost.messages == 30
    assert cost.amount == 30 * rate("India", Column.UTILITY, date(2026, 11, 1))


def test_replies_to_customers_from_an_ad_are_free() -> None:
    traffic = one_market(
        "2026-11", market="India", service=40, customers_writing_first=10, via_ads=4
    )
    cost = line(traffic, "service")
    assert (cost.messages, cost.charged) == (40, 24)
    assert cost.amount == 24 * rate("India", Column.SERVICE, date(2026, 11, 1))


def test_service_conversations_beyond_the_free_thousand_are_charged_in_2024() -> None:
    traffic = one_market("2024-03", market="India", service=2400, customers_writing_first=1200)
    cost = line(traffic, "service")
    assert cost.charged == 200
    assert cost.amount == 200 * rate("India", Column.SERVICE, date(2024, 3, 1))
    assert estimate(traffic).periods == ("cbp-2023-06",)


def test_the_free_thousand_goes_to_the_tables_rows_in_order() -> None:
    traffic = Traffic.model_validate(
        {
            "month": "2024-03",
            "markets": [
                {"market": "India", "service": 600, "customers_writing_first": 600},
                {"market": "Indonesia", "service": 600, "customers_writing_first": 600},
            ],
        }
    )
    india, indonesia = estimate(traffic).lines
    assert (india.charged, indonesia.charged) == (0, 200)
    assert indonesia.amount == 200 * rate("Indonesia", Column.SERVICE, date(2024, 3, 1))


def test_a_year_earlier_is_the_same_traffic_twelve_months_before() -> None:
    traffic = one_market("2026-01", market="India", marketing=3)
    earlier = traffic.a_year_earlier()
    assert (earlier.month, earlier.markets) == ("2025-01", traffic.markets)
    assert estimate(earlier).periods == ("cbp-2024-11",)


def test_the_billing_currency_picks_its_own_rate_card() -> None:
    traffic = Traffic.model_validate(
        {"month": "2026-11", "currency": "INR", "markets": [{"market": "India", "utility": 9}]}
    )
    cost = estimate(traffic)
    assert cost.currency == "INR"
    assert cost.total == 9 * rate("India", Column.UTILITY, date(2026, 11, 1), "INR")


def test_the_timeline_is_written_in_the_tables_order_within_the_first_day() -> None:
    traffic = Traffic.model_validate(
        {
            "month": "2026-02",
            "time_zone": "Asia/Kolkata",
            "markets": [
                {"market": "India", "marketing": 90, "service": 200, "customers_writing_first": 31},
                {"market": "Brazil", "utility": 5},
            ],
        }
    )
    events = month_of(traffic, meta_markets())
    assert len(events) == 90 + 200 + 31 + 5
    times = [event.at for event in events]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert {time.date() for time in times} == {date(2026, 2, 1)}
    assert [event.customer[:2] for event in events] == ["IN"] * 321 + ["BR"] * 5


def test_a_provider_line_stays_apart_from_metas_charge() -> None:
    twilio = next(profile for profile in PROVIDER_PROFILES if profile.name == "Twilio")
    fields = {"market": "India", "marketing": 1000, "service": 500, "customers_writing_first": 200}
    without = one_market("2026-11", **fields)
    traffic = without.model_copy(update={"provider": twilio, "failed_messages": 40})
    meta, priced = estimate(without), estimate(traffic)
    assert priced.total == meta.total
    assert priced.provider is not None
    sent, received = 1500, 200
    assert priced.provider.messages == (sent + received) * Decimal("0.005")
    assert priced.provider.failed == 40 * Decimal("0.001")
    assert priced.all_in == meta.total + priced.provider.total


def test_a_markup_on_some_categories_and_a_licence_per_number() -> None:
    fees = ProviderFees(
        name="Example", markup_percent=Decimal(6), markup_on=("marketing",), licence_per_number=25
    )
    traffic = Traffic.model_validate(
        {
            "month": "2026-11",
            "numbers": 3,
            "provider": fees.model_dump(),
            "markets": [{"market": "India", "marketing": 100, "utility": 100}],
        }
    )
    priced = estimate(traffic)
    assert priced.provider is not None
    marketing = next(cost for cost in priced.lines if cost.category == "marketing")
    assert priced.provider.markup == marketing.amount * Decimal("0.06")
    assert priced.provider.licences == 75


def test_every_example_profile_names_its_page_and_day() -> None:
    assert {profile.name.split()[0] for profile in PROVIDER_PROFILES} >= {
        "Twilio",
        "360dialog",
        "Gupshup",
    }
    for profile in PROVIDER_PROFILES:
        assert "read 2026-" in profile.source


def test_the_csv_has_a_row_per_market_and_category_and_the_lines_apart() -> None:
    twilio = PROVIDER_PROFILES[0]
    traffic = Traffic.model_validate(
        {
            "month": "2026-11",
            "provider": twilio.model_dump(),
            "markets": [{"market": "India", "marketing": 10}, {"market": "Brazil", "utility": 4}],
        }
    )
    rows = estimate(traffic).to_csv().splitlines()
    assert rows[0] == "Row,Market,Category,Messages,Charged,Unpriced,Amount,Note"
    assert [row.split(",")[:4] for row in rows[1:3]] == [
        ["India", "India", "marketing", "10"],
        ["Brazil", "Brazil", "utility", "4"],
    ]
    assert [row.split(",")[0] for row in rows[3:]] == ["Meta's charge", "Twilio fees", "All in"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            {"markets": [{"market": "India", "service": 1}]},
            "at least one customer who writes first",
        ),
        (
            {"markets": [{"market": "India", "customers_writing_first": 2, "via_ads": 3}]},
            "cannot be more of them",
        ),
        ({"month": "2026-13"}, "month"),
        ({"markets": [{"market": "India", "marketing": -1}]}, "marketing"),
        ({"markets": []}, "markets"),
        ({"currency": "INR", "provider": {"currency": "USD"}}, "give the fees in INR"),
    ],
)
def test_traffic_that_cannot_be_described_is_refused(
    fields: dict[str, object], problem: str
) -> None:
    asked = {"month": "2026-11", "markets": [{"market": "India"}], **fields}
    with pytest.raises(ValidationError, match=problem):
        Traffic.model_validate(asked)


def test_ten_million_messages_need_no_limit() -> None:
    traffic = one_market("2026-11", market="India", marketing=10_000_000)
    assert line(traffic, "marketing").charged == 10_000_000


def test_an_unknown_market_names_the_markets_there_are() -> None:
    with pytest.raises(ValueError, match="Rest of Africa"):
        estimate(one_market("2026-11", market="Atlantis", marketing=1))


def test_an_unknown_country_is_named_with_what_a_row_may_say() -> None:
    traffic = Traffic.model_validate({"month": "2026-11", "markets": [{"country": "Atlantis"}]})
    with pytest.raises(PricingError, match=r"^Row 1 \(Atlantis\): no country or market .*ISO"):
        estimate(traffic)


@pytest.mark.parametrize("name", ["IN", "in", "India", " india "])
def test_a_country_by_code_or_name_is_priced_under_its_market(name: str) -> None:
    by_country = Traffic.model_validate(
        {"month": "2026-11", "markets": [{"country": name, "marketing": 10}]}
    )
    by_market = Traffic.model_validate(
        {"month": "2026-11", "markets": [{"market": "India", "marketing": 10}]}
    )
    (country_line,), (market_line,) = estimate(by_country).lines, estimate(by_market).lines
    assert country_line.market == "India"
    assert country_line.model_copy(update={"row": "India"}) == market_line


def test_countries_of_one_market_pool_its_volume_tiers() -> None:
    """Algeria and Kenya are both Rest of Africa: 60,000 and 60,000 utility templates cross
    the 100,001st message together, as one row of 120,000 would."""
    two = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [{"country": "DZ", "utility": 60_000}, {"country": "KE", "utility": 60_000}],
        }
    )
    one = Traffic.model_validate(
        {"month": "2026-11", "markets": [{"market": "Rest of Africa", "utility": 120_000}]}
    )
    lines = estimate(two).lines
    assert {line.market for line in lines} == {"Rest of Africa"}
    assert estimate(two).total == estimate(one).total
    alone = Traffic.model_validate(
        {"month": "2026-11", "markets": [{"country": "KE", "utility": 60_000}]}
    )
    assert lines[1].amount < lines[0].amount == estimate(alone).total


@pytest.mark.parametrize(
    ("month", "zone", "blocked"),
    [("2025-03", "UTC", False), ("2025-04", "UTC", True), ("2025-04", "Pacific/Kiritimati", True)],
)
def test_marketing_to_us_numbers_is_its_own_line_not_delivered_and_free(
    month: str, zone: str, blocked: bool
) -> None:
    traffic = Traffic.model_validate(
        {
            "month": month,
            "time_zone": zone,
            "markets": [
                {"country": "US", "marketing": 500, "utility": 7},
                {"country": "CA", "marketing": 500},
            ],
        }
    )
    us, us_utility, canada = estimate(traffic).lines
    assert (us.row, us.market, us.category, us.messages) == (
        "US",
        "North America",
        "marketing",
        500,
    )
    assert us.undelivered == (500 if blocked else 0)
    assert us.rule == ("us.marketing_blocked" if blocked else None)
    assert (us.reason is not None and "not deliver" in us.reason) is blocked
    assert us_utility.undelivered == canada.undelivered == 0
    assert estimate(traffic) == estimate_by_timeline(traffic)
    if blocked:
        assert (us.charged, us.amount, us.unpriced) == (0, 0, 0)
        assert "us.marketing_blocked" not in estimate(traffic).to_csv()
        assert "does not deliver this one" in estimate(traffic).to_csv().splitlines()[1]


def test_us_marketing_is_charged_where_delivered_in_a_per_message_month() -> None:
    """In 2026 the US row's marketing is free and Canada's, same market, is charged."""
    traffic = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [
                {"country": "United States", "marketing": 100},
                {"country": "Canada", "marketing": 100},
            ],
        }
    )
    us, canada = estimate(traffic).lines
    assert (us.amount, us.undelivered) == (0, 100)
    assert canada.amount > 0
    assert canada.charged == 100
    assert estimate(traffic).total == canada.amount
