"""The domain adapter: a timeline goes in, the engine runs, a verdict comes out.

It turns the contract's validated events into the engine's compact :class:`Event` tuples (in
time order, refusing what the rules cannot price) and the engine's records into the pydantic
:class:`~whatsapp_pricing.domain.Verdict`, the one place where records become verdict models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time
from decimal import Decimal
from operator import itemgetter
from zoneinfo import ZoneInfo

from whatsapp_pricing.domain import (
    Account,
    AgentMessage,
    Conversation,
    CustomerMessage,
    MessageVerdict,
    TemplateMessage,
    Timeline,
    Total,
    Verdict,
)
from whatsapp_pricing.domain import Event as DomainEvent
from whatsapp_pricing.engine import ConversationEngine, Event, Kind
from whatsapp_pricing.errors import InvalidTimeline, UnsupportedPeriod
from whatsapp_pricing.markets import MarketTable, is_customer_id
from whatsapp_pricing.periods import (
    AGENT_PLATFORM_LAUNCH,
    end_instant,
    first_instant,
    why_unpriceable,
)
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.records import Charge, ConversationRecord, MessageRecord

ZERO = Decimal(0)


def simulate(
    timeline: Timeline,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> Verdict:
    """Prices a timeline under Meta's rules and explains every message.

    ```python
    from whatsapp_pricing import Timeline, simulate

    timeline = Timeline.model_validate(
        {
            "account": {"time_zone": "Asia/Kolkata"},
            "events": [
                {"type": "template", "id": "m1", "at": "2024-10-07T10:00:00+05:30",
                 "customer": "+919812345678", "category": "marketing"},
            ],
        }
    )
    verdict = simulate(timeline)
    message = verdict.messages[0]
    print(message.charge.amount, message.rule, message.period)
    #> 0.0107 cbp.template_opened cbp-2023-06
    ```
    """
    messages, conversations = records_of(timeline, rate_book, markets)
    notices = notices_for(timeline.account, rate_book or shipped_rate_book())
    return verdict_from(messages, conversations, timeline.account.currency, notices)


def records_of(
    timeline: Timeline,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> tuple[list[MessageRecord], list[ConversationRecord]]:
    """The engine's records of a timeline: its messages in time order, its conversations in
    order of opening."""
    return price(timeline.account, events_of(timeline), rate_book, markets)


def price(
    account: Account,
    events: Iterable[Event],
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> tuple[list[MessageRecord], list[ConversationRecord]]:
    """Prices events already in the engine's form and time order (see :func:`engine_events`)."""
    engine = ConversationEngine(account, rate_book, markets)
    messages = list(run(engine, events))
    return messages, in_opening_order(engine.finish())


def run(engine: ConversationEngine, events: Iterable[Event]) -> Iterator[MessageRecord]:
    """Feeds time-ordered events to an engine and yields each business message's record."""
    for event in events:
        record = engine.process(event)
        if record is not None:
            yield record


def in_opening_order(conversations: list[ConversationRecord]) -> list[ConversationRecord]:
    return sorted(conversations, key=lambda conversation: conversation.order)


def events_of(timeline: Timeline) -> list[Event]:
    """The timeline's events as the engine reads them, in time order (ties keep input order)."""
    return engine_events(timeline.account, enumerate(timeline.events))


def engine_events(account: Account, events: Iterable[tuple[int, DomainEvent]]) -> list[Event]:
    """Validated events, numbered by their input position, as the engine reads them, sorted.

    Refuses, naming the event and field, what the engine cannot price: a number that cannot be
    a real one, or a date outside the periods it models.
    """
    checked: set[str] = set()
    return in_time_order(account, [engine_event(order, event, checked) for order, event in events])


