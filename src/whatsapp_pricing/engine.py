"""The rules engine: Meta's pricing rules applied to events in time order, one at a time.

The engine reads events in one pass and keeps state only for customers who have something open
(a customer service window, a free entry point offer or window, a conversation). Memory
therefore grows with the customers in play at one moment, not with the length of the timeline.
It reads the compact :class:`Event` tuples and hands out frozen records
(:mod:`whatsapp_pricing.records`); turning timelines into events and records into verdicts is
the work of :mod:`whatsapp_pricing.simulation`.

Which rules hold on a day, with their sources, is :mod:`whatsapp_pricing.periods`; every rule
applied to a message is one :class:`~whatsapp_pricing.records.Rule`, listed on the site.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from whatsapp_pricing.call_rates import (
    PULSE_SECONDS,
    PULSES_PER_MINUTE,
    CallRates,
    shipped_call_rates,
)
from whatsapp_pricing.delivery import (
    NO_PER_USER_LIMITS,
    PER_USER_LIMIT,
    marketing_blocked,
    time_to_live,
)
from whatsapp_pricing.domain import Account, EntryPoint, MessageStatus
from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.markets import BSUID, MarketTable, country_of, meta_markets, readings
from whatsapp_pricing.periods import (
    AUTHENTICATION_INTERNATIONAL_LAUNCH,
    PER_MESSAGE_PRICING_STARTS,
    SHIPPED,
    Period,
    PeriodTable,
    end_instant,
    first_instant,
    why_unpriceable,
)
from whatsapp_pricing.rate_cards import Missing, RateBook, shipped_rate_book
from whatsapp_pricing.records import (
    Charge,
    ConversationRecord,
    ConversationRef,
    Counted,
    MessageRecord,
    Rule,
    Tier,
    WebhookReport,
    webhook_report,
)
from whatsapp_pricing.vocabulary import VOCABULARY, Route

HOUR: Final = 3600.0
CONVERSATION_LENGTH: Final = 24 * HOUR
"""Marketing, utility, authentication and service conversations last 24 hours from delivery."""
SERVICE_WINDOW_LENGTH: Final = 24 * HOUR
"""The customer service window lasts 24 hours from the customer's latest message."""
ENTRY_POINT_REPLY_WINDOW: Final = 24 * HOUR
"""A reply opens a free entry point conversation only within 24 hours of the entry point."""
FREE_ENTRY_POINT_LENGTH: Final = 72 * HOUR
"""A free entry point conversation lasts 72 hours from the delivery of the reply that opened it
(24 hours in the first period: see each period's ``free_entry_point_hours``); the longest it is."""
MILLION: Final = Decimal(1_000_000)
NEVER: Final = -math.inf

ZERO: Final = Decimal(0)
# The hot loop works on plain strings: formatting or comparing enum members costs several times
# more. The verdict's models turn them back into enums at the boundary. The categories below are
# those a rule treats apart, looked up in the vocabulary (a new category needs no name here).
DELIVERED: Final = MessageStatus.DELIVERED.value
REJECTED: Final = MessageStatus.REJECTED.value
SERVICE: Final = VOCABULARY.category("service").name
UTILITY: Final = VOCABULARY.category("utility").name
FREE_ENTRY_POINT: Final = VOCABULARY.category("free_entry_point").name
USER_INITIATED: Final = VOCABULARY.category("user_initiated").name
BUSINESS_INITIATED: Final = VOCABULARY.category("business_initiated").name
_UNKNOWN: Final[Any] = object()
"""Stands for a report not computed yet (``None`` is a report: a rejected message has none)."""
Outcome = tuple[str, ConversationRef | None, Charge, Rule, str, str]
"""What the rules made of a message: status, conversation, charge, rule, reason, and the
category Meta's webhook reports for it."""
Priced = tuple[Charge, str]
"""A charge, and how it was priced in words (a fact for the reason)."""


Key = tuple[object, ...]
"""What a counter counts, within one account: ``CONVERSATIONS``, or a free tier's or a volume
tier's month (the engine's own keys, below)."""
CONVERSATIONS: Key = ("conversations",)


class Counters(Protocol):
    """The engine's counters that reach across customers: which conversation of the account,
    which free conversation or message of a month, which message of a volume tier's month.

    They set an id or a price and never a decision, so a run over part of an account (one
    customer, on Spark) can count with placeholders and have the positions that the whole
    account's events, ranked by time and order, filled in afterwards
    (:mod:`whatsapp_pricing.spark`). What a position changes is said at each count: a
    conversation's id is a name only, past a free tier's allowance every position prices
    alike, and a message priced through a :class:`~whatsapp_pricing.records.Counted` is
    repriced from its position alone (:meth:`ConversationEngine.at_position`); only the others
    need the engine again.
    """

    def next(
        self,
        key: Key,
        at: float,
        order: int,
        free: int | None = None,
        counted: Counted | None = None,
    ) -> int:
        """The position (from 1) of the event at ``at``, ``order`` among those counted under
        ``key``, in time order. ``free``: the allowance of a free tier, when the position only
        tells whether the event is among the first ``free`` (any later one gives the same
        charge, rule and reason). ``counted``: what else prices the message, when its position
        sets nothing but its charge, rule and reason."""
        ...


