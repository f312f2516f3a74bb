"""The estimator's month written as a timeline and priced by the engine: the reference the
closed form of :mod:`whatsapp_pricing.estimate` is proved equal to.

It writes the assumptions the Try page states as events: each template to a customer of its
own with no window open; each customer who writes first, then their share of the replies. The
events follow the table's order (a row's templates by category, then its customers who write
first, each followed by their replies), one after another within the first 23 hours of the
month: the rules that price a month (its period, its rate cards, its markets) change only on a
month's first day, so the hour of a message changes no price, and every reply then falls inside
its customer's window.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing.domain import (
    Account,
    CustomerMessage,
    EntryPoint,
    Event,
    FreeFormMessage,
    MessageStatus,
    TemplateMessage,
)
from whatsapp_pricing.estimate import (
    Estimate,
    Line,
    MarketTrafficBase,
    Place,
    TrafficBase,
    finish,
    places,
    reply_category,
)
from whatsapp_pricing.markets import MarketTable, meta_markets
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.records import MessageRecord
from whatsapp_pricing.simulation import engine_events, price

UNDELIVERED = MessageStatus.UNDELIVERED.value
SPAN = timedelta(hours=23)
"""Every event of the month falls this soon after the month's first instant."""
NUMBERED = {"US": "+1212", "CA": "+1416"}
"""Countries whose customers are named by number (New York's 212, Toronto's 416), then seven
digits from 2000000: +1 is shared by the US, Canada and others, so only the area code tells the
engine a US number, whose marketing templates are not delivered, from a Canadian one."""


def estimate_by_timeline(
    traffic: TrafficBase,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> Estimate:
    """Prices a month of traffic by writing it as a timeline and running the engine on it."""
    book = rate_book or shipped_rate_book(traffic.vocabulary)
    table = markets or meta_markets()
    account = Account(time_zone=traffic.time_zone, currency=traffic.currency)
    events = month_of(traffic, table)
    pricing = price(account, engine_events(account, enumerate(events)), book, table)
    messages = list(pricing.messages())
    periods = tuple(sorted({message.period for message in messages}))
    return finish(traffic, _lines(traffic, messages), book, periods)


def month_of(traffic: TrafficBase, table: MarketTable) -> list[Event]:
    """The month as events, in the table's order, each a little after the one before."""
    day = traffic.first_day
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(traffic.time_zone))
    written: list[Event] = []
    customers = _Customers()
    for index, (row, place) in enumerate(zip(traffic.markets, places(traffic, table), strict=True)):
        written.extend(_row(traffic, index, row, customers.of(place)))
    step = SPAN / max(len(written), 1)
    return [event.model_copy(update={"at": start + step * n}) for n, event in enumerate(written)]


class _Customers:
    """Names the month's customers, each new: by business-scoped user ids of the country
    (``IN.r0utility17``), which give the market as a number would without inventing anyone's
    number; US and Canadian customers by number (see :data:`NUMBERED`), counted over the month."""

    def __init__(self) -> None:
        self.serial = 0
        self.country = ""

    def of(self, place: Place) -> _Customers:
        self.country = place.country
        return self

    def name(self, index: int, label: str) -> str:
        prefix = NUMBERED.get(self.country)
        if prefix is None:
            return f"{self.country}.r{index}{label}"
        self.serial += 1
        return f"{prefix}{2_000_000 + self.serial}"


def _row(
    traffic: TrafficBase, index: int, row: MarketTrafficBase, customers: _Customers
) -> list[Event]:
    """One row's events, timed later by :func:`month_of`."""
    start = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))
    events: list[Event] = []
    counts = row.counts()
    for category in traffic.vocabulary.template_categories:
        for k in range(counts.get(category, 0)):
            # Built without validation: the category is the traffic's vocabulary's, which may
            # name more than the contract's enum; the engine reads categories by name.
            fields: dict[str, Any] = {
                "category": category,
                "customer": customers.name(index, f"{category.replace('_', '')}{k}"),
            }
            events.append(
                TemplateMessage.model_construct(
                    type="template",
                    id=f"{index}:{category}:{k}",
                    at=start,
                    business_number=None,
                    **fields,
                )
            )
    reply = reply_category(traffic.vocabulary)
    for j in range(row.customers_writing_first):
        customer = customers.name(index, f"writer{j}")
        entry = EntryPoint.CLICK_TO_WHATSAPP_AD if j < row.via_ads else None
        events.append(
            CustomerMessage(type="customer_message", at=start, customer=customer, entry_point=entry)
        )
        for r in range(j, row.replies, row.customers_writing_first):
            events.append(
                FreeFormMessage(
                    type="free_form", id=f"{index}:{reply}:{r}", at=start, customer=customer
                )
            )
    return events


def _lines(traffic: TrafficBase, messages: list[MessageRecord]) -> list[Line]:
    counts: Counter[tuple[str, str, str]] = Counter()
    amounts: dict[tuple[str, str], Decimal] = {}
    markets: dict[str, str] = {}
    why: dict[tuple[str, str], tuple[str, str]] = {}
    for message in messages:
        index, category, _ = message.id.split(":")
        key = (index, category)
        markets[index] = message.market
        amount = message.charge.amount
        counts[(*key, "messages")] += 1
        counts[(*key, "unpriced")] += amount is None
        counts[(*key, "charged")] += bool(amount)
        amounts[key] = amounts.get(key, Decimal(0)) + (amount or 0)
        if message.status == UNDELIVERED:
            counts[(*key, "undelivered")] += 1
            why[key] = (message.rule.value, message.reason)
    return [
        Line(
            row=row.market,
            market=markets[str(index)],
            category=category,
            messages=counts[str(index), category, "messages"],
            charged=counts[str(index), category, "charged"],
            amount=amounts.get((str(index), category), Decimal(0)),
            unpriced=counts[str(index), category, "unpriced"],
            undelivered=counts[str(index), category, "undelivered"],
            rule=why.get((str(index), category), (None, None))[0],
            reason=why.get((str(index), category), (None, None))[1],
        )
        for index, row in enumerate(traffic.markets)
        for category, asked in _in_timeline_order(traffic, row)
        if asked
    ]


def _in_timeline_order(traffic: TrafficBase, row: MarketTrafficBase) -> list[tuple[str, int]]:
    counts = row.counts()
    order = [*traffic.vocabulary.template_categories, reply_category(traffic.vocabulary)]
    return [(category, counts.get(category, 0)) for category in order]
