"""What a month of messages would cost: the estimator the site runs in the reader's browser.

It writes the month as a timeline and prices it with the engine, so every figure (free entry
points, the conversations of older periods, volume tiers) is the rules' own and never a formula
beside them. The timeline it writes makes its assumptions plain: each template goes to a customer
with no window open, and each customer who writes first gets their share of the service replies
within the day.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    create_model,
    model_validator,
)

from whatsapp_pricing.domain import (
    Account,
    CurrencyCode,
    CustomerMessage,
    EntryPoint,
    Event,
    FreeFormMessage,
    TemplateMessage,
    TimeZoneName,
)
from whatsapp_pricing.markets import MarketTable, meta_markets
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.records import MessageRecord
from whatsapp_pricing.simulation import engine_events, price
from whatsapp_pricing.vocabulary import VOCABULARY, Vocabulary

MOST_MESSAGES = 120_000
"""The most messages one estimate writes out: enough to cross the first volume tier (100,001
messages) and still priced in a few seconds by the engine running in a browser."""
_REPLY_SPAN = timedelta(hours=23)
"""The service replies to one customer all fall within this much of their message."""

Count = Annotated[int, Field(ge=0, le=MOST_MESSAGES)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class TrafficBase(_Model):
    """A month of messages to customers in one market, as a reader describes it: the fields
    every vocabulary shares. :func:`traffic_model` adds a count for each category the
    vocabulary's estimator asks for (:data:`Traffic` is the package's)."""

    vocabulary: ClassVar[Vocabulary] = VOCABULARY
    market: str
    """A market of Meta's rate cards, such as ``India`` or ``Rest of Africa``."""
    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    """The calendar month, ``YYYY-MM``, in the account's time zone."""
    customers_writing_first: Count = 0
    via_ads: Count = 0
    """How many of the customers who write first come through a click-to-WhatsApp ad."""
    time_zone: TimeZoneName = "UTC"
    currency: CurrencyCode = "USD"

    def counts(self) -> dict[str, int]:
        """How many messages of each category the reader asked for, in the vocabulary's order."""
        fields = self.model_dump(include={c.name for c in self.vocabulary.estimated})
        return {c.name: fields[c.name] for c in self.vocabulary.estimated}

    @model_validator(mode="after")
    def _describable(self) -> Self:
        counts = self.counts()
        replies = sum(
            n for name, n in counts.items() if name not in self.vocabulary.template_categories
        )
        if self.via_ads > self.customers_writing_first:
            raise ValueError(
                "customers who come through an ad are among those who write first, "
                "so there cannot be more of them"
            )
        if replies and not self.customers_writing_first:
            raise ValueError("service replies need at least one customer who writes first")
        if sum(counts.values()) + self.customers_writing_first > MOST_MESSAGES:
            raise ValueError(f"an estimate writes at most {MOST_MESSAGES:,} messages")
        return self

    @property
    def first_day(self) -> date:
        return date.fromisoformat(f"{self.month}-01")

    def a_year_earlier(self) -> Self:
        """The same traffic twelve months before, to compare the rules then and now."""
        earlier = self.first_day.replace(year=self.first_day.year - 1)
        return self.model_copy(update={"month": earlier.strftime("%Y-%m")})


def traffic_model(vocabulary: Vocabulary) -> type[TrafficBase]:
    """The estimator's input for a vocabulary: a count (0 to :data:`MOST_MESSAGES`) for each
    category it estimates, with the row's words as the field's description."""
    counts: dict[str, Any] = {
        category.name: (Count, Field(0, description=category.estimated))
        for category in vocabulary.estimated
    }
    return create_model(
        "Traffic",
        __base__=TrafficBase,
        __module__=__name__,
        __doc__=TrafficBase.__doc__,
        vocabulary=(ClassVar[Vocabulary], vocabulary),
        **counts,
    )


if TYPE_CHECKING:
    Traffic = TrafficBase
else:
    Traffic = traffic_model(VOCABULARY)
    """A month of messages to customers in one market, as a reader describes it."""


class CategoryCost(_Model):
    """What the messages of one category cost in the estimated month."""

    category: str
    messages: int
    charged: int
    """How many of them carry a charge above zero."""
    amount: Decimal
    """The sum of the priced charges."""
    unpriced: int
    """How many charges no sourced rate could price: then ``amount`` is a lower bound."""


class Estimate(_Model):
    """The engine's figures for a month of traffic."""

    traffic: SerializeAsAny[TrafficBase]
    """The traffic estimated, with the counts its vocabulary asks for."""
    currency: str
    categories: tuple[CategoryCost, ...]
    total: Decimal
    unpriced: int
    periods: tuple[str, ...]
    """The ids of the pricing periods whose rules applied (see the site's change history)."""
    notices: tuple[str, ...]


