"""Every shipped card against the facts Meta states, and against its own file and the other
currencies' cards: a card added, edited or mislabelled later fails here."""

from __future__ import annotations

import csv
import io
import itertools
import statistics
from datetime import date
from decimal import Decimal
from importlib.resources import files
from importlib.resources.abc import Traversable

import pytest

from whatsapp_pricing import RateBook, Timeline, parse_rate_card, simulate
from whatsapp_pricing.card_provenance import Mark, parse_provenance, shipped_provenance
from whatsapp_pricing.data_files import without_comments
from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.rate_cards import (
    Column,
    Missing,
    Pricing,
    RateCard,
    VolumeTiers,
    shipped_rate_book,
    shipped_volume_tiers,
)
from whatsapp_pricing.records import Charge, Counted, Rule, Tier
from whatsapp_pricing.vocabulary import VOCABULARY

FOLDER = files("whatsapp_pricing") / "data" / "rate_cards"
FILES = sorted((path for path in FOLDER.iterdir() if path.name.endswith(".csv")), key=str)
SERVICE_CHARGED = date(2026, 10, 1)
"""From this day Meta charges a service message at the market's utility rate."""
BOOK = shipped_rate_book()
HALF_UNIT = Decimal("0.00005")
"""Half the last digit of a USD rate (four decimals): the rounding every conversion carries."""


def card_of(path: Traversable) -> RateCard:
    return parse_rate_card(path.read_text(encoding="utf-8"))


def rows_of(path: Traversable) -> list[list[str]]:
    table = list(csv.reader(io.StringIO(without_comments(path.read_text(encoding="utf-8")))))
    return [row for row in table[1:] if row]


def name(path: Traversable) -> str:
    return path.name


@pytest.mark.parametrize("path", FILES, ids=name)
def test_each_market_appears_once(path: Traversable) -> None:
    markets = [row[0] for row in rows_of(path)]
    assert len(markets) == len(set(markets)), sorted(m for m in markets if markets.count(m) > 1)


@pytest.mark.parametrize("path", FILES, ids=name)
def test_the_file_name_says_the_cards_currency_pricing_and_first_day(path: Traversable) -> None:
    card = card_of(path)
    currency, pricing, day = path.name.removesuffix(".csv").split("-", 2)
    assert card.currency == currency.upper()
    assert {row[1] for row in rows_of(path)} == {card.currency}
    assert card.pricing is {"cbp": Pricing.PER_CONVERSATION, "pmp": Pricing.PER_MESSAGE}[pricing]
    assert card.effective == date.fromisoformat(day)


@pytest.mark.parametrize("path", FILES, ids=name)
def test_service_costs_the_utility_rate_from_october_2026(path: Traversable) -> None:
    card = card_of(path)
    if card.until is not None and card.until < SERVICE_CHARGED:
        return
    day = max(card.effective, SERVICE_CHARGED)
    for market in card.rates:
        service = card.rate(market, Column.SERVICE, day)
        utility = card.rate(market, Column.UTILITY, day)
        assert service == utility or Missing.UNKNOWN in (service, utility), market
        assert service is not Missing.NOT_APPLICABLE, market


@pytest.mark.parametrize("path", FILES, ids=name)
def test_a_card_covers_every_market_of_its_days_or_says_which_it_lacks_and_why(
    path: Traversable,
) -> None:
    card = card_of(path)
    provenance = shipped_provenance()[path.name]
    days = [card.effective, *([card.until] if card.until else [])]
    markets = {OTHER}.union(*(meta_markets().markets(day) for day in days))
    assert set(card.rates) <= markets, "a market Meta did not have on the card's days"
    assert set(provenance.missing) == markets - set(card.rates)
    assert not provenance.missing or provenance.missing_why


@pytest.mark.parametrize("path", FILES, ids=name)
def test_every_mark_names_a_cell_of_the_card_and_derived_cells_hold(path: Traversable) -> None:
    card = card_of(path)
    provenance = shipped_provenance()[path.name]
    assert provenance.read is not None, "the card does not say when its source was read"
    for note in provenance.notes:
        assert note.market is None or note.market in card.rates, note
        assert note.why
        if note.mark is Mark.DERIVED and note.market and note.column and note.source_column:
            day = max(card.effective, SERVICE_CHARGED)
            derived = card.rate(note.market, note.column, day)
            assert derived == card.rate(note.market, note.source_column, day), note


def test_a_mark_with_no_reason_or_no_source_column_stops_the_reader() -> None:
    from whatsapp_pricing.errors import RateCardError

    header = "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service"
    with pytest.raises(RateCardError, match="which column"):
        parse_provenance(f"# Derived: Egypt Service (a rule)\n{header}\n")
    with pytest.raises(RateCardError, match="Market Column"):
        parse_provenance(f"# Unconfirmed: Egypt Service\n{header}\n")


def cards(currency: str) -> dict[date, RateCard]:
    return {card.effective: card for card in BOOK.cards if card.currency == currency}


def direction(before: Decimal, after: Decimal) -> int:
    return (after > before) - (after < before)


def test_india_moves_the_same_way_in_inr_and_usd_from_card_to_card() -> None:
    inr, usd = cards("INR"), cards("USD")
    days = sorted(day for day in inr if day in usd)
    compared = 0
    for before, after in itertools.pairwise(days):
        for column in Column:
            rates = [
                card.rate("India", column, day)
                for card, day in (
                    (inr[before], before),
                    (inr[after], after),
                    (usd[before], before),
                    (usd[after], after),
                )
            ]
            if all(isinstance(rate, Decimal) for rate in rates):
                inr_before, inr_after, usd_before, usd_after = rates
                assert isinstance(inr_before, Decimal)
                assert isinstance(inr_after, Decimal)
                assert isinstance(usd_before, Decimal)
                assert isinstance(usd_after, Decimal)
                moved = direction(inr_before, inr_after), direction(usd_before, usd_after)
                assert moved[0] == moved[1], (column, before, after, rates)
                compared += 1
    assert compared >= 4, "too few India cells known in both currencies to compare"


