"""Adding a category for a new period is one row in a vocabulary: nothing else is edited.

A made-up category, ``promotion`` (a template category with a rate column of its own, volume
tiers, and a second webhook spelling), arrives with a made-up period from 2027-01-01, in a
vocabulary that exists only in this test. Read with it, a rate card has the new column, and the
engine, the estimator, reconcile's comparison and the site's rate tables all price and show the
category, while the package's own vocabulary still knows nothing of it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files

import pytest

from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import ConversationEngine, Event, Kind
from whatsapp_pricing.estimate import estimate, traffic_model
from whatsapp_pricing.estimate_timeline import estimate_by_timeline
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.periods import PERIODS, Period
from whatsapp_pricing.rate_cards import (
    RateBook,
    parse_rate_card,
    parse_volume_tiers,
    shipped_rate_book,
    shipped_volume_tiers,
)
from whatsapp_pricing.reconcile import Finding, reconcile
from whatsapp_pricing.site.rate_files import today_rates
from whatsapp_pricing.site.rate_tables import card_table
from whatsapp_pricing.vocabulary import TEMPLATE, VOCABULARY, Category
from whatsapp_pricing.webhooks import read_log

PROMOTION = Category(
    "promotion",
    column="Promotion",
    template=True,
    conversation=False,
    covers=TEMPLATE,
    webhook=("promotion", "promotion_lite"),
    analytics=("PROMOTION",),
    tiered=True,
    sent_by="the business, as an approved template, at any time",
    shown="Promotion template",
    estimated="promotion templates, each to a customer with no window open",
)
PROMOTIONS_PERIOD = Period(
    id="pmp-2027-01",
    name="per-message pricing with promotion templates",
    starts=date(2027, 1, 1),
    per_message=True,
    service_messages_charged=True,
    agent_messages_charged=True,
    reported_free_service_messages=1000,
)
TEST_VOCABULARY = VOCABULARY.with_categories(PROMOTION).with_periods((*PERIODS, PROMOTIONS_PERIOD))
INDIA = "+919812345678"
LIST_RATE = Decimal("0.0050")


def card_with_promotions() -> str:
    """The shipped USD card of 2026-10-01 as Meta might reissue it: a Promotion column, whose
    cells apply from the new period on."""
    shipped = files("whatsapp_pricing") / "data" / "rate_cards" / "usd-pmp-2026-10-01.csv"
    lines = shipped.read_text(encoding="utf-8").splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("Market,"))
    markets = [line.split(",")[0] for line in lines[header + 1 :] if line]
    return "\n".join(
        [
            *lines[:header],
            *(f"# Not before: {market} Promotion 2027-01-01 (made up)" for market in markets),
            lines[header] + ",Promotion",
            *(f"{line},{LIST_RATE}" for line in lines[header + 1 :] if line),
        ]
    )


TIERS = """Currency,Market,Category,Effective,Until,From message,Discount
USD,India,Promotion,2027-01-01,,1,0
USD,India,Promotion,2027-01-01,,3,0.5
"""


@pytest.fixture(scope="module")
def book() -> RateBook:
    card = parse_rate_card(card_with_promotions(), vocabulary=TEST_VOCABULARY)
    shipped = shipped_rate_book(TEST_VOCABULARY).with_cards([card])
    tiers = [*shipped_volume_tiers(), *parse_volume_tiers(TIERS, TEST_VOCABULARY)]
    return RateBook(shipped.cards, tiers, vocabulary=TEST_VOCABULARY)


def at(day: str) -> float:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00").timestamp()


def test_the_card_reader_reads_the_new_column_and_the_package_sets_it_aside() -> None:
    text = card_with_promotions()
    card = parse_rate_card(text, vocabulary=TEST_VOCABULARY)
    assert card.rate("India", "Promotion", date(2027, 1, 4)) == LIST_RATE
    assert card.ignored == ()
    assert parse_rate_card(text).ignored == ("Promotion",)


def test_the_engine_prices_the_category_in_its_period_with_its_tiers(book: RateBook) -> None:
    engine = ConversationEngine(Account(time_zone="UTC"), book)
    before = engine.process(Event(at("2026-12-07"), 0, Kind.TEMPLATE, INDIA, "p0", "promotion"))
    records = [
        engine.process(Event(at("2027-01-04"), n, Kind.TEMPLATE, INDIA, f"p{n}", "promotion"))
        for n in (1, 2, 3)
    ]
    assert before is not None
    assert before.charge.amount is None
    assert [record.period for record in records if record] == ["pmp-2027-01"] * 3
    assert [record.charge.amount for record in records if record] == [
        LIST_RATE,
        LIST_RATE,
        LIST_RATE / 2,
    ]
    assert records[0] is not None
    assert records[0].webhook is not None
    assert (records[0].webhook.category, records[0].webhook.type) == ("promotion", "regular")


def test_the_estimator_asks_for_the_category_and_prices_it(book: RateBook) -> None:
    model = traffic_model(TEST_VOCABULARY)
    traffic = model(month="2027-01", markets=[{"market": "India", "promotion": 3}])
    [line] = estimate(traffic, book).lines
    assert (line.category, line.messages, line.amount) == ("promotion", 3, LIST_RATE * 5 / 2)
    assert estimate_by_timeline(traffic, book) == estimate(traffic, book)
    assert "promotion" in model.row.model_fields
    assert "promotion" not in traffic_model(VOCABULARY).row.model_fields


def status_line(category: str) -> str:
    status = {
        "id": "wamid.promo1",
        "status": "delivered",
        "timestamp": str(int(at("2027-01-04"))),
        "recipient_id": INDIA.removeprefix("+"),
        "pricing": {
            "billable": True,
            "pricing_model": "PMP",
            "category": category,
            "type": "regular",
        },
    }
    value = {"messaging_product": "whatsapp", "statuses": [status]}
    change = {"field": "messages", "value": value}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    )


def findings(book: RateBook | None, category: str) -> list[Finding]:
    now = datetime(2027, 2, 1, tzinfo=UTC).timestamp()
    log = read_log(status_line(category))
    return list(reconcile(log, Account(time_zone="UTC"), book, now=now).findings)


def test_reconcile_compares_the_category_in_either_spelling(book: RateBook) -> None:
    for spelling in PROMOTION.webhook:
        [finding] = findings(book, spelling)
        assert (finding.outcome, finding.predicted["category"]) == ("agrees", "promotion")
    [unknown] = findings(None, "promotion_lite")
    assert (unknown.outcome, unknown.detail) == (
        "unknown",
        "pricing category 'promotion_lite' is not one the rules know",
    )


def test_the_sites_tables_show_the_column(book: RateBook) -> None:
    card = book.card_for("USD", date(2027, 1, 4))
    assert card is not None
    table = card_table(book, card, date(2027, 1, 4))
    assert '<th scope="col">Promotion</th>' in table
    assert '<td data-label="Promotion">0.0050</td>' in table
    assert "<strong>Volume tiers</strong>, India promotion:" in table
    picker = today_rates(book, meta_markets(), date(2027, 1, 4))
    assert picker["columns"][-1] == "Promotion"
    assert picker["column_names"]["Promotion"] == "Promotion template"
    [usd] = [record for record in picker["cards"] if record["currency"] == "USD"]
    assert usd["rates"]["India"]["Promotion"] == "0.0050"
    assert usd["tiers"]["India"]["Promotion"][1] == {"from": 3, "rate": "0.00250"}
