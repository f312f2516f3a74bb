"""Markets: the country of a number, and the market of a country on a day."""

from datetime import date

import pytest

from whatsapp_pricing.markets import country_of, is_phone_number, meta_markets

DAY = date(2024, 10, 1)


@pytest.mark.parametrize(
    ("number", "country", "market"),
    [
        ("+14155552671", "US", "North America"),
        ("+16135550123", "CA", "North America"),
        ("+18095551234", "DO", "Rest of Latin America"),
        ("+18765551234", "JM", "Rest of Latin America"),
        ("+17875551234", "PR", "Rest of Latin America"),
        ("+12425551234", "BS", "Other"),
        ("+79161234567", "RU", "Russia"),
        ("+77011234567", "KZ", "Other"),
        ("+971501234567", "AE", "United Arab Emirates"),
        ("+5511987654321", "BR", "Brazil"),
        ("+254712345678", "KE", "Rest of Africa"),
        ("+263771234567", "ZW", "Other"),
    ],
)
def test_market_of_a_number(number: str, country: str, market: str) -> None:
    assert country_of(number) == country
    assert meta_markets().market_of(number, DAY) == market


def test_zimbabwe_moves_to_rest_of_africa_in_october_2025() -> None:
    markets = meta_markets()
    assert markets.market_of("+263771234567", date(2025, 9, 30)) == "Other"
    assert markets.market_of("+263771234567", date(2025, 10, 1)) == "Rest of Africa"


def test_a_non_geographic_number_is_other() -> None:
    assert country_of("+882123456789") is None
    assert meta_markets().market_of("+882123456789", DAY) == "Other"


def test_the_countries_of_a_market() -> None:
    assert meta_markets().countries("North America", DAY) == ["Canada", "United States"]


@pytest.mark.parametrize("number", ["+999812345678", "+1", "+abc"])
def test_impossible_numbers(number: str) -> None:
    assert not is_phone_number(number)
