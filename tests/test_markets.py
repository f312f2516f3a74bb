"""Markets: the country of a number, and the market of a country on a day."""

from datetime import date

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatsapp_pricing import markets
from whatsapp_pricing.markets import country_of, e164, is_customer_id, meta_markets, readings

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
        ("+77011234567", "KZ", "Russia or Other"),  # Meta's table: +7 is Russia's
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
    assert not is_customer_id(number)


@pytest.mark.parametrize(
    ("customer", "country", "market"),
    [
        ("+5215512345678", "MX", "Mexico"),  # a Mexican mobile in the old national form
        ("+525512345678", "MX", "Mexico"),  # the same mobile in today's E.164 form
        ("+5491112345678", "AR", "Argentina"),  # an Argentine mobile with the 9
        ("+551187654321", "BR", "Brazil"),  # a Brazilian mobile without the ninth digit
        ("BR.1502576394655843", "BR", "Brazil"),  # a business-scoped user id
        ("US.ENT.1181579921288684483", "US", "North America"),  # a parent id
        ("IN.abc123", "IN", "India"),
    ],
)
def test_customers_as_meta_names_them(customer: str, country: str, market: str) -> None:
    assert is_customer_id(customer)
    assert country_of(customer) == country
    assert meta_markets().market_of(customer, DAY) == market


@pytest.mark.parametrize(
    "customer", ["+52155123456789", "XX.1502576394655843", "BR.", "br.123", "+0123456789"]
)
def test_ids_no_one_could_have_are_not_customers(customer: str) -> None:
    assert not is_customer_id(customer)


@pytest.mark.parametrize(
    ("customer", "in_e164"),
    [
        ("+5215512345678", "+525512345678"),  # Mexico's old mobile form
        ("+551187654321", "+5511987654321"),  # a Brazilian mobile without the ninth digit
        ("+551132654321", "+551132654321"),  # a Brazilian fixed line: no ninth digit to add
        ("+5511987654321", "+5511987654321"),
        ("+5491112345678", "+5491112345678"),  # Argentina's 9 is already E.164
        ("+52155123456789", "+52155123456789"),  # too long to be the old Mexican form
        ("BR.1502576394655843", "BR.1502576394655843"),
    ],
)
def test_ids_in_national_forms_in_e164(customer: str, in_e164: str) -> None:
    assert e164(customer) == in_e164


def test_a_kazakh_number_names_both_readings_until_kazakhstan_is_listed() -> None:
    """Meta's table gives +7 to Russia and did not list Kazakhstan before it got rates of its
    own: the day before, the market names both readings; from that day, Kazakhstan alone."""
    markets = meta_markets()
    before, first = date(2026, 9, 30), date(2026, 10, 1)
    assert markets.market_of("+77011234567", before) == "Russia or Other"
    assert readings(markets.market_of("+77011234567", before)) == ("Russia", "Other")
    assert markets.market_of("+77011234567", first) == "Kazakhstan"
    assert markets.market_of("+79161234567", before) == "Russia"
    assert readings("Russia") == ("Russia",)


@settings(max_examples=400)
@given(
    st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
    st.one_of(
        st.text("0123456789", min_size=1, max_size=17),
        st.integers(1, 16).map(lambda zeros: "0" * zeros),  # int() leaves one zero of these
    ),
)
def test_a_number_is_told_as_phonenumbers_tells_it_parsed(calling_code: int, national: str) -> None:
    """The shortcut for a calling code of one country (only the length is checked) says what
    parsing the number and asking ``phonenumbers`` says, leading zeros and all."""
    number = f"+{calling_code}{national}"
    split = markets._split_e164(number)
    assert split is not None
    expected = markets._facts_of(markets._phone_number(*split))
    markets._FACTS.clear()
    if markets.e164(number) == number:  # an older national form is another number
        assert markets._customer_facts(number) == expected