class Tally:
    """Counters for an engine that sees every event of the account, in time order."""

    def __init__(self) -> None:
        self._counts: dict[Key, int] = {}

    def next(
        self,
        key: Key,
        at: float,
        order: int,
        free: int | None = None,
        counted: Counted | None = None,
    ) -> int:
        number = self._counts[key] = self._counts.get(key, 0) + 1
        return number


class Kind:
    """What an event is, as a small int for the hot loop (the vocabulary's codes)."""

    CUSTOMER_MESSAGE: Final = VOCABULARY.kind("customer_message").code
    TEMPLATE: Final = VOCABULARY.kind("template").code
    FREE_FORM: Final = VOCABULARY.kind("free_form").code
    AGENT: Final = VOCABULARY.kind("agent_message").code
    """A Meta Business Agent message."""
    DIRECT_SEND: Final = VOCABULARY.kind("direct_send").code
    CUSTOMER_CALL: Final = VOCABULARY.kind("customer_call").code
    BUSINESS_CALL: Final = VOCABULARY.kind("business_call").code


CUSTOMER_MESSAGE: Final = Kind.CUSTOMER_MESSAGE
AGENT: Final = Kind.AGENT
BUSINESS_CALL: Final = Kind.BUSINESS_CALL
SENT_APART: Final = frozenset({Kind.DIRECT_SEND, Kind.BUSINESS_CALL})
"""Kinds with rules of their own before the ordinary ones (a call; Direct Send's refusals)."""
OPENS_WINDOW: Final = VOCABULARY.opening_window
"""The kinds of event that open or refresh the customer service window, and are no message."""
WORDS: Final = {kind.code: kind.words for kind in VOCABULARY.kinds}
MARKETING: Final = VOCABULARY.category("marketing").name
AUTHENTICATION: Final = VOCABULARY.category("authentication").name
UNDELIVERED: Final = MessageStatus.UNDELIVERED.value
DEFAULT_ROUTE: Final = VOCABULARY.routes[0].name
REJECTED_REASONS: Final = {
    kind.code: Rule.CSW_CLOSED.reason(message=kind.words)
    for kind in VOCABULARY.kinds
    if kind.needs_window
}
"""The reason given for a message sent while no customer service window is open, by kind."""


class Event(NamedTuple):
    """An event as the engine reads it: already validated, times as Unix seconds."""

    at: float
    order: int
    """Position in the input: events at the same instant keep their input order."""
    kind: int
    customer: str
    id: str = ""
    category: str | None = None
    """The template's category, as its plain value; ``None`` for a free-form message, or for a
    template whose category a webhook log does not say (it then needs no service window and
    otherwise goes where a free-form message would)."""
    entry_point: EntryPoint | None = None
    """How the customer came in (customer messages only)."""
    business_number: str = ""
    """The business number that sent it, when the timeline says (business messages only)."""
    tokens: int = 0
    """The tokens Meta counts for a Meta Business Agent message."""
    details: Details | None = None
    """What only some events carry; ``None`` for most."""


def logged_event(
    at: float,
    order: int,
    kind: int,
    customer: str,
    id: str = "",
    category: str | None = None,
    entry_point: EntryPoint | None = None,
    business_number: str = "",
) -> Event:
    """An :class:`Event` of a webhook log (no tokens, no details), made by ``tuple``'s own
    constructor: a NamedTuple's ``__new__`` is a Python function, which compiled code calls for
    some 4,000 instructions, and the reconciler makes an event for every message."""
    return _new_tuple(
        _EVENT, (at, order, kind, customer, id, category, entry_point, business_number, 0, None)
    )


_new_tuple: Final = tuple.__new__
_EVENT: Final = Event
"""Read as constants: compiled, a module's name (even its own class's) is looked up in its
dict at each use."""


class Details(NamedTuple):
    """What only some events carry, kept apart so that the common event stays small."""

    via: str = VOCABULARY.routes[0].name
    """The API a template was sent through."""
    max_price: Decimal | None = None
    """The template's max price per 1,000 deliveries, if it has one."""
    failed: int | str | None = None
    """The error code Meta reported for a message it did not deliver, or ``expired``."""
    seconds: int = 0
    """How long a business's call was connected."""
    accepted: bool = False
    """Whether the customer accepted a business's call."""


@dataclass(slots=True, eq=False, init=False)
class _Conversation:
    """An open conversation (the ``__init__`` of this and :class:`_Customer` written out:
    compiled, a written one is native code, where one made by ``dataclass`` runs as Python)."""

    id: str
    customer: str
    market: str
    category: str
    opened: float
    expires: float
    charge: Charge
    ref: ConversationRef

    def __init__(
        self,
        id: str,
        customer: str,
        market: str,
        category: str,
        opened: float,
        expires: float,
        charge: Charge,
        ref: ConversationRef,
    ) -> None:
        self.id, self.customer, self.market, self.category = id, customer, market, category
        self.opened, self.expires, self.charge, self.ref = opened, expires, charge, ref

    def record(self) -> ConversationRecord:
        return ConversationRecord(
            self.id,
            int(self.id[1:]),
            self.customer,
            self.market,
            self.category,
            self.opened,
            self.expires,
            self.charge,
        )


@dataclass(slots=True)
class ServiceWindow:
    """A customer service window: opened by a customer's message, extended by each later one."""

    customer: str
    opens: float
    closes: float


