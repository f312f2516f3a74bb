"""Rate cards: the shipped data files and Meta's CSV as downloaded."""

import csv
from datetime import date
from decimal import Decimal
from importlib.resources import files

import pytest

from whatsapp_pricing.rate_cards import (
    HEADER,
    Column,
    Missing,
    Pricing,
    RateBook,
    RateCardError,
    parse_rate_card,
    parse_volume_tiers,
    shipped_rate_book,
)
from whatsapp_pricing.vocabulary import VOCABULARY

META_CSV = """\
Cost per conversation in USD, effective June 1, 2023
Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service
Indonesia,$US,0.0411,0.0200,0.0300,0.1360,0.0190
Malaysia,$US,0.0860,0.0200,0.0180,n/a,0.0220
Other,$US,0.0604,,0.0304,n/a,0.0145
"""


def test_meta_csv_as_downloaded() -> None:
    card = parse_rate_card(META_CSV, source="downloaded from Meta")
    assert (card.currency, card.effective, card.pricing) == (
        "USD",
        date(2023, 6, 1),
        Pricing.PER_CONVERSATION,
    )
    day = date(2023, 7, 1)
    assert card.rate("Indonesia", Column.AUTHENTICATION_INTERNATIONAL, day) == Decimal("0.1360")
    assert card.rate("Malaysia", Column.AUTHENTICATION_INTERNATIONAL, day) is Missing.NOT_APPLICABLE
    assert card.rate("Other", Column.UTILITY, day) is Missing.UNKNOWN
    assert card.rate("Brazil", Column.MARKETING, day) is Missing.UNKNOWN


def test_a_per_message_card_with_a_byte_order_mark() -> None:
    text = "\ufeffCost per message in INR, effective October 1, 2025\n" + META_CSV.split("\n", 1)[
        1
    ].replace("$US", "INR")
    card = parse_rate_card(text)
    assert (card.currency, card.pricing) == ("INR", Pricing.PER_MESSAGE)


def test_a_card_that_does_not_say_when_it_starts_needs_a_date() -> None:
    headless = META_CSV.split("\n", 1)[1]
    with pytest.raises(RateCardError, match="effective"):
        parse_rate_card(headless)
    assert parse_rate_card(headless, effective=date(2024, 1, 1)).effective == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("Indonesia,$US,0.0411,0.0200,0.0300,0.1360", "line 3: expected 7 cells"),
        ("Indonesia,$US,cheap,0.0200,0.0300,0.1360,0.0190", "line 3: 'cheap' is not a rate"),
        ("Indonesia,$US,-1,0.0200,0.0300,0.1360,0.0190", "line 3: '-1' is not a rate"),
        ("Indonesia,EUR,0.0411,0.0200,0.0300,0.1360,0.0190", "line 3: currency 'EUR' differs"),
    ],
)
def test_a_bad_row_is_reported_with_its_line(broken: str, message: str) -> None:
    lines = META_CSV.splitlines()
    lines[2] = broken
    with pytest.raises(RateCardError, match=message):
        parse_rate_card("\n".join(lines))


def test_a_file_without_the_header_is_refused() -> None:
    with pytest.raises(RateCardError, match="no header"):
        parse_rate_card("Country,Price\nIndia,0.01\n")


def test_every_shipped_card_says_what_it_is_and_where_it_comes_from() -> None:
    cards = shipped_rate_book().cards
    assert {card.effective for card in cards} >= {date(2023, 6, 1), date(2024, 10, 1)}
    for card in cards:
        assert card.source, card.title
        assert card.confidence, card.title
        assert card.until is None or card.until >= card.effective


def test_the_book_picks_the_card_in_force_and_none_in_a_gap() -> None:
    book = shipped_rate_book()
    assert book.card_for("USD", date(2024, 10, 31)).effective == date(2024, 10, 1)
    assert book.card_for("USD", date(2024, 11, 1)).effective == date(2024, 11, 1)
    assert book.card_for("USD", date(2024, 8, 1)) is None
    assert book.card_for("USD", date(2023, 5, 31)) is None
    assert book.card_for("GBP", date(2024, 10, 1)) is None


