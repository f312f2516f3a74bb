"""What a month of messages would cost: the estimator the site runs in the reader's browser.

A business describes a month as a table of countries (or markets) and counts (:class:`Traffic`).
A country's market is the market table's for the month; volume tiers still count per market, so
two countries of one market share theirs. The estimate
is computed per market and category, in closed form: counts times rates, split where a volume
tier starts, less what a free entry point or a free tier leaves free. Nothing is written out
message by message, so ten million messages take no longer than ten.

The same month can also be written as a timeline and priced by the engine
(:mod:`whatsapp_pricing.estimate_timeline`); a property test proves the two equal for random
months of every period, which is what makes the closed form the rules' own figures. Both rest on
the same assumptions, which the Try page states:

- each template goes to a customer of its own with no window open (so utility templates are
  charged where a window would have made them free);
- each customer who writes first gets their share of the service replies within a day;
- a month's shared allowances (the free tier before November 2024, the volume tiers) go to the
  table's rows in order: the first row's templates by category, then its conversations, then the
  next row's. Volume tiers count per market and category over the whole table, as Meta pools
  them across the business portfolio;
- a row that names a market, not a country, stands for a country of that market other than the
  United States (the first by ISO code): marketing templates to US numbers are not delivered from
  2025-04-01, which only a row naming the US shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

import phonenumbers
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    create_model,
    model_validator,
)

from whatsapp_pricing.delivery import US, marketing_blocked
from whatsapp_pricing.domain import Account, CurrencyCode, TimeZoneName
from whatsapp_pricing.errors import PricingError
from whatsapp_pricing.markets import MarketTable, meta_markets
from whatsapp_pricing.periods import SHIPPED, Period, PeriodTable
from whatsapp_pricing.providers import ProviderFees
from whatsapp_pricing.rate_cards import RateBook, VolumeTiers, shipped_rate_book
from whatsapp_pricing.records import Rule
from whatsapp_pricing.simulation import notices_for
from whatsapp_pricing.vocabulary import VOCABULARY, Vocabulary

Count = Annotated[int, Field(ge=0, le=10**12)]
"""A month's count of messages or customers (a trillion is more than WhatsApp carries)."""
ZERO = Decimal(0)
MARKETING = VOCABULARY.category("marketing").name


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class MarketTrafficBase(_Model):
    """One row of the table: a month of messages to customers in one country (or market).
    :func:`traffic_model` adds a count for each category the vocabulary's estimator asks for."""

    vocabulary: ClassVar[Vocabulary] = VOCABULARY
    market: str = Field(validation_alias=AliasChoices("market", "country"), min_length=1)
    """A country, as an ISO 3166 code (``US``, ``CA``, ``IN``) or as Meta's market table spells
    it (``United States``), or a market of Meta's rate cards (``Rest of Africa``); given as
    ``country`` or ``market``."""
    customers_writing_first: Count = 0
    """How many customers write to the business first (each then gets their share of the
    replies)."""
    via_ads: Count = 0
    """How many of the customers who write first come through a click-to-WhatsApp ad."""

    def counts(self) -> dict[str, int]:
        """How many messages of each category the reader asked for, in the vocabulary's order."""
        fields = self.model_dump(include={c.name for c in self.vocabulary.estimated})
        return {c.name: fields[c.name] for c in self.vocabulary.estimated}

    @property
    def replies(self) -> int:
        """The free-form replies asked for (the one estimated category that is not a template)."""
        return self.counts()[reply_category(self.vocabulary)]

    @model_validator(mode="after")
    def _describable(self) -> Self:
        if self.via_ads > self.customers_writing_first:
            raise ValueError(
                "customers who come through an ad are among those who write first, so there "
                "cannot be more of them"
            )
        if self.replies and not self.customers_writing_first:
            raise ValueError("service replies need at least one customer who writes first")
        return self