def estimate(
    traffic: TrafficBase,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> Estimate:
    """Prices a month of traffic with the engine (with the traffic's vocabulary's rate book
    unless given one).

    ```python
    from whatsapp_pricing.estimate import Traffic, estimate

    month = Traffic(market="India", month="2026-11", marketing=1000, utility=500)
    for line in estimate(month).categories:
        print(line.category, line.messages, line.amount)
    #> marketing 1000 11.8000
    #> utility 500 0.7000
    ```
    """
    book = rate_book or shipped_rate_book(traffic.vocabulary)
    table = markets or meta_markets()
    account = Account(time_zone=traffic.time_zone, currency=traffic.currency)
    events = month_of(traffic, customer_country(traffic.market, traffic.first_day, table))
    pricing = price(account, engine_events(account, enumerate(events)), book, table)
    messages = list(pricing.messages())
    categories = _by_category(traffic, messages)
    return Estimate(
        traffic=traffic,
        currency=traffic.currency,
        categories=categories,
        total=sum((line.amount for line in categories), Decimal(0)),
        unpriced=sum(line.unpriced for line in categories),
        periods=tuple(sorted({message.period for message in messages})),
        notices=pricing.notices,
    )


def customer_country(market: str, day: date, markets: MarketTable) -> str:
    """A country whose customers the rate card prices under the market on that day."""
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        if markets.market_of_country(region, day) == market:
            return region
    known = ", ".join(markets.markets(day))
    raise ValueError(f"no country is priced under market {market!r} on {day}; markets: {known}")


def month_of(traffic: TrafficBase, country: str) -> list[Event]:
    """The month as events: templates first day to last, each to a customer of its own, then
    each customer who writes first and the replies they get.

    Customers are named by business-scoped user ids of the country (``IN.estimate17``), which
    give the market as a number would without inventing anyone's number.
    """
    zone = ZoneInfo(traffic.time_zone)
    days = calendar.monthrange(traffic.first_day.year, traffic.first_day.month)[1]

    def moment(index: int, hour: int) -> datetime:
        day = traffic.first_day + timedelta(days=index % days)
        return datetime(day.year, day.month, day.day, hour, tzinfo=zone)

    events: list[Event] = []
    counts = traffic.counts()
    for category in traffic.vocabulary.template_categories:
        for k in range(counts.get(category, 0)):
            at = moment(k, 10) + timedelta(seconds=k // days)
            # Built without validation: the category is the traffic's vocabulary's, which may
            # name more than the contract's enum; the engine reads categories by name.
            fields: dict[str, Any] = {"category": category, "customer": f"{country}.{category}{k}"}
            events.append(
                TemplateMessage.model_construct(
                    type="template", id=f"{category}-{k}", at=at, business_number=None, **fields
                )
            )
    events.extend(_conversations_started_by_customers(traffic, country, moment))
    return events


def _conversations_started_by_customers(
    traffic: TrafficBase, country: str, moment: Callable[[int, int], datetime]
) -> list[Event]:
    writers = traffic.customers_writing_first
    if not writers:
        return []
    # Free-form replies: the one category the estimator asks for that is not a template's.
    category = next(c.name for c in traffic.vocabulary.estimated if not c.template)
    replies = traffic.counts()[category]
    per_customer = -(-replies // writers)
    gap = _REPLY_SPAN / max(per_customer, 1)
    events: list[Event] = []
    for j in range(writers):
        at = moment(j, 9) + timedelta(seconds=j // 31)
        entry = EntryPoint.CLICK_TO_WHATSAPP_AD if j < traffic.via_ads else None
        customer = f"{country}.writer{j}"
        events.append(
            CustomerMessage(type="customer_message", at=at, customer=customer, entry_point=entry)
        )
        for r in range(j, replies, writers):
            reply_at = at + timedelta(minutes=1) + gap * (r // writers)
            reply = FreeFormMessage(
                type="free_form", id=f"{category}-{r}", at=reply_at, customer=customer
            )
            events.append(reply)
    return events


def _by_category(traffic: TrafficBase, messages: list[MessageRecord]) -> tuple[CategoryCost, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    amounts: dict[str, Decimal] = {}
    for message in messages:
        category = message.id.partition("-")[0]
        amount = message.charge.amount
        counts[category, "messages"] += 1
        counts[category, "unpriced"] += amount is None
        counts[category, "charged"] += bool(amount)
        amounts[category] = amounts.get(category, Decimal(0)) + (amount or 0)
    return tuple(
        CategoryCost(
            category=category,
            messages=counts[category, "messages"],
            charged=counts[category, "charged"],
            amount=amounts.get(category, Decimal(0)),
            unpriced=counts[category, "unpriced"],
        )
        for category, asked in traffic.counts().items()
        if asked
    )
