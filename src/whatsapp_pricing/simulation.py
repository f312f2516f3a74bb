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
    BusinessCall,
    Conversation,
    CustomerCall,
    CustomerMessage,
    DirectSendMessage,
    MessageVerdict,
    TemplateMessage,
    Timeline,
    Total,
    Verdict,
)
from whatsapp_pricing.domain import Event as DomainEvent
from whatsapp_pricing.engine import DEFAULT_ROUTE, WORDS, ConversationEngine, Details, Event, Kind
from whatsapp_pricing.errors import InvalidTimeline, UnsupportedPeriod
from whatsapp_pricing.markets import MarketTable, is_customer_id
from whatsapp_pricing.periods import (
    AGENT_PLATFORM_LAUNCH,
    CALLS_OPEN_WINDOW,
    DIRECT_SEND_LAUNCH,
    MAX_PRICE_BETA,
    end_instant,
    first_instant,
    why_unpriceable,
)
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.records import Charge, ConversationRecord, MessageRecord
from whatsapp_pricing.vocabulary import VOCABULARY

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
    if isinstance(event, CustomerCall):
        return Event(at, order, Kind.CUSTOMER_CALL, event.customer)
    if isinstance(event, BusinessCall):
        details = call_details(event.seconds, event.accepted)
        assert details is not None  # the model refuses a call connected but not accepted
        return Event(at, order, Kind.BUSINESS_CALL, event.customer, event.id, details=details)
    kind = VOCABULARY.kind(event.type).code
    business_number = event.business_number or ""
    tokens = event.tokens if isinstance(event, AgentMessage) else 0
    # A category of the vocabulary's, as its plain name.
    category = (
        str(event.category) if isinstance(event, TemplateMessage | DirectSendMessage) else None
    )
    if isinstance(event, TemplateMessage):
        details = template_details(event.via, event.max_price, event.failed)
    else:
        details = None if event.failed is None else Details(failed=event.failed)
    return Event(
        at, order, kind, event.customer, event.id, category, None, business_number, tokens, details
    )


def template_details(via: str, max_price: str | None, failed: int | str | None) -> Details | None:
    """What a template carries beyond the common fields, or ``None`` when nothing (most do)."""
    if via == DEFAULT_ROUTE and max_price is None and failed is None:
        return None
    cap = None if max_price is None else Decimal(max_price)
    return Details(str(via), cap, failed)


def call_details(seconds: int, accepted: bool | None) -> Details | None:
    """A business's call as the engine reads it, or ``None`` for a call connected for some
    seconds that the customer did not accept (which the models refuse)."""
    if accepted is None:
        accepted = seconds > 0
    elif not accepted and seconds > 0:
        return None
    return Details(seconds=seconds, accepted=accepted)


def in_time_order(account: Account, events: list[Event]) -> list[Event]:
    """Sorts events by time, refusing any outside the periods this engine models, and any Meta
    Business Agent message from before Meta launched the platform."""
    zone = ZoneInfo(account.time_zone)
    first, end = first_instant(zone), end_instant(zone)
    earliest = {
        kind: (datetime.combine(day, time(), zone).timestamp(), day, since)
        for kind, (day, since) in EARLIEST.items()
    }
    capped_from = datetime.combine(MAX_PRICE_BETA, time(), zone).timestamp()
    for event in events:
        if not first <= event.at < end:
            why = why_unpriceable(event.at, zone)
            if why is not None:
                raise UnsupportedPeriod(f"events[{event.order}].at: {why}")
        limit = earliest.get(event.kind)
        if limit is not None and event.at < limit[0]:
            raise UnsupportedPeriod(
                f"events[{event.order}].at: a {WORDS[event.kind]} before {limit[1]}, {limit[2]}"
            )
        details = event.details
        if details is not None and details.max_price is not None and event.at < capped_from:
            raise UnsupportedPeriod(
                f"events[{event.order}].max_price: a max price before {MAX_PRICE_BETA}, when "
                "Meta's limited beta of max prices began"
            )
    # A stable sort on the time alone keeps same-instant events in input order, and sorting
    # plain floats is several times faster than comparing whole tuples.
    events.sort(key=itemgetter(0))
    return events


EARLIEST = {
    Kind.AGENT: (
        AGENT_PLATFORM_LAUNCH,
        "when Meta launched the Meta Business Agent Platform",
    ),
    Kind.DIRECT_SEND: (DIRECT_SEND_LAUNCH, "when Meta launched Direct Send"),
    Kind.CUSTOMER_CALL: (
        CALLS_OPEN_WINDOW,
        "from when Meta says calls open the customer service window",
    ),
    Kind.BUSINESS_CALL: (
        CALLS_OPEN_WINDOW,
        "from when Meta says calls open the customer service window",
    ),
}
"""Kinds of event that cannot be older than a day, and why."""


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
    at_most = False
    for charge in charges:
        if charge.amount is None:
            unpriced += 1
        else:
            priced += charge.amount
            at_most = at_most or charge.at_most is True
    total: dict[str, object] = {
        "amount": None if unpriced else priced,
        "currency": currency,
        "priced_amount": priced,
        "unpriced_charges": unpriced,
    }
    if at_most:
        total["at_most"] = True
    return total