class TrafficBase(_Model):
    """A month of a business's messages, as a reader describes it: the month, the account's
    currency and time zone, a row per market, and optionally a provider's fees."""

    vocabulary: ClassVar[Vocabulary] = VOCABULARY
    row: ClassVar[type[MarketTrafficBase]] = MarketTrafficBase
    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    """The calendar month, ``YYYY-MM``, in the account's time zone."""
    markets: tuple[SerializeAsAny[MarketTrafficBase], ...] = Field(min_length=1)
    time_zone: TimeZoneName = "UTC"
    currency: CurrencyCode = "USD"
    """The account's billing currency: Meta's rate card in it prices the month."""
    provider: ProviderFees | None = None
    numbers: Annotated[int, Field(ge=1, le=100_000)] = 1
    """The business phone numbers (a provider's licence is per number)."""
    failed_messages: Count = 0
    """Messages that fail: Meta charges none; some providers do."""

    @property
    def first_day(self) -> date:
        return date.fromisoformat(f"{self.month}-01")

    def a_year_earlier(self) -> Self:
        """The same traffic twelve months before, to compare the rules then and now."""
        earlier = self.first_day.replace(year=self.first_day.year - 1)
        return self.model_copy(update={"month": earlier.strftime("%Y-%m")})

    @model_validator(mode="after")
    def _fees_in_the_currency(self) -> Self:
        if self.provider is not None and self.provider.currency != self.currency:
            raise ValueError(
                f"the provider's fees are in {self.provider.currency} and the estimate in "
                f"{self.currency}: give the fees in {self.currency}"
            )
        return self


def traffic_model(vocabulary: Vocabulary) -> type[TrafficBase]:
    """The estimator's input for a vocabulary: its rows (``.row``) count each category the
    vocabulary estimates, with the category's words as the field's description."""
    counts: dict[str, Any] = {
        category.name: (Count, Field(0, description=category.estimated))
        for category in vocabulary.estimated
    }
    row = create_model(
        "MarketTraffic",
        __base__=MarketTrafficBase,
        __module__=__name__,
        __doc__=MarketTrafficBase.__doc__,
        vocabulary=(ClassVar[Vocabulary], vocabulary),
        **counts,
    )
    return create_model(
        "Traffic",
        __base__=TrafficBase,
        __module__=__name__,
        __doc__=TrafficBase.__doc__,
        vocabulary=(ClassVar[Vocabulary], vocabulary),
        row=(ClassVar[type[MarketTrafficBase]], row),
        markets=(tuple[row, ...], Field(min_length=1)),
    )


if TYPE_CHECKING:
    Traffic = TrafficBase
    MarketTraffic = MarketTrafficBase
else:
    Traffic = traffic_model(VOCABULARY)
    """A month of a business's messages, as a reader describes it."""
    MarketTraffic = Traffic.row
    """One market's row of :data:`Traffic`."""


class Line(_Model):
    """What the messages of one category to one row's country (or market) cost in the
    estimated month."""

    row: str
    """The country or market as the row names it."""
    market: str
    """The market the rate card prices the row's customers under that month."""
    category: str
    messages: int
    charged: int
    """How many of them carry a charge above zero."""
    amount: Decimal
    """The sum of the priced charges."""
    unpriced: int
    """How many charges no sourced rate could price: then ``amount`` is a lower bound."""
    undelivered: int = 0
    """How many Meta does not deliver, and so charges nothing for."""
    rule: str | None = None
    """The rule code of why they are not delivered (``us.marketing_blocked``)."""
    reason: str | None = None
    """Why they are not delivered, in words."""


class ProviderCharge(_Model):
    """What the provider adds, kept apart from Meta's charge."""

    name: str
    messages: Decimal
    """Its per-message fees, sent and received."""
    markup: Decimal
    failed: Decimal
    licences: Decimal
    total: Decimal
    source: str