@dataclass(slots=True, eq=False, init=False)
class _Customer:
    country: str | None
    window_until: float
    """End of the customer service window."""
    offer_until: float
    """Deadline for a reply to open a free entry point conversation."""
    entry_point: EntryPoint | None
    free_entry_point: _Conversation | None
    open: dict[str, _Conversation]
    idle_bucket: int
    """The hour bucket this customer was last filed under for the idle sweep."""
    latest: float
    """No timer runs past this (it may end earlier, when a free entry point cuts one short)."""
    next_expiry: float
    """The earliest end among the open conversations, so most events skip the expiry check."""
    market_day: date | None
    market: str
    window: ServiceWindow | None
    """The customer's latest service window, when the engine records them."""

    def __init__(self, country: str | None) -> None:
        self.country = country
        self.window_until = self.offer_until = self.latest = NEVER
        self.next_expiry = math.inf
        self.entry_point = self.free_entry_point = self.market_day = self.window = None
        self.open, self.idle_bucket, self.market = {}, -1, ""


class LocalCalendar:
    """Days and months in the account's time zone, fast for times that arrive in order."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._start = math.inf
        self._end = NEVER
        self._day = date.min

    def day(self, at: float) -> date:
        if self._start <= at < self._end:
            return self._day
        day = datetime.fromtimestamp(at, self._zone).date()
        start = datetime.combine(day, time(), self._zone).timestamp()
        end = datetime.combine(day + timedelta(days=1), time(), self._zone).timestamp()
        if start <= at < end:
            self._start, self._end, self._day = start, end, day
        return day


class ConversationEngine:
    """Applies the rules to a stream of events that arrive in time order.

    :meth:`process` returns the record of each business message; conversations are handed
    out by :meth:`closed` once they can no longer change.
    """

    def __init__(
        self,
        account: Account,
        rate_book: RateBook | None = None,
        markets: MarketTable | None = None,
        record_windows: bool = False,
        counters: Counters | None = None,
        call_rates: CallRates | None = None,
    ) -> None:
        self._account = account
        self._counters = Tally() if counters is None else counters
        self._windows: list[ServiceWindow] | None = [] if record_windows else None
        self._call_rates = shipped_call_rates() if call_rates is None else call_rates
        self._call_pulses: dict[tuple[int, int], int] = {}
        """Pulses of accepted calls by local month. Calls come only from timelines, which one
        engine always runs whole (a webhook log, run in parts on Spark, has none)."""
        self._zone = ZoneInfo(account.time_zone)
        self._priced = first_instant(self._zone), end_instant(self._zone)
        self._calendar = LocalCalendar(self._zone)
        self._currency = currency = account.currency
        self._rates = rates = rate_book or shipped_rate_book()
        self.vocabulary = vocabulary = rates.vocabulary
        """What a message is, as the rate book was read: its categories and columns."""
        self._column_of = vocabulary.column_of
        self._tiered = vocabulary.tiered
        self._international = vocabulary.international
        self._periods = SHIPPED if vocabulary.periods is None else PeriodTable(vocabulary.periods)
        provisional = rates.provisional_from(currency)
        self._provisional_from = date.max if provisional is None else provisional[0]
        self._provisional_note = (
            ""
            if provisional is None
            else f" Provisional: priced at the latest sourced {currency} rate card, of "
            f"{provisional[1].effective}; Meta may have changed rates from {provisional[0]}."
        )
        self._markets = markets or meta_markets()
        self._customers: dict[str, _Customer] = {}
        self._idle: dict[int, list[str]] = {}
        self._next_sweep = -math.inf
        self._period_day = date.min
        self._period = self._periods.periods[0]
        self._closed: list[_Conversation] = []
        self._free = Charge(ZERO, currency)
        self._prices: dict[tuple[str, str, date, bool], Priced] = {}
        self._reports: dict[tuple[Rule, str, bool, bool], WebhookReport | None] = {}

    def process(self, event: Event) -> MessageRecord | None:
        """Applies one event; returns the record if it is a business message."""
        at, _, kind, number, _, _, _, _, _, _ = event
        if at >= self._next_sweep:
            self._sweep(at)
        customer = self._customers.get(number)
        if customer is None:
            customer = self._customers[number] = _Customer(country_of(number))
        elif customer.next_expiry <= at:
            self._expire(customer, at)
        if kind in OPENS_WINDOW:
            verdict = None
            self._refresh_window(customer, event)
        else:
            verdict = self._deliver(customer, event)
        if customer.latest <= at:
            del self._customers[number]
            return verdict
        # A later bucket than the customer's is one its timers reach past the bucket's end:
        # told without a // (an fmod) for most events.
        if customer.latest >= (customer.idle_bucket + 1) * HOUR:
            idle_bucket = int(customer.latest // HOUR)
            customer.idle_bucket = idle_bucket
            self._idle.setdefault(idle_bucket, []).append(number)
        return verdict

    def _refresh_window(self, customer: _Customer, event: Event) -> None:
        """The customer writes or calls: the service window (and any entry point offer) restarts."""
        at, entry_point = event.at, event.entry_point
        if self._windows is not None:
            self._record_window(customer, event)
        customer.window_until = window_until = at + SERVICE_WINDOW_LENGTH
        if window_until > customer.latest:
            customer.latest = window_until
        if entry_point is not None:
            customer.offer_until = at + ENTRY_POINT_REPLY_WINDOW
            customer.entry_point = entry_point

    def _record_window(self, customer: _Customer, event: Event) -> None:
        if customer.window is not None and event.at < customer.window_until:
            customer.window.closes = event.at + SERVICE_WINDOW_LENGTH
            return
        customer.window = ServiceWindow(event.customer, event.at, event.at + SERVICE_WINDOW_LENGTH)
        assert self._windows is not None
        self._windows.append(customer.window)

    @property
    def service_windows(self) -> list[ServiceWindow]:
        """The customer service windows so far, when the engine was asked to record them."""
        if self._windows is None:
            raise ValueError("create the engine with record_windows=True to see its windows")
        return self._windows

    def advance(self, at: float) -> bool:
        """Lets log time pass to ``at`` with no event of its own: what an event of another
        customer at ``at`` would close, closes. A reconciler of one part of a log (a Spark
        bucket) sees few of the other customers' events, and must close what one of the whole
        log closes, when it closes it. Says whether it looked (at most once an hour)."""
        if at < self._next_sweep:
            return False
        self._sweep(at)
        return True

    def closed(self) -> list[ConversationRecord]:
        """Conversations that ended since the last call, ready to be reported."""
        if not self._closed:
            return []  # the usual answer: the reconciler asks after every event
        closed, self._closed = self._closed, []
        return [conversation.record() for conversation in closed]

    def finish(self) -> list[ConversationRecord]:
        """Reports every conversation still open (with its scheduled end) and forgets all state."""
        for customer in self._customers.values():
            self._close_all(customer)
        self._customers.clear()
        self._idle.clear()
        return self.closed()

    def why_unpriceable(self, at: float) -> str | None:
        """Why a message delivered at ``at`` cannot be priced (no period has its date), or
        ``None`` if it can: :meth:`process` only takes business messages that can."""
        first, end = self._priced
        return None if first <= at < end else why_unpriceable(at, self._zone)

    @property
    def customers_in_play(self) -> int:
        """Customers for whom some timer is still running (the engine's memory)."""
        return len(self._customers)

    def _deliver(self, customer: _Customer, event: Event) -> MessageRecord:
        at, _, kind, number, message_id, category, _, _, _, details = event
        day = self._calendar.day(at)
        if customer.market_day != day:
            customer.market = self._markets.market_of_country(customer.country, day)
            customer.market_day = day
        if day != self._period_day:
            self._period_day, self._period = day, self._periods.on(day)
        period = self._period
        # The rarer cases are asked first, each in one cheap test: most messages pass them all.
        if details is not None and details.failed is not None:
            outcome: Outcome = self._not_delivered(customer, event, details.failed)
        elif kind in SENT_APART and (apart := self._sent_apart(customer, event, day)) is not None:
            outcome = apart
        elif category == MARKETING and marketing_blocked(customer.country, day):
            rule = Rule.US_MARKETING_BLOCKED
            outcome = (UNDELIVERED, None, self._free, rule, rule.reason(), "")
        elif at >= customer.window_until and kind in REJECTED_REASONS:
            reason = REJECTED_REASONS[kind]
            outcome = (REJECTED, None, self._free, Rule.CSW_CLOSED, reason, "")
        elif kind == AGENT:
            outcome = self._send_agent_message(customer, event, day, period)
        elif customer.free_entry_point is not None:
            outcome = self._join_free_entry_point(customer)
        elif at < customer.offer_until and not (period.two_categories and customer.open):
            outcome = self._open_free_entry_point(customer, event, period)
        elif period.per_message:
            outcome = self._send_per_message(customer, event, day, period)
        elif period.two_categories:
            outcome = self._send_in_two_categories(customer, event, day, period)
        elif category is not None:
            outcome = self._send_template(customer, event, day)
        else:
            outcome = self._send_free_form(customer, event, day, period)
        status, conversation, charge, rule, reason, reported = outcome
        provisional = kind != BUSINESS_CALL and self._is_provisional(day, charge)
        if provisional:
            reason += self._provisional_note
        key = (rule, reported, charge.amount != 0, period.per_message)
        report = self._reports.get(key, _UNKNOWN)
        if report is _UNKNOWN:
            report = self._reports[key] = webhook_report(*key)
        return MessageRecord(
            message_id,
            status,
            number,
            customer.market,
            conversation,
            charge,
            reason,
            rule,
            period.id,
            report,
            provisional,
        )

    def _sent_apart(self, customer: _Customer, event: Event, day: date) -> Outcome | None:
        """A call, or a Direct Send message Meta refuses; ``None`` for a Direct Send message
        the ordinary rules then price as a template of its category."""
        if event.kind == BUSINESS_CALL:
            return self._call(customer, event, day)
        if event.category == AUTHENTICATION and BSUID.fullmatch(event.customer):
            rule = Rule.DS_USER_ID_REFUSED
            return REJECTED, None, self._free, rule, rule.reason(), ""
        return None

    def _not_delivered(self, customer: _Customer, event: Event, code: int | str) -> Outcome:
        """A message Meta reports it did not deliver: never charged, and the reason says why.

        ``code`` is Meta's error code, or ``expired`` (the models take nothing else).
        """
        message = f"{event.category} {WORDS[event.kind]}" if event.category else WORDS[event.kind]
        if isinstance(code, str):
            rule = Rule.FAILED_EXPIRED
            reason = rule.reason(message=message, ttl=time_to_live(event.category))
            return UNDELIVERED, None, self._free, rule, reason, ""
        note = ""
        if code == PER_USER_LIMIT:
            if customer.country in NO_PER_USER_LIMITS:
                note = (
                    "; Meta says its per-user marketing limits are not active for users in the "
                    "EEA, the UK, Japan or South Korea, as this customer is"
                )
            elif event.at < customer.window_until:
                note = (
                    "; Meta says marketing templates sent inside a customer service window the "
                    "customer opened do not count toward the limit, and this one was"
                )
        rule = Rule.FAILED
        reason = rule.reason(message=message, code=code, meaning=meaning_of(code), note=note)
        return UNDELIVERED, None, self._free, rule, reason, ""

    def _call(self, customer: _Customer, event: Event, day: date) -> Outcome:
        """A business's call: charged per started pulse once accepted, which opens the window."""
        details = event.details
        assert details is not None
        if not details.accepted:
            rule = Rule.CALL_UNANSWERED
            return UNDELIVERED, None, self._free, rule, rule.reason(), ""
        self._refresh_window(customer, event)
        pulses = -(-details.seconds // PULSE_SECONDS)
        if pulses:
            charge, priced = self._price_call(customer, pulses, day)
        else:
            charge, priced = self._free, "no pulse started, so nothing is charged"
        rule = Rule.CALL_CHARGED
        reason = rule.reason(seconds=details.seconds, pulses=pulses, priced=priced)
        return DELIVERED, None, charge, rule, reason, ""

    def _price_call(self, customer: _Customer, pulses: int, day: date) -> Priced:
        """A call's charge: its pulses at the callee's calling rate, in the tier of the month's
        minutes with this call counted (a call crossing into a tier is priced wholly at it).

        Minutes are counted as started pulses, ten to the minute: Meta counts "minutes called"
        and bills pulses, and does not say more.
        """
        month = (day.year, day.month)
        self._call_pulses[month] = total = self._call_pulses.get(month, 0) + pulses
        minutes = -(-total // PULSES_PER_MINUTE)
        currency, market = self._currency, customer.market
        callee = customer.country or market
        unpriced = Charge(None, currency)
        if self._call_rates.card_for(callee, currency, day) is None:
            return unpriced, f"unpriced: no sourced {currency} calling rate for {market} on {day}"
        where = f"minute {minutes:,} of {day:%B %Y}, this call counted"
        tier = self._call_rates.tier_of(callee, currency, day, minutes)
        if tier is None:
            return unpriced, f"unpriced: no source says which calling tier {where} falls in"
        rate = self._call_rates.rate(callee, currency, day, tier)
        if isinstance(rate, Missing):
            return unpriced, f"unpriced: {where} is in calling tier {tier}, whose rate is unsourced"
        amount = rate.per_pulse * pulses
        return (
            Charge(amount, currency),
            f"charged {amount} {currency}, {rate.per_pulse} {currency} a pulse: tier {tier}'s "
            f"{market} calling rate of {rate.per_minute} {currency} a minute ({where})",
        )

    def _join_free_entry_point(self, customer: _Customer) -> Outcome:
        conversation = customer.free_entry_point
        assert conversation is not None
        rule = Rule.FEP_JOINED
        reason = rule.reason(conversation=conversation.id)
        return DELIVERED, conversation.ref, self._free, rule, reason, FREE_ENTRY_POINT

    def _open_free_entry_point(self, customer: _Customer, event: Event, period: Period) -> Outcome:
        closed = ", ".join(conversation.id for conversation in customer.open.values())
        for conversation in customer.open.values():
            conversation.expires = event.at
        self._close_all(customer)
        hours = period.free_entry_point_hours
        conversation = self._open(customer, event, FREE_ENTRY_POINT, self._free, hours * HOUR)
        customer.free_entry_point = conversation
        customer.offer_until = NEVER
        came_through = (
            "a click-to-WhatsApp ad"
            if customer.entry_point is EntryPoint.CLICK_TO_WHATSAPP_AD
            else "a Facebook Page call-to-action button"
        )
        closing = f" and ends {closed} early" if closed else ""
        rule = Rule.FEP_OPENED
        reason = rule.reason(
            came_through=came_through, conversation=conversation.id, hours=hours, closing=closing
        )
        return DELIVERED, conversation.ref, self._free, rule, reason, FREE_ENTRY_POINT

    def _send_in_two_categories(
        self, customer: _Customer, event: Event, day: date, period: Period
    ) -> Outcome:
        """Two categories: one conversation covers every message; the window decides its kind."""
        joined = next(iter(customer.open.values()), None)
        if joined is not None:
            rule = Rule.CBP2_JOINED
            reason = rule.reason(category=_words(joined.category), conversation=joined.id)
            return DELIVERED, joined.ref, self._free, rule, reason, joined.category
        in_window = event.at < customer.window_until
        category = USER_INITIATED if in_window else BUSINESS_INITIATED
        rule = Rule.CBP2_USER_INITIATED if in_window else Rule.CBP2_BUSINESS_INITIATED
        conversation = self._open(customer, event, category, self._free, CONVERSATION_LENGTH)
        free = period.free_conversations or 0
        counted = Counted(
            Tier.FREE_CONVERSATIONS, event.id, day, rule, Charge(None, self._currency),
            priced="", conversation=conversation.id, category=category, allowance=free,
        )  # fmt: skip
        number = self._counters.next(_free_tier(day), event.at, event.order, free, counted)
        charge, rule, reason = self._at_position(counted, number)
        conversation.charge = charge
        return DELIVERED, conversation.ref, charge, rule, reason, category

    def _send_agent_message(
        self, customer: _Customer, event: Event, day: date, period: Period
    ) -> Outcome:
        """Meta Business Agent messages: per token from 2026-08-01, free entry point or not."""
        if not period.agent_messages_charged:
            rule = Rule.MBA_NOT_YET_CHARGED
            return DELIVERED, None, self._free, rule, rule.reason(), ""
        rate = self._rates.agent_rate(self._currency, day)
        rule = Rule.MBA_CHARGED
        if rate is None:
            priced = f"unpriced: no sourced {self._currency} rate per token is known"
            charge = Charge(None, self._currency)
        else:
            amount = event.tokens * rate / MILLION
            charge = Charge(amount, self._currency)
            priced = (
                f"{event.tokens:,} tokens at {rate} {self._currency} per million tokens, "
                f"{amount} {self._currency}"
            )
        return DELIVERED, None, charge, rule, rule.reason(priced=priced), ""

    def _send_template(self, customer: _Customer, event: Event, day: date) -> Outcome:
        category = event.category
        assert category is not None
        conversation = customer.open.get(category)
        if conversation is not None:
            rule = Rule.CBP_TEMPLATE_JOINED
            reason = rule.reason(category=category, conversation=conversation.id)
            return DELIVERED, conversation.ref, self._free, rule, reason, category
        charge, priced = self._price(customer, category, day)
        conversation = self._open(customer, event, category, charge, CONVERSATION_LENGTH)
        rule = Rule.CBP_TEMPLATE_OPENED
        reason = rule.reason(category=category, conversation=conversation.id, priced=priced)
        return DELIVERED, conversation.ref, charge, rule, reason, category

    def _send_free_form(
        self, customer: _Customer, event: Event, day: date, period: Period
    ) -> Outcome:
        if customer.open:
            conversation = customer.open.get(SERVICE) or next(iter(customer.open.values()))
            category = conversation.category
            rule = Rule.CBP_FREE_FORM_JOINED
            reason = rule.reason(category=category, conversation=conversation.id)
            return DELIVERED, conversation.ref, self._free, rule, reason, category
        allowance = period.free_service_conversations
        if allowance is None:
            conversation = self._open(customer, event, SERVICE, self._free, CONVERSATION_LENGTH)
            rule = Rule.CBP_SERVICE_FREE
            reason = rule.reason(conversation=conversation.id)
            return DELIVERED, conversation.ref, self._free, rule, reason, SERVICE
        charge, priced = self._price(customer, SERVICE, day)
        conversation = self._open(customer, event, SERVICE, charge, CONVERSATION_LENGTH)
        counted = Counted(
            Tier.FREE_SERVICE, event.id, day, Rule.CBP_SERVICE_OPENED, charge, priced,
            conversation=conversation.id, allowance=allowance,
        )  # fmt: skip
        number = self._counters.next(_free_tier(day), event.at, event.order, allowance, counted)
        charge, rule, reason = self._at_position(counted, number)
        conversation.charge = charge
        return DELIVERED, conversation.ref, charge, rule, reason, SERVICE

    def _send_per_message(
        self, customer: _Customer, event: Event, day: date, period: Period
    ) -> Outcome:
        carried = (
            customer.open.get(event.category)
            if event.category is not None
            else customer.open.get(SERVICE) or next(iter(customer.open.values()), None)
        )
        if carried is not None:
            rule = Rule.PMP_CARRIED_OVER
            reason = rule.reason(
                category=carried.category,
                conversation=carried.id,
                began=PER_MESSAGE_PRICING_STARTS,
            )
            return DELIVERED, carried.ref, self._free, rule, reason, carried.category
        category = event.category
        if category is None:
            return self._send_service_message(customer, event, day, period)
        in_window = event.at < customer.window_until
        if category == UTILITY and in_window and period.utility_free_in_service_window:
            rule = Rule.PMP_UTILITY_IN_WINDOW
            return DELIVERED, None, self._free, rule, rule.reason(), category
        where = " inside the customer service window" if in_window else ""
        international = self._is_international(customer, category, day)
        reported = self._international.name if international else category
        direct = event.kind == Kind.DIRECT_SEND
        rule = Rule.DS_CHARGED if direct else Rule.PMP_CHARGED
        details = event.details
        route = None if direct or details is None else self._route(details.via)
        charge, priced = self._price(customer, category, day)
        if reported in self._tiered:  # the rate charged, as Meta's webhook names it
            # Charged utility and authentication messages, per market, category and local month,
            # those at the international rate counted with the others (sent through the default
            # route: the only other one sends marketing alone).
            assert route is None, f"a {category} message through the {route} route"
            counted = Counted(
                Tier.VOLUME, event.id, day, rule, charge, priced, category=category,
                where=where, market=customer.market, international=international,
            )  # fmt: skip
            key = ("volume tier", customer.market, category, day.year, day.month)
            number = self._counters.next(key, event.at, event.order, None, counted)
            charge, rule, reason = self._at_position(counted, number)
        elif route is None:
            reason = rule.reason(category=category, where=where, priced=priced)
        else:
            assert details is not None
            reported = route.reported or reported
            charge, rule, reason = self._send_through(
                route, details.max_price, charge, priced, where
            )
        return DELIVERED, None, charge, rule, reason, reported

    def _route(self, via: str) -> Route | None:
        """The route a message was sent through, unless the default one."""
        return None if via == DEFAULT_ROUTE else self.vocabulary.route_named[via]

    def _send_through(
        self, route: Route, cap: Decimal | None, charge: Charge, priced: str, where: str
    ) -> tuple[Charge, Rule, str]:
        """A marketing template sent through the Marketing Messages API: the marketing rate,
        or, with a max price, at most the cap per delivery (Meta charges it or less)."""
        if cap is None or route.max_price_per is None:
            rule = Rule.MM_CHARGED
            return charge, rule, rule.reason(where=where, priced=priced)
        per, currency = route.max_price_per, self._currency
        capped = Charge(cap / per, currency, at_most=True)
        rule = Rule.MM_MAX_PRICE
        facts = {"cap": cap, "per": per, "currency": currency, "amount": capped.amount}
        return capped, rule, rule.reason(priced=priced, **facts)

    def _send_service_message(
        self, customer: _Customer, event: Event, day: date, period: Period
    ) -> Outcome:
        if not period.service_messages_charged:
            rule = Rule.PMP_SERVICE_FREE
            return DELIVERED, None, self._free, rule, rule.reason(), SERVICE
        allowance = period.reported_free_service_messages
        if allowance and self._account.unconfirmed_free_service_messages:
            key = ("free service messages", event.business_number, day.year, day.month)
            number = self._counters.next(key, event.at, event.order, allowance)
            if number <= allowance:
                rule = Rule.PMP_FREE_SERVICE_UNCONFIRMED
                reason = rule.reason(number=number, month=f"{day:%B %Y}")
                return DELIVERED, None, self._free, rule, reason, SERVICE
        charge, priced = self._price(customer, SERVICE, day)
        rule = Rule.PMP_SERVICE_CHARGED
        return DELIVERED, None, charge, rule, rule.reason(priced=priced), SERVICE

    def at_position(self, counted: Counted, number: int) -> tuple[Charge, Rule, str]:
        """A counted message's charge, rule and reason (as its record has them) once its
        position in its count is known to be ``number``."""
        charge, rule, reason = self._at_position(counted, number)
        if self._is_provisional(counted.day, charge):
            reason += self._provisional_note
        return charge, rule, reason

    def _is_provisional(self, day: date, charge: Charge) -> bool:
        """Whether a message's charge is at the latest sourced card on a day after Meta could
        have changed it (a call's pulses are not: their rates are dated apart)."""
        return day >= self._provisional_from and bool(charge.amount)

    def _at_position(self, counted: Counted, number: int) -> tuple[Charge, Rule, str]:
        """What a position sets of a counted message: inside a free tier's allowance it is
        free, past it as ``counted`` says; in a volume tier, its tier's rate."""
        tier, conversation = counted.tier, counted.conversation
        if tier == Tier.VOLUME:
            charge, priced = self._in_volume_tier(counted, number)
            rule = counted.rule
            return charge, rule, rule.reason(category=counted.category, where=counted.where,
                                             priced=priced)  # fmt: skip
        allowance = counted.allowance
        if number > allowance:  # past the allowance: as the message was priced
            rule = counted.rule
            if tier == Tier.FREE_CONVERSATIONS:
                reason = rule.reason(kind=_words(counted.category), conversation=conversation,
                                     currency=self._currency)  # fmt: skip
            else:
                reason = rule.reason(conversation=conversation, priced=counted.priced,
                                     allowance=allowance)  # fmt: skip
            return counted.charge, rule, reason
        month = f"{counted.day:%B %Y}"  # only here: formatting a date costs a microsecond
        if tier == Tier.FREE_CONVERSATIONS:
            rule = Rule.CBP2_FREE_TIER
            kind = _words(counted.category)
            reason = rule.reason(kind=kind, conversation=conversation, number=number,
                                 allowance=allowance, month=month)  # fmt: skip
        else:
            rule = Rule.CBP_FREE_TIER
            reason = rule.reason(conversation=conversation, number=number, allowance=allowance,
                                 month=month)  # fmt: skip
        return self._free, rule, reason

    def _in_volume_tier(self, counted: Counted, number: int) -> Priced:
        """A volume tier's message at its list rate (``counted``), with the tier of the month's
        ``number``-th message, where the tiers are known."""
        charge, priced, day = counted.charge, counted.priced, counted.day
        market, category = counted.market, counted.category
        rate = self._international.name if counted.international else category
        tiers = self._rates.tiers_for(self._currency, market, self._column_of[rate], day)
        list_rate = charge.amount
        if list_rate is None:  # unpriced whatever its tier
            return charge, priced
        if tiers is None:
            return charge, (
                f"{priced} (the list rate: the shipped data has no {self._currency} volume tiers "
                f"for {market} {rate} on that day)"
            )
        discount = tiers.discount(number)
        tier = f"message {number:,} of {day:%B %Y} for {market} {category}"
        if discount is None:
            unpriced = Charge(None, self._currency)
            return unpriced, f"unpriced: {tier} falls in a volume tier whose rate is not known"
        if not discount:
            return charge, f"{priced} ({tier}, in the first volume tier)"
        published = tiers.published_rate(number)
        amount = list_rate * (1 - discount) if published is None else published
        return (
            Charge(amount, self._currency),
            f"charged {amount} {self._currency}: {tier} is in the volume tier "
            f"{discount:.0%} below the {rate} list rate of {list_rate}",
        )

    def _is_international(self, customer: _Customer, category: str, day: date) -> bool:
        """Whether an authentication message crosses from the business's location to a market
        that has an authentication-international rate on that day: none had one before Meta
        introduced it, and a market without one (``n/a``, or not yet) keeps its authentication
        rate."""
        account = self._account
        if not (
            account.authentication_international
            and category == self._international.rate_of
            and customer.country != account.primary_business_location
            and day >= AUTHENTICATION_INTERNATIONAL_LAUNCH
        ):
            return False
        column = self._column_of[self._international.name]
        return any(
            self._rates.rate(self._currency, market, column, day) is not Missing.NOT_APPLICABLE
            for market in readings(customer.market)
        )

    def _price(self, customer: _Customer, category: str, day: date) -> Priced:
        """The list price of a conversation or message, and how it was priced, in words."""
        international = self._is_international(customer, category, day)
        key = (customer.market, category, day, international)
        priced = self._prices.get(key)
        if priced is None:
            priced = self._look_up_price(customer.market, category, day, international)
            self._prices[key] = priced
        return priced

    def _look_up_price(self, market: str, category: str, day: date, international: bool) -> Priced:
        markets = readings(market)
        if len(markets) > 1:
            return self._look_up_readings(markets, category, day, international)
        currency = self._currency
        if international:
            name, column = self._international.name, self._column_of[self._international.name]
            rate = self._rates.rate(currency, market, column, day)
            if isinstance(rate, Decimal):
                return (
                    Charge(rate, currency),
                    f"charged at the {market} {name} rate of {rate} "
                    f"{currency}, as the business's primary location is elsewhere",
                )
            if rate is Missing.UNKNOWN:
                return (
                    Charge(None, currency),
                    f"unpriced: the business's primary location is elsewhere, and no sourced "
                    f"{currency} {name} rate for {market} on {day} is known",
                )
        rate = self._rates.rate(currency, market, self._column_of[category], day)
        if rate is Missing.NOT_APPLICABLE:
            return (
                Charge(None, currency),
                f"unpriced: Meta's {currency} card has no {market} {category} rate on {day}",
            )
        if isinstance(rate, Missing):
            return (
                Charge(None, currency),
                f"unpriced: no sourced {currency} rate for {market} {category} on {day}",
            )
        return (
            Charge(rate, currency),
            f"charged at the {market} {category} rate of {rate} {currency}",
        )

    def _look_up_readings(
        self, markets: tuple[str, ...], category: str, day: date, international: bool
    ) -> Priced:
        """Meta's table allows several markets: a charge only where every reading agrees."""
        prices = [self._look_up_price(market, category, day, international) for market in markets]
        amounts = {charge.amount for charge, _ in prices}
        named = " or ".join(markets)
        each = "; ".join(
            f"as {market}, {priced}" for market, (_, priced) in zip(markets, prices, strict=True)
        )
        if len(amounts) == 1 and None not in amounts:
            charge = prices[0][0]
            return charge, (
                f"charged {charge.amount} {self._currency}: Meta's market table leaves open "
                f"whether this number was priced as {named}, and every reading gives that ({each})"
            )
        return Charge(None, self._currency), (
            f"unpriced: Meta's market table leaves open whether this number was priced as "
            f"{named} ({each})"
        )

    def _open(
        self,
        customer: _Customer,
        event: Event,
        category: str,
        charge: Charge,
        length: float,
    ) -> _Conversation:
        number = f"c{self._counters.next(CONVERSATIONS, event.at, event.order)}"
        conversation = _Conversation(
            id=number,
            customer=event.customer,
            market=customer.market,
            category=category,
            opened=event.at,
            expires=event.at + length,
            charge=charge,
            ref=ConversationRef(number, category),
        )
        if category != FREE_ENTRY_POINT:
            customer.open[category] = conversation
        customer.latest = max(customer.latest, conversation.expires)
        customer.next_expiry = min(customer.next_expiry, conversation.expires)
        return conversation

    def _expire(self, customer: _Customer, now: float) -> None:
        """Reports the conversations of a customer that have ended by ``now``."""
        entry = customer.free_entry_point
        if entry is not None and entry.expires <= now:
            self._closed.append(entry)
            customer.free_entry_point = None
        for category, conversation in list(customer.open.items()):
            if conversation.expires <= now:
                self._closed.append(conversation)
                del customer.open[category]
        ends = [conversation.expires for conversation in customer.open.values()]
        if customer.free_entry_point is not None:
            ends.append(customer.free_entry_point.expires)
        customer.next_expiry = min(ends, default=math.inf)

    def _close_all(self, customer: _Customer) -> None:
        if customer.free_entry_point is not None:
            self._closed.append(customer.free_entry_point)
            customer.free_entry_point = None
        self._closed.extend(customer.open.values())
        customer.open.clear()
        customer.next_expiry = math.inf

    def _sweep(self, now: float) -> None:
        """Forgets customers whose timers have all run out before the hour of ``now``."""
        bucket = int(now // HOUR)
        for hour in sorted(hour for hour in self._idle if hour < bucket):
            for number in self._idle.pop(hour):
                customer = self._customers.get(number)
                if customer is not None and customer.latest <= now:
                    self._close_all(customer)
                    del self._customers[number]
        self._next_sweep = (bucket + 1) * HOUR


def _free_tier(day: date) -> Key:
    """Free conversations of a local month: service ones, or, before 2023-06-01, any."""
    return ("free tier", day.year, day.month)


def _words(category: str) -> str:
    """``user_initiated`` as a reason says it: ``user-initiated``."""
    return category.replace("_", "-")