CONVERTED = [
    (currency, day)
    for currency in ("INR", "AED", "BRL", "IDR", "EUR")
    for day, card in cards(currency).items()
    if day in cards("USD") and set(card.rates) - {"India"}
]


@pytest.mark.parametrize(("currency", "day"), CONVERTED, ids=lambda value: str(value))
def test_a_card_in_another_currency_is_the_usd_card_at_one_conversion(
    currency: str, day: date
) -> None:
    """Meta converts the USD card at one rate per card (India aside, priced natively in INR):
    a cell off that rate is a transcription error, up to the USD figure's own rounding."""
    card, usd = cards(currency)[day], cards("USD")[day]
    pairs = [
        (rate, dollars)
        for market in card.rates
        if market in usd.rates and not (currency == "INR" and market == "India")
        for column in Column
        if isinstance(rate := card.rate(market, column, day), Decimal)
        and isinstance(dollars := usd.rate(market, column, day), Decimal)
        and dollars > 0
    ]
    assert pairs
    factor = statistics.median(rate / dollars for rate, dollars in pairs)
    for rate, dollars in pairs:
        assert abs(rate / factor - dollars) <= HALF_UNIT + dollars * Decimal("0.004"), (
            rate,
            dollars,
            factor,
        )


TIERS = shipped_volume_tiers()


@pytest.mark.parametrize(
    "tiers", TIERS, ids=lambda t: f"{t.currency}-{t.market}-{t.column}-{t.effective}"
)
def test_volume_tiers_start_at_the_cards_list_rate_and_fall(tiers: VolumeTiers) -> None:
    firsts = [first for first, _ in tiers.tiers]
    assert firsts[0] == 1
    assert firsts == sorted(set(firsts))
    card = BOOK.card_for(tiers.currency, tiers.effective)
    assert card is not None
    assert tiers.market in card.rates
    if tiers.rates:
        assert len(tiers.rates) == len(tiers.tiers)
        assert tiers.rates[0] == card.rate(tiers.market, tiers.column, tiers.effective)
        known = [rate for rate in tiers.rates if rate is not None]
        assert known == sorted(known, reverse=True)


@pytest.mark.parametrize(
    "tiers", TIERS, ids=lambda t: f"{t.currency}-{t.market}-{t.column}-{t.effective}"
)
def test_the_engine_applies_every_shipped_tier(tiers: VolumeTiers) -> None:
    """Each row prices the month's message that opens its tier: no row is shipped unused (an
    international rate's tiers price its messages at their place in the category's count)."""
    (charged,) = [c for c in VOCABULARY.categories if c.column == tiers.column and c.tiered]
    engine = ConversationEngine(Account(time_zone="UTC", currency=tiers.currency), BOOK)
    list_rate = BOOK.rate(tiers.currency, tiers.market, tiers.column, tiers.effective)
    assert isinstance(list_rate, Decimal)
    for first, discount in tiers.tiers:
        counted = Counted(
            Tier.VOLUME, "m", tiers.effective, Rule.PMP_CHARGED, Charge(list_rate, tiers.currency),
            priced="at the list rate", category=charged.template_category or charged.name,
            market=tiers.market, international=charged.rate_of is not None,
        )  # fmt: skip
        charge, _, reason = engine.at_position(counted, first)
        published = tiers.published_rate(first)
        if discount is None:
            assert charge.amount is None, reason
        elif published is not None:
            assert charge.amount == published, reason
        else:
            assert charge.amount == list_rate * (1 - discount), reason


def test_the_engine_charges_metas_published_tier_rate_not_the_discounted_figure() -> None:
    card = parse_rate_card(
        "Cost per message in INR, effective October 1, 2026\n"
        "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service\n"
        "Argentina,INR,4.5293,1.9062,1.9062,n/a,1.9062\n"
    )
    tiers = VolumeTiers(
        "INR",
        "Argentina",
        Column.UTILITY,
        date(2026, 10, 1),
        None,
        ((1, Decimal(0)), (3, Decimal("0.05"))),
        (Decimal("1.9062"), Decimal("1.8109")),
    )
    events = [
        {
            "type": "template",
            "id": f"u{n}",
            "at": f"2026-11-0{n}T10:00:00Z",
            "customer": "+5491112345678",
            "category": "utility",
        }
        for n in range(1, 5)
    ]
    timeline = Timeline.model_validate(
        {"account": {"time_zone": "UTC", "currency": "INR"}, "events": events}
    )
    charged = [m.charge.amount for m in simulate(timeline, RateBook([card], [tiers])).messages]
    assert charged == [Decimal("1.9062"), Decimal("1.9062"), Decimal("1.8109"), Decimal("1.8109")]


def test_the_shipped_inr_card_prices_an_indian_account_in_every_market_today() -> None:
    card = BOOK.card_for("INR", SERVICE_CHARGED)
    assert card is not None
    assert card.effective == SERVICE_CHARGED
    for market in {*meta_markets().markets(SERVICE_CHARGED), OTHER}:
        for column in (Column.MARKETING, Column.UTILITY, Column.SERVICE):
            assert isinstance(card.rate(market, column, SERVICE_CHARGED), Decimal), market