class Estimate(_Model):
    """The figures for a month of traffic: Meta's charge per market and category, and the
    provider's line beside it."""

    traffic: SerializeAsAny[TrafficBase]
    currency: str
    lines: tuple[Line, ...]
    total: Decimal
    """Meta's charge: the sum of the priced lines."""
    unpriced: int
    provider: ProviderCharge | None
    all_in: Decimal
    """Meta's charge and the provider's fees together."""
    periods: tuple[str, ...]
    """The ids of the pricing periods whose rules applied (see the site's change history)."""
    notices: tuple[str, ...]

    def to_csv(self) -> str:
        """The estimate as CSV: a row per market and category, then the totals."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header = ["Row", "Market", "Category", "Messages", "Charged", "Unpriced", "Amount", "Note"]
        writer.writerow(header)
        for line in self.lines:
            writer.writerow(
                [
                    line.row,
                    line.market,
                    line.category,
                    line.messages,
                    line.charged,
                    line.unpriced,
                    f"{line.amount} {self.currency}",
                    line.reason or "",
                ]
            )
        blank = ["", "", "", ""]
        total = f"{self.total} {self.currency}"
        writer.writerow(["Meta's charge", *blank, self.unpriced, total, ""])
        if self.provider is not None:
            name = f"{self.provider.name} fees"
            writer.writerow([name, *blank, "", f"{self.provider.total} {self.currency}", ""])
            writer.writerow(["All in", *blank, "", f"{self.all_in} {self.currency}", ""])
        return out.getvalue()


def estimate(
    traffic: TrafficBase,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> Estimate:
    """Prices a month of traffic in closed form (with the traffic's vocabulary's rate book
    unless given one).

    ```python
    from whatsapp_pricing.estimate import Traffic, estimate

    rows = [{"country": "IN", "marketing": 1000, "utility": 500}, {"country": "US", "marketing": 9}]
    month = Traffic(month="2026-11", markets=rows)
    for line in estimate(month).lines:
        print(line.row, line.market, line.category, line.messages, line.amount, line.rule)
    #> IN India marketing 1000 11.8000 None
    #> IN India utility 500 0.7000 None
    #> US North America marketing 9 0 us.marketing_blocked
    ```
    """
    book = rate_book or shipped_rate_book(traffic.vocabulary)
    table = markets or meta_markets()
    lines = list(_ClosedForm(traffic, book, table).lines())
    return finish(traffic, lines, book, (period_of(traffic).id,) if lines else ())


def finish(
    traffic: TrafficBase, lines: list[Line], book: RateBook, periods: tuple[str, ...]
) -> Estimate:
    """The estimate from its lines, however they were priced: totals and the provider's line."""
    account = Account(time_zone=traffic.time_zone, currency=traffic.currency)
    total = sum((line.amount for line in lines), ZERO)
    provider = provider_charge(traffic, lines)
    return Estimate(
        traffic=traffic,
        currency=traffic.currency,
        lines=tuple(lines),
        total=total,
        unpriced=sum(line.unpriced for line in lines),
        provider=provider,
        all_in=total + (provider.total if provider else ZERO),
        periods=periods,
        notices=notices_for(account, book),
    )


def provider_charge(traffic: TrafficBase, lines: list[Line]) -> ProviderCharge | None:
    """The provider's fees on the month: per message, the markup on Meta's charge, failed
    messages and licences."""
    fees = traffic.provider
    if fees is None:
        return None
    sent = sum(line.messages for line in lines)
    received = sum(row.customers_writing_first for row in traffic.markets)
    messages = sent * fees.per_message_sent + received * fees.per_message_received
    marked_up = sum(
        (line.amount for line in lines if not fees.markup_on or line.category in fees.markup_on),
        ZERO,
    )
    markup = marked_up * fees.markup_percent / 100
    failed = traffic.failed_messages * fees.per_failed_message
    licences = traffic.numbers * fees.licence_per_number
    return ProviderCharge(
        name=fees.name,
        messages=messages,
        markup=markup,
        failed=failed,
        licences=licences,
        total=messages + markup + failed + licences,
        source=fees.source,
    )