def engine_event(order: int, event: DomainEvent, checked_numbers: set[str]) -> Event:
    """One validated event as the engine reads it; ``checked_numbers`` skips repeat checks."""
    if event.customer not in checked_numbers:
        if not is_customer_id(event.customer):
            raise InvalidTimeline(
                f"events[{order}].customer: {event.customer} is not a possible phone number "
                "or business-scoped user id"
            )
        checked_numbers.add(event.customer)
    at = event.at.timestamp()
    if isinstance(event, CustomerMessage):
        kind, entry_point = Kind.CUSTOMER_MESSAGE, event.entry_point
        return Event(at, order, kind, event.customer, entry_point=entry_point)
    business_number = event.business_number or ""
    if isinstance(event, TemplateMessage):
        category = str(event.category)  # a category of the vocabulary's, as its plain name
        return Event(
            at, order, Kind.TEMPLATE, event.customer, event.id, category, None, business_number
        )
    if isinstance(event, AgentMessage):
        kind, tokens = Kind.AGENT, event.tokens
        return Event(at, order, kind, event.customer, event.id, None, None, business_number, tokens)
    return Event(at, order, Kind.FREE_FORM, event.customer, event.id, None, None, business_number)


def in_time_order(account: Account, events: list[Event]) -> list[Event]:
    """Sorts events by time, refusing any outside the periods this engine models, and any Meta
    Business Agent message from before Meta launched the platform."""
    zone = ZoneInfo(account.time_zone)
    first, end = first_instant(zone), end_instant(zone)
    agents_from = datetime.combine(AGENT_PLATFORM_LAUNCH, time(), zone).timestamp()
    for event in events:
        if not first <= event.at < end:
            why = why_unpriceable(event.at, zone)
            if why is not None:
                raise UnsupportedPeriod(f"events[{event.order}].at: {why}")
        if event.kind == Kind.AGENT and event.at < agents_from:
            raise UnsupportedPeriod(
                f"events[{event.order}].at: a Meta Business Agent message before "
                f"{AGENT_PLATFORM_LAUNCH}, when Meta launched the Meta Business Agent Platform"
            )
    # A stable sort on the time alone keeps same-instant events in input order, and sorting
    # plain floats is several times faster than comparing whole tuples.
    events.sort(key=itemgetter(0))
    return events


def notices_for(account: Account, rate_book: RateBook) -> tuple[str, ...]:
    """What to tell the reader of a whole verdict: a currency with no rate card at all."""
    if rate_book.has_currency(account.currency):
        return ()
    return (
        f"No rate card in {account.currency} is shipped, so every charge is unpriced: bring "
        f"Meta's {account.currency} rate card (the CSV from its pricing page) with --rate-card, "
        "or price the timeline in USD.",
    )


def verdict_from(
    messages: Iterable[MessageRecord],
    conversations: Iterable[ConversationRecord],
    currency: str,
    notices: tuple[str, ...] = (),
) -> Verdict:
    """The verdict models for the engine's records: the one place records become verdicts."""
    messages = list(messages)
    return Verdict(
        messages=tuple(MessageVerdict.model_validate(message) for message in messages),
        conversations=tuple(
            Conversation.model_validate(conversation_fields(conversation))
            for conversation in conversations
        ),
        total=Total.model_validate(total_of((message.charge for message in messages), currency)),
        notices=notices,
    )


def conversation_fields(conversation: ConversationRecord) -> dict[str, object]:
    """A conversation record in the shape of :class:`~whatsapp_pricing.domain.Conversation`."""
    return {
        "id": conversation.id,
        "customer": conversation.customer,
        "market": conversation.market,
        "category": conversation.category,
        "opened_at": datetime.fromtimestamp(conversation.opened_at, UTC),
        "expires_at": datetime.fromtimestamp(conversation.expires_at, UTC),
        "charge": conversation.charge,
    }


def total_of(charges: Iterable[Charge], currency: str) -> dict[str, object]:
    """Adds up charges; the total is unknown (``None``) as soon as one charge is unpriced."""
    priced = ZERO
    unpriced = 0
    for charge in charges:
        if charge.amount is None:
            unpriced += 1
        else:
            priced += charge.amount
    return {
        "amount": None if unpriced else priced,
        "currency": currency,
        "priced_amount": priced,
        "unpriced_charges": unpriced,
    }
