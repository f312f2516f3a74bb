"""The one path from a timeline to a verdict, and the adapter at each end of it.

Every front door (:func:`simulate` for a program, the command line's JSON and ``--table``, the
site's in-browser engine) resolves its rate book, reads its events its own way, and then calls
:func:`price`: the one pipeline, where the events go through the engine once and come out as the
verdict's pieces, in the order a verdict is written (each message's record as the engine gives
it, then the conversations in order of opening and the total; the notices from the start). A door
only chooses the form: pydantic models (:func:`verdict_from`) or JSON written as the messages
come (:func:`~whatsapp_pricing.timeline_io.write_verdict`).

At the front of the path, the contract's validated events become the engine's compact
:class:`Event` tuples (in time order, refusing what the rules cannot price); at the end, the
engine's records become the verdict's pieces.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from zoneinfo import ZoneInfo

import msgspec

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
BATCH = 10_000
"""Records per batch of :meth:`Pricing.batches` unless a reader asks for another size."""


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
    book = rate_book or shipped_rate_book()
    return verdict_from(price(timeline.account, events_of(timeline), book, markets))


def records_of(
    timeline: Timeline,
    rate_book: RateBook | None = None,
    markets: MarketTable | None = None,
) -> tuple[list[MessageRecord], list[ConversationRecord]]:
    """The engine's records of a timeline: its messages in time order, its conversations in
    order of opening."""
    book = rate_book or shipped_rate_book()
    pricing = price(timeline.account, events_of(timeline), book, markets)
    messages = list(pricing.messages())
    return messages, pricing.summary().conversations


def price(
    account: Account,
    events: Iterable[Event],
    rate_book: RateBook,
    markets: MarketTable | None = None,
) -> Pricing:
    """The one pipeline every front door calls: events in the engine's form and time order (see
    :func:`engine_events`) through the engine, to the verdict's pieces.

    The rate book comes resolved, so every piece (charges and notices alike) reads the same one.
    Nothing runs until the messages are read.
    """
    return Pricing(account, events, rate_book, markets)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a verdict says after its messages: it needs all of them, so it comes last."""

    conversations: list[ConversationRecord]
    """Every conversation, in order of opening."""
    total: Total

    def verdict_conversations(self) -> list[VerdictConversation]:
        """The conversations as the verdict shows them."""
        return [conversation_fields(conversation) for conversation in self.conversations]


class Pricing:
    """One run of the pipeline: a timeline's events on their way through the engine.

    The messages come first, a batch at a time, so a writer can write each batch and let it go;
    the conversations that ended meanwhile are collected as they go, so memory holds no more of
    the engine than the customers still in play. The :meth:`summary` follows once every message
    is read. The notices are known from the start, for a door that says them before the verdict.
    """

    def __init__(
        self,
        account: Account,
        events: Iterable[Event],
        rate_book: RateBook,
        markets: MarketTable | None = None,
    ) -> None:
        self.notices = notices_for(account, rate_book)
        self._currency = account.currency
        self._engine = ConversationEngine(account, rate_book, markets)
        self._events: Iterable[Event] | None = events
        self._summary: Summary | None = None

    def batches(self, size: int = BATCH) -> Iterator[list[MessageRecord]]:
        """Each business message's record, in time order, in batches of ``size`` (the last one
        shorter); read once, as the engine runs once."""
        events, self._events = self._events, None
        if events is None:
            raise RuntimeError("a pricing's messages are read once")
        engine = self._engine
        charges: list[Charge] = []
        conversations: list[ConversationRecord] = []
        batch: list[MessageRecord] = []
        for record in run(engine, events):
            batch.append(record)
            if len(batch) == size:
                charges.extend(message.charge for message in batch)
                conversations.extend(engine.closed())
                yield batch
                batch = []
        charges.extend(message.charge for message in batch)
        if batch:
            yield batch
        conversations.extend(engine.finish())
        total = total_of(charges, self._currency)
        self._summary = Summary(in_opening_order(conversations), total)

    def messages(self) -> Iterator[MessageRecord]:
        """Each business message's record, in time order; read once."""
        return chain.from_iterable(self.batches())

    def summary(self) -> Summary:
        """The conversations and the total, once every message is read."""
        if self._summary is None:
            raise RuntimeError("the summary of a verdict comes after all of its messages")
        return self._summary


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


def verdict_from(pricing: Pricing) -> Verdict:
    """The verdict as pydantic models, read from the pipeline: the one place records become
    verdict models."""
    messages = tuple(MessageVerdict.model_validate(message) for message in pricing.messages())
    summary = pricing.summary()
    return Verdict(
        messages=messages,
        conversations=tuple(
            Conversation.model_validate(conversation)
            for conversation in summary.verdict_conversations()
        ),
        total=summary.total,
        notices=pricing.notices,
    )


class VerdictConversation(msgspec.Struct, frozen=True, gc=False):
    """A conversation in the shape of :class:`~whatsapp_pricing.domain.Conversation`, which
    msgspec writes as fast as the messages' records (pydantic would take seconds on a big file).
    """

    id: str
    customer: str
    market: str
    category: str
    opened_at: datetime
    expires_at: datetime
    charge: Charge


def conversation_fields(conversation: ConversationRecord) -> VerdictConversation:
    """A conversation record as the verdict shows it: no order, times as UTC dates."""
    return VerdictConversation(
        conversation.id,
        conversation.customer,
        conversation.market,
        conversation.category,
        datetime.fromtimestamp(conversation.opened_at, UTC),
        datetime.fromtimestamp(conversation.expires_at, UTC),
        conversation.charge,
    )


def total_of(charges: Iterable[Charge], currency: str) -> Total:
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
    return Total(
        amount=None if unpriced else priced,
        currency=currency,
        priced_amount=priced,
        unpriced_charges=unpriced,
        at_most=True if at_most else None,
    )