def period_of(traffic: TrafficBase) -> Period:
    """The rules of the month (periods and rate cards change on a month's first day)."""
    periods = traffic.vocabulary.periods
    return (SHIPPED if periods is None else PeriodTable(periods)).on(traffic.first_day)


def reply_category(vocabulary: Vocabulary) -> str:
    """The one category the estimator asks for that is not a template's: free-form replies."""
    return next(category.name for category in vocabulary.estimated if not category.template)


@dataclass(frozen=True)
class Place:
    """Where a row's customers are: their country (ISO 3166) and its market in the month."""

    row: str
    country: str
    market: str


def places(traffic: TrafficBase, markets: MarketTable) -> list[Place]:
    """Each row's country and market in the traffic's month; an unknown one is named by row."""
    found = []
    for index, row in enumerate(traffic.markets):
        try:
            country = customer_country(row.market, traffic.first_day, markets)
        except ValueError as error:
            raise PricingError(f"Row {index + 1} ({row.market}): {error}") from None
        market = markets.market_of_country(country, traffic.first_day)
        found.append(Place(row.market, country, market))
    return found


@cache
def customer_country(name: str, day: date, markets: MarketTable) -> str:
    """The country a row names: an ISO 3166 code, a country as Meta's market table spells it,
    or a market (then a country the rate card prices under it on that day, not the US)."""
    wanted = name.strip().casefold()
    if wanted.upper() in phonenumbers.SUPPORTED_REGIONS:
        return wanted.upper()
    for membership in markets.memberships():
        if membership.country.casefold() == wanted:
            return membership.iso2
    for region in sorted(phonenumbers.SUPPORTED_REGIONS - {US}):
        if markets.market_of_country(region, day).casefold() == wanted:
            return region
    known = ", ".join(markets.markets(day))
    raise ValueError(
        f"no country or market is named {name.strip()!r} in {day:%Y-%m}; write a country's "
        f"ISO code (US, CA, IN), its name as Meta's market table spells it, or a market: {known}"
    )


@dataclass
class _Priced:
    """Some messages of one line: how many, and what each costs (``None``: unpriced)."""

    count: int
    each: Decimal | None