def test_a_card_brought_by_the_user_replaces_the_shipped_one_of_that_day() -> None:
    mine = parse_rate_card(META_CSV.replace("0.0604", "0.0700"))
    book = shipped_rate_book().with_cards([mine])
    assert book.rate("USD", "Other", Column.MARKETING, date(2023, 6, 2)) == Decimal("0.0700")
    assert isinstance(book, RateBook)


def test_columns_are_read_by_name_in_any_order() -> None:
    lines = META_CSV.splitlines()
    table = [line.split(",") for line in lines[1:]]
    order = [0, 1, 6, 3, 2, 5, 4]  # Service first, Marketing last
    moved = "\n".join([lines[0], *(",".join(row[i] for i in order) for row in table)])
    assert parse_rate_card(moved).rates == parse_rate_card(META_CSV).rates


def test_a_column_the_card_lacks_is_unknown_on_it() -> None:
    """Meta's cards before June 2024 had no Authentication-International column in some
    currencies; a card may lack any rate column, and its rates are then never guessed."""
    lines = [",".join(line.split(",")[:5] + line.split(",")[6:]) for line in META_CSV.splitlines()]
    card = parse_rate_card("\n".join(lines))
    day = date(2023, 7, 1)
    assert card.rate("Indonesia", Column.AUTHENTICATION_INTERNATIONAL, day) is Missing.UNKNOWN
    assert card.rate("Indonesia", Column.SERVICE, day) == Decimal("0.0190")
    assert card.ignored == ()


def test_an_unknown_column_is_set_aside_and_named() -> None:
    """The October 2026 download adds a Meta Business Agent column: the card still reads, and
    says which column it set aside."""
    lines = META_CSV.splitlines()
    lines[1] += ",Meta Business Agent"
    lines[2:] = [line + ",0.0100" for line in lines[2:]]
    card = parse_rate_card("\n".join(lines))
    assert card.ignored == ("Meta Business Agent",)
    assert card.rates == parse_rate_card(META_CSV).rates


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Market,Marketing,Utility", "needs the columns Market, Currency"),
        ("Market,Currency,Marketing,Marketing", "'Marketing' appears twice"),
    ],
)
def test_a_header_without_its_key_columns_is_refused(header: str, message: str) -> None:
    text = f"Cost per message in USD, effective July 1, 2025\n{header}\nIndia,USD,0.01,0.02\n"
    with pytest.raises(RateCardError, match=message):
        parse_rate_card(text)


def test_every_shipped_card_reads_each_cell_under_its_header() -> None:
    """Every shipped card (the 14 of 2026-11 and those added since): every cell is the rate of
    the column its header names."""
    folder = files("whatsapp_pricing") / "data" / "rate_cards"
    paths = [path for path in folder.iterdir() if path.name.endswith(".csv")]
    assert len(paths) >= 14
    for path in paths:
        text = path.read_text(encoding="utf-8")
        card = parse_rate_card(text)
        rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
        header, body = rows[0], [row for row in rows[1:] if any(row)]
        assert header == list(HEADER), path.name
        assert card.ignored == (), path.name
        for row in body:
            for column, cell in zip(header[2:], row[2:], strict=True):
                rate = card.rates[row[0]][column]
                expected = {"": Missing.UNKNOWN, "n/a": Missing.NOT_APPLICABLE}.get(cell)
                assert rate == (expected or Decimal(cell)), (path.name, row[0], column)


def test_volume_tiers_of_a_rate_without_tiers_are_refused() -> None:
    """A tier row the engine would never apply is an error, not a silent row."""
    rows = "Currency,Market,Category,Effective,Until,From message,Discount\n"
    with pytest.raises(RateCardError, match="row 2: 'Marketing' is no rate column with volume"):
        parse_volume_tiers(rows + "USD,India,Marketing,2026-10-01,,1,0\n")
    assert "Marketing" not in VOCABULARY.tiered_columns


def test_every_column_of_the_shipped_tiers_is_one_the_engine_tiers() -> None:
    text = (files("whatsapp_pricing") / "data" / "volume_tiers.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    assert {row["Category"] for row in rows} == set(VOCABULARY.tiered_columns)