class _ClosedForm:
    """The month's lines from counts and rates, in the order the timeline would price them."""

    def __init__(self, traffic: TrafficBase, book: RateBook, table: MarketTable) -> None:
        self.traffic, self.book, self.table = traffic, book, table
        self.day = traffic.first_day
        self.period = period_of(traffic)
        self.vocabulary = book.vocabulary
        self.tier_positions: dict[tuple[str, str], int] = {}
        """Messages already counted towards each market and category's volume tiers."""
        period = self.period
        allowance = period.free_conversations if period.two_categories else None
        self.free_left = allowance or period.free_service_conversations or 0
        """What is left of the month's free tier (counted across the whole account)."""

    def lines(self) -> Iterator[Line]:
        for row, place in zip(self.traffic.markets, places(self.traffic, self.table), strict=True):
            counts = row.counts()
            for category in self.vocabulary.template_categories:
                if not counts.get(category):
                    continue
                if category == MARKETING and marketing_blocked(place.country, self.day):
                    yield _not_delivered(place, category, counts[category])
                    continue
                parts = self._templates(place.market, category, counts[category])
                yield _line(place, category, counts[category], parts)
            if row.replies:
                parts = self._replies(row, place.market)
                yield _line(place, reply_category(self.vocabulary), row.replies, parts)

    def _rate(self, market: str, category: str) -> Decimal | None:
        rate = self.book.rate(
            self.traffic.currency, market, self.vocabulary.column_of[category], self.day
        )
        return rate if isinstance(rate, Decimal) else None

    def _free_tier(self, count: int) -> int:
        """Takes up to ``count`` conversations of the month's free tier; returns how many."""
        free = min(count, self.free_left)
        self.free_left -= free
        return free

    def _templates(self, market: str, category: str, count: int) -> list[_Priced]:
        period = self.period
        if period.two_categories:  # business-initiated: free tier, else no sourced rate
            free = self._free_tier(count)
            return [_Priced(free, ZERO), _Priced(count - free, None)]
        rate = self._rate(market, category)
        if not period.per_message or category not in self.vocabulary.tiered:
            return [_Priced(count, rate)]
        key = (market, category)
        first = self.tier_positions.get(key, 0) + 1
        self.tier_positions[key] = first + count - 1
        column = self.vocabulary.column_of[category]
        tiers = self.book.tiers_for(self.traffic.currency, market, column, self.day)
        if tiers is None or rate is None:
            return [_Priced(count, rate)]
        return [
            _Priced(n, _tier_rate(rate, discount, published))
            for n, discount, published in _tier_spans(tiers, first, first + count - 1)
        ]

    def _replies(self, row: MarketTrafficBase, market: str) -> list[_Priced]:
        """Replies: those to customers from an ad are free (a free entry point); the others
        open a conversation per customer, or are charged one by one, as the period says."""
        replies, writers, ads = row.replies, row.customers_writing_first, row.via_ads
        to_ads = (replies // writers) * ads + min(replies % writers, ads)
        others = replies - to_ads
        conversations = max(0, min(writers, replies) - ads)
        period = self.period
        free_entry = _Priced(to_ads, ZERO)
        if period.per_message:
            service = reply_category(self.vocabulary)
            rate = self._rate(market, service) if period.service_messages_charged else ZERO
            return [free_entry, _Priced(others, rate)]
        joined = _Priced(others - conversations, ZERO)
        if period.two_categories:
            free = self._free_tier(conversations)
            return [free_entry, joined, _Priced(free, ZERO), _Priced(conversations - free, None)]
        if period.free_service_conversations is None:
            return [free_entry, joined, _Priced(conversations, ZERO)]
        free = self._free_tier(conversations)
        rate = self._rate(market, reply_category(self.vocabulary))
        return [free_entry, joined, _Priced(free, ZERO), _Priced(conversations - free, rate)]


def _tier_spans(
    tiers: VolumeTiers, first: int, last: int
) -> Iterator[tuple[int, Decimal | None, Decimal | None]]:
    """How many of the month's messages ``first`` to ``last`` fall in each volume tier, with its
    discount and Meta's published rate if known (messages before the first tier listed have no
    known rate)."""
    starts = [start for start, _ in tiers.tiers]
    bounds = [*starts[1:], last + 1]
    if first < starts[0]:
        yield min(last, starts[0] - 1) - first + 1, None, None
    for (start, discount), end in zip(tiers.tiers, bounds, strict=True):
        low, high = max(first, start), min(last, end - 1)
        if low <= high:
            yield high - low + 1, discount, tiers.published_rate(start)


def _tier_rate(
    rate: Decimal, discount: Decimal | None, published: Decimal | None
) -> Decimal | None:
    """A tier's rate as the engine charges it: the list rate in the first tier, else Meta's
    published rate for the tier, else the list rate less the discount; ``None``: unknown."""
    if discount is None:
        return None
    if not discount:
        return rate
    return rate * (1 - discount) if published is None else published


def _line(place: Place, category: str, messages: int, parts: list[_Priced]) -> Line:
    return Line(
        row=place.row,
        market=place.market,
        category=category,
        messages=messages,
        charged=sum(p.count for p in parts if p.count and p.each),
        amount=sum((p.count * p.each for p in parts if p.count and p.each), ZERO),
        unpriced=sum(p.count for p in parts if p.each is None),
    )


def _not_delivered(place: Place, category: str, messages: int) -> Line:
    """Marketing templates to US numbers: shown, not delivered, free, and why."""
    rule = Rule.US_MARKETING_BLOCKED
    return Line(
        row=place.row,
        market=place.market,
        category=category,
        messages=messages,
        charged=0,
        amount=ZERO,
        unpriced=0,
        undelivered=messages,
        rule=rule.value,
        reason=rule.reason(),
    )
