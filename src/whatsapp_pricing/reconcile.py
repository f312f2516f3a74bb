"""Why was I charged for this? Meta's webhook log, checked message by message against the rules.

The log is turned back into a timeline (customers' messages, and each business message at its
delivery time with the category Meta reported), the engine prices it, and what Meta reported in
each message's ``pricing`` and ``conversation`` objects is compared with the engine's record of
the message, which says what Meta should report. No rule, period or calendar is worked out here.

Webhooks arrive at least once and not quite in time order, so the :class:`Reconciler` holds each
event back until the log has moved a reorder *window* past it, then hands it to the engine in
time order; each message is counted once, from the earliest status of each kind. A finding is
settled once the message's conversation has ended. Memory therefore follows what is still open
(events inside the window, open conversations, messages whose statuses may still arrive, the
names of customers who may still have any of these), not the length of the log.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, NamedTuple, TypeVar

import msgspec

from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import (
    ENTRY_POINT_REPLY_WINDOW,
    FREE_ENTRY_POINT,
    FREE_ENTRY_POINT_LENGTH,
    HOUR,
    REJECTED,
    ConversationEngine,
    Counters,
    Event,
    Kind,
)
from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.identities import ContactBook
from whatsapp_pricing.markets import is_customer_id
from whatsapp_pricing.periods import REPORTED_FREE_SERVICE
from whatsapp_pricing.rate_cards import RateBook
from whatsapp_pricing.records import (
    FREE_ENTRY_POINT_CATEGORY,
    ConversationRef,
    MessageRecord,
    Rule,
)
from whatsapp_pricing.webhooks import CategoryChange, Inbound, LogItem, Skipped, StatusUpdate

CLOCK_SKEW = HOUR
"""How far past the time of the run a line's time may be and still be believed."""
EXPIRY_TOLERANCE = 60.0
"""Seconds Meta's expiry may differ from ours: Meta's expiries fall on whole minutes."""
DEFAULT_WINDOW = 24 * HOUR
"""How far behind later lines a line may arrive and still be placed in time order.

Meta retries a webhook it could not deliver, so a status can reach the log after later ones.
"""
STATUS_HORIZON = 30 * 24 * HOUR
"""Meta drops a message still undelivered after 30 days, so its statuses can arrive that late; a
message with no delivery by then is reported undelivered."""
T = TypeVar("T")
REPORTED_FREE_SERVICE_MESSAGES = REPORTED_FREE_SERVICE.reported_free_service_messages
GROUP_CATEGORIES = {"group_marketing", "group_utility", "group_service"}
"""Groups API messages: charged per delivered member, which these rules do not model."""
DELIVERY_STATUSES = ("delivered", "read")
LONGEST_TIMER = ENTRY_POINT_REPLY_WINDOW + FREE_ENTRY_POINT_LENGTH
"""The longest any of the rules' timers runs after a customer's last event: a reply to an ad
opens a free entry point conversation up to a day later, which lasts 72 hours."""


class Place(NamedTuple):
    """Where an item stands in the whole log, for a run that reads only part of it (on Spark).

    A run over the whole log knows all this by itself; a run over one customer's lines is told
    it, so that it releases, cleans up and judges lateness exactly as the whole run would.
    """

    order: int
    """The item's position in the log: ties in time are broken by it."""
    clock: float = -math.inf
    """The latest time of the lines before it that named a customer, in the whole log."""
    account_clock: float = -math.inf
    """The same, among its own account's lines."""


def contact_book_for(window: float) -> ContactBook:
    """A table of customers' names that keeps each link as long as the rules may need it: past
    the customer's last line by the longest timer, and by the reorder window on either side."""
    return ContactBook(keep=LONGEST_TIMER + 2 * window)


@dataclass(frozen=True, slots=True)
class SentTemplate:
    """What the business's own records say it sent: webhooks do not name the template."""

    template: str
    category: str | None = None
    """The category the business sent it as, if it knows."""


def read_sent(data: bytes, source: str) -> dict[str, SentTemplate]:
    """The business's own record of templates sent, a CSV: ``message_id,template[,category]``.

    ``source`` names the file in errors, which say which line is at fault.
    """
    rows = csv.DictReader(data.decode("utf-8-sig", errors="replace").splitlines())
    if not {"message_id", "template"} <= set(rows.fieldnames or ()):
        raise UsageError(f"{source}: needs the columns message_id and template (category optional)")
    sent = {}
    for number, row in enumerate(rows, start=2):
        if not row["message_id"] or not row["template"]:
            raise UsageError(f"{source}, line {number}: message_id and template must not be empty")
        category = (row.get("category") or "").strip().lower() or None
        sent[row["message_id"]] = SentTemplate(row["template"], category)
    return sent


@dataclass(slots=True, eq=False)
class _Message:
    """Everything the log says about one business message, until its finding is settled."""

    id: str
    customer: str
    """The recipient: the number once any line linked one, else the business-scoped user id."""
    user_id: str = ""
    """The recipient's business-scoped user id, once a status carried it."""
    business_number: str = ""
    """The business number that sent it (``metadata.phone_number_id``)."""
    first_seen: dict[str, float] = field(default_factory=dict)
    pricing: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None
    expiration: float | None = None
    held_until: float = math.nan
    """The time it is held back for (a stale entry in the queue has another)."""
    placed: int = -1
    """The place in the log of the line that held it back for that time."""
    priced_at: float | None = None
    """The delivery time the engine priced it at, once it has."""
    late_line: int = 0
    """A delivery status that came too late to be placed in time order."""

    delivered_at: float | None = None
    """Delivery time; a ``read`` without ``delivered`` means it was delivered then too."""
    due: float = math.inf
    """When the log can say what became of it: at delivery, failure, or the horizon."""

    def take(self, update: StatusUpdate, customer: str) -> None:
        """Takes a status, whose recipient the log's links call ``customer``."""
        if update.user_id:
            self.user_id = update.user_id
        if customer.startswith("+") or not self.customer.startswith("+"):
            self.customer = customer
        self.business_number = self.business_number or update.business_number
        seen = self.first_seen
        if update.at < seen.get(update.status, math.inf):
            seen[update.status] = update.at
            self.delivered_at = seen.get("delivered", seen.get("read"))
            if self.delivered_at is not None:
                self.due = self.delivered_at
            elif "failed" in seen:
                self.due = seen["failed"]
            else:
                self.due = min(seen.values()) + STATUS_HORIZON
        if update.pricing is not None and (self.pricing is None or update.status != "sent"):
            self.pricing = update.pricing
        if update.conversation is not None:
            self.conversation = self.conversation or update.conversation
            expiry = update.conversation.get("expiration_timestamp")
            if expiry is not None:
                self.expiration = float(expiry)


@dataclass(slots=True)
class Finding:
    """One message compared: what Meta reported, what the rules predict, and whether they agree."""

    message: str
    outcome: str
    """``agrees``, ``disagrees``, ``failed``, ``undelivered`` or ``unknown``."""
    detail: str
    meta: dict[str, Any] = field(default_factory=dict)
    predicted: dict[str, Any] = field(default_factory=dict)
    flag: str = ""
    """Set when Meta billed a template at a category other than the one it was sent as."""
    customer: str = ""
    """The customer's number, or their business-scoped user id if Meta never gave the number."""
    user_id: str = ""
    """The customer's business-scoped user id, where the log gave it."""
    account: str = ""
    """The WhatsApp Business Account the message was sent from (the entry's ``id``)."""
    business_number: str = ""
    """The business phone number it was sent from (``metadata.phone_number_id``)."""
    currency: str = ""
    """The currency of that account's rate card, in which ``predicted["charge"]`` is."""


@dataclass(slots=True)
class CategoryCost:
    """What the rules charge for one category of a log's messages, beside what Meta billed."""

    messages: int = 0
    amount: Decimal = Decimal(0)
    """The sum of the priced charges."""
    unpriced: int = 0
    billable: int = 0
    """How many of the messages Meta marked ``billable``."""
    disagreements: int = 0
    disagreeing_amount: Decimal = Decimal(0)
    """What the rules charge for the messages on which Meta and the rules disagree."""


class Costs:
    """What a log's checked messages cost by the rules, per ``pricing.category``."""

    def __init__(self) -> None:
        self.by_category: dict[tuple[str, str, str], CategoryCost] = {}
        """Costs by account, currency and category."""

    def take(self, finding: Finding) -> None:
        if finding.outcome not in ("agrees", "disagrees") or "charge" not in finding.predicted:
            return
        category = str(finding.predicted.get("category") or finding.meta.get("category") or "?")
        key = (finding.account, finding.currency, category)
        cost = self.by_category.setdefault(key, CategoryCost())
        cost.messages += 1
        cost.billable += finding.meta.get("billable") is True
        charge = finding.predicted["charge"]
        amount = Decimal(0) if charge == "unpriced" else Decimal(charge)
        cost.unpriced += charge == "unpriced"
        cost.amount += amount
        if finding.outcome == "disagrees":
            cost.disagreements += 1
            cost.disagreeing_amount += amount


OUTCOMES = ("agrees", "disagrees", "failed", "undelivered", "unknown")
UNCHECKED = ("disagrees", "unknown")
"""Outcomes that leave a log not clean: the rules disagree, or could not check the message."""


def is_clean(outcomes: Mapping[str, int], broken_lines: int) -> bool:
    """Whether a log is clean, from how many findings had each outcome and its broken lines."""
    return not broken_lines and not any(outcomes.get(outcome) for outcome in UNCHECKED)


@dataclass
class Reconciliation:
    """The findings for every business message, every line the log could not use, and the
    template category changes it announced."""

    findings: list[Finding]
    skipped: list[Skipped]
    category_changes: list[CategoryChange] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every message checked and agreeing, and no broken input."""
        outcomes = Counter(finding.outcome for finding in self.findings)
        return is_clean(outcomes, sum(skip.bad for skip in self.skipped))

    def count(self, outcome: str) -> int:
        return sum(finding.outcome == outcome for finding in self.findings)


def reconcile(
    log: Iterable[LogItem],
    account: Account | None,
    rate_book: RateBook | None = None,
    *,
    window: float = DEFAULT_WINDOW,
    sent: Mapping[str, SentTemplate] | None = None,
    now: float | None = None,
    accounts: Mapping[str, Account] | None = None,
) -> Reconciliation:
    """Compares a webhook log with what the rules predict for it, all findings in one list.

    ``account`` applies to every WhatsApp Business Account in the log, unless ``accounts``
    gives each its own (by id); each account is reconciled on its own either way.
    """
    reconciler = Accounts(account, accounts, rate_book, window=window, sent=sent, now=now)
    result = Reconciliation([], [], reconciler.category_changes)
    for settled in reconciler.read(log):
        if isinstance(settled, Finding):
            result.findings.append(settled)
        else:
            result.skipped.append(settled)
    return result


class Accounts:
    """Reconciles a log with lines from several WhatsApp Business Accounts, each on its own.

    A conversation, a window and a free tier belong to one account, so each account's lines go
    to a :class:`Reconciler` of their own, with that account's time zone and currency: from
    ``accounts`` by id, or ``default`` for every account when there is no such list. A line of
    an account the list does not have is reported, never priced with another's settings.
    """

    def __init__(
        self,
        default: Account | None,
        accounts: Mapping[str, Account] | None = None,
        rate_book: RateBook | None = None,
        *,
        window: float = DEFAULT_WINDOW,
        sent: Mapping[str, SentTemplate] | None = None,
        now: float | None = None,
        counters: Callable[[str], Counters] | None = None,
    ) -> None:
        if default is None and accounts is None:
            raise ValueError("give the account's settings, or a list of accounts")
        self._default, self._accounts = default, accounts
        self._rate_book, self._window, self._sent = rate_book, window, sent
        self._now = time.time() if now is None else now
        self._counters = counters
        """The counters of each account's engine, by account id (the engine's own if none)."""
        self._items = itertools.count()
        self._reconcilers: dict[str, Reconciler] = {}
        self._contact_book = contact_book_for(window)
        """One table of customers' names for every account: a business-scoped user id names
        a customer across the accounts of a portfolio, a parent id across portfolios."""
        self.category_changes: list[CategoryChange] = []
        """Every template category change the log announced, in log order."""

    @property
    def open_state(self) -> int:
        held = sum(reconciler.held for reconciler in self._reconcilers.values())
        return held + len(self._contact_book)

    def read(self, log: Iterable[LogItem]) -> Iterator[Finding | Skipped]:
        """Reconciles a whole log: findings as they settle, and every line it could not use."""
        for item in log:
            yield from self.add(item)
        yield from self.finish()

    def add(self, item: LogItem, place: Place | None = None) -> list[Finding | Skipped]:
        """Takes the next item of the log, or one of part of it at ``place`` in the whole."""
        order = next(self._items) if place is None else place.order
        if isinstance(item, Skipped):
            return [item]
        reconciler = self._reconcilers.get(item.account) or self._start(item.account)
        if reconciler is None:
            why = f"account {item.account or '(none given)'} is not in the list of accounts"
            return [Skipped(item.line, why + ": not priced with another account's settings", True)]
        if isinstance(item, CategoryChange):
            self.category_changes.append(item)
        if place is None:
            return reconciler.add(item, order)
        self._contact_book.advance(place.clock)
        settled = reconciler.advance(place.account_clock)
        return settled + reconciler.add(item, order)

    def finish(self) -> list[Finding | Skipped]:
        return [
            settled for reconciler in self._reconcilers.values() for settled in reconciler.finish()
        ]

    def _start(self, account_id: str) -> Reconciler | None:
        account = self._default if self._accounts is None else self._accounts.get(account_id)
        if account is None:
            return None
        reconciler = Reconciler(
            account,
            self._rate_book,
            window=self._window,
            sent=self._sent,
            now=self._now,
            account_id=account_id,
            contact_book=self._contact_book,
            counters=None if self._counters is None else self._counters(account_id),
        )
        self._reconcilers[account_id] = reconciler
        return reconciler


class TimeQueue(Generic[T]):
    """Items by time, ties in the order pushed; cheapest when they come nearly in time order.

    A log's lines mostly do, so items that arrive in order wait in a plain FIFO and only the
    stragglers go to a heap: most pops then cost no comparison at all.
    """

    def __init__(self) -> None:
        self._in_order: deque[tuple[float, int, T]] = deque()
        self._stragglers: list[tuple[float, int, T]] = []
        self._pushed = itertools.count()

    def __len__(self) -> int:
        return len(self._in_order) + len(self._stragglers)

    @property
    def first(self) -> float:
        """The earliest time held; only for a queue that holds something."""
        in_order, stragglers = self._in_order, self._stragglers
        if in_order:
            return min(in_order[0][0], stragglers[0][0]) if stragglers else in_order[0][0]
        return stragglers[0][0]

    def push(self, at: float, item: T, order: int | None = None) -> None:
        """Holds ``item`` for ``at``; ties go by ``order`` (by default, the order pushed), which
        must grow from one push to the next."""
        entry = (at, next(self._pushed) if order is None else order, item)
        if not self._in_order or at >= self._in_order[-1][0]:
            self._in_order.append(entry)
        else:
            heapq.heappush(self._stragglers, entry)

    def pop(self) -> tuple[float, int, T]:
        """The earliest entry: its time, its place in the order pushed, and the item."""
        in_order, stragglers = self._in_order, self._stragglers
        if in_order and (not stragglers or in_order[0][:2] < stragglers[0][:2]):
            return in_order.popleft()
        return heapq.heappop(stragglers)


class Reconciler:
    """Reconciles a log as it is read, settling each finding as soon as nothing can change it."""

    def __init__(
        self,
        account: Account,
        rate_book: RateBook | None = None,
        *,
        window: float = DEFAULT_WINDOW,
        sent: Mapping[str, SentTemplate] | None = None,
        now: float | None = None,
        account_id: str = "",
        contact_book: ContactBook | None = None,
        counters: Counters | None = None,
    ) -> None:
        self._engine = ConversationEngine(account, rate_book, counters=counters)
        self._vocabulary = self._engine.vocabulary
        """How Meta spells categories in ``pricing.category``, as the rules read them."""
        self._account_id, self._currency = account_id, account.currency
        self._latest = (time.time() if now is None else now) + CLOCK_SKEW
        """No line can be later than the run that reads it (give or take the clocks' skew)."""
        self._contact_book = contact_book_for(window) if contact_book is None else contact_book
        """Which names (number, user id, parent id) are one customer."""
        self._window = window
        self._sent = sent or {}
        self._queue: TimeQueue[Inbound | _Message] = TimeQueue()
        """Events held back until the log is a window past them, by time."""
        self._messages: dict[str, _Message] = {}
        """Messages whose findings are not settled yet."""
        self._awaiting: dict[str, _Message] = {}
        """Messages with neither a delivery nor a failure yet."""
        self._deadlines: TimeQueue[_Message] = TimeQueue()
        """The awaiting messages by when they are given up on (stale entries are skipped)."""
        self._settled: dict[str, float] = {}
        """When each settled message was delivered (infinity if never), by id, kept until its
        late statuses can no longer come."""
        self._forget: TimeQueue[str] = TimeQueue()
        self._clock = -math.inf
        """The latest time any line of the log has shown."""
        self._next_cleanup = -math.inf
        self._settled_now: list[Finding | Skipped] = []
        """What the item being read has settled."""
        self._waiting: dict[str, list[tuple[_Message, MessageRecord, list[str]]]] = {}
        """Priced messages by the rules' conversation, until the conversation ends, with what
        was wrong with their grouping when they were priced."""
        self._rules_of: dict[tuple[str, str], str] = {}
        """The rules' conversation id of each of Meta's, by customer and Meta's id."""
        self._meta_of: dict[str, tuple[str, str]] = {}
        """The customer and Meta's conversation id of each of the rules' ones."""
        self._unpair: TimeQueue[str] = TimeQueue()
        self._templates: dict[str, list[tuple[int, CategoryChange]]] = {}
        """Each template's category changes, with their places in the log."""
        self.category_changes: list[CategoryChange] = []
        """Every template category change the log announced, in log order."""

    @property
    def open_state(self) -> int:
        """How many events, messages, conversations and customers' names it holds: what its
        memory follows."""
        return self.held + len(self._contact_book)

    @property
    def held(self) -> int:
        """How many events, messages and conversations it holds."""
        pairs = len(self._rules_of) + len(self._meta_of)
        return len(self._queue) + len(self._messages) + len(self._settled) + pairs

    def read(self, log: Iterable[LogItem]) -> Iterator[Finding | Skipped]:
        """Reconciles a whole log: findings as they settle, and every line it could not use."""
        for order, item in enumerate(log):
            yield from self.add(item, order)
        yield from self.finish()

    @property
    def _horizon(self) -> float:
        """Lines more than the reorder window behind the latest line are too late to place."""
        return self._clock - self._window

    def add(self, item: LogItem, order: int) -> list[Finding | Skipped]:
        """Takes one item of the log, at ``order`` in it; returns whatever it settles."""
        settled = self._settled_now = []
        if not isinstance(item, Skipped) and item.at > self._latest:
            settled.append(self._implausible(item.line, item.at))
            return settled
        if isinstance(item, Inbound | StatusUpdate):
            customer = self._contact_book.named(
                item.customer, item.user_id, item.parent_user_id, item.at
            )
        if isinstance(item, StatusUpdate):
            self._status(item, customer, order)
        elif isinstance(item, Inbound):
            if item.at < self._horizon:
                settled.append(self._too_late(item.line, item.at))
                return settled
            # Held under the best name known now: a link learnt later still applies.
            named = item if customer == item.customer else item._replace(customer=customer)
            self._queue.push(item.at, named, order)
        elif isinstance(item, CategoryChange):
            self.category_changes.append(item)
            self._templates.setdefault(item.template, []).append((order, item))
            return settled
        else:
            settled.append(item)
            return settled
        self._advance(item.at)
        return settled

    def advance(self, clock: float) -> list[Finding | Skipped]:
        """Moves the log's clock on to ``clock``, as other customers' lines would have: for a
        run over part of the log. Returns whatever that settles."""
        settled = self._settled_now = []
        self._advance(clock)
        return settled

    def _advance(self, clock: float) -> None:
        """Hands the engine what is now a window behind the clock, and at each new hour of
        that, settles what can no longer be delivered."""
        if clock <= self._clock:
            return
        self._clock = clock
        until = clock - self._window
        if self._queue and self._queue.first <= until:
            self._release(until)
        hour = until // HOUR * HOUR
        if hour >= self._next_cleanup:
            self._clean_up(hour)

    def finish(self) -> list[Finding | Skipped]:
        """Settles everything still held: the log has ended."""
        settled = self._settled_now = []
        self._release(math.inf)
        self._give_up_on_delivery(math.inf)
        for conversation in self._engine.finish():
            self._settle_conversation(conversation.id, conversation.expires_at)
        return settled

    def _status(self, update: StatusUpdate, customer: str, order: int) -> None:
        settled_delivery = self._settled.get(update.message)
        if settled_delivery is not None:
            if update.status in DELIVERY_STATUSES and update.at < settled_delivery:
                self._settled_now.append(self._too_late(update.line, update.at))
            return  # a repeat of a status already counted, or one that changes nothing
        message = self._messages.get(update.message)
        horizon = self._horizon
        if message is None:
            if update.at < horizon:
                self._settled_now.append(self._too_late(update.line, update.at))
                return
            message = self._messages[update.message] = _Message(update.message, customer)
        before = message.due
        message.take(update, customer)
        due = message.due
        if message.priced_at is not None:
            if due < message.priced_at:
                message.late_line = message.late_line or update.line
        elif message.delivered_at is None and "failed" not in message.first_seen:
            if due != before or message.id not in self._awaiting:
                self._awaiting[message.id] = message
                self._deadlines.push(due, message)
        elif due != message.held_until:
            self._awaiting.pop(message.id, None)
            if due < horizon:
                message.late_line = message.late_line or update.line
            message.held_until = max(due, horizon)
            message.placed = order
            self._queue.push(message.held_until, message, order)

    def _implausible(self, line: int, at: float) -> Skipped:
        return Skipped(
            line,
            f"its time ({_utc(at)} UTC) is after this run ({_utc(self._latest - CLOCK_SKEW)} "
            "UTC): implausible, so nothing on the line is priced",
            bad=True,
        )

    def _too_late(self, line: int, at: float) -> Skipped:
        return Skipped(
            line,
            f"its time ({_utc(at)}) is more than the reorder window ({self._window / HOUR:g} h) "
            "behind lines before it, too late to place in time order; try a wider --window",
            bad=True,
        )

    def _release(self, until: float) -> None:
        """Hands the engine, in time order, every held event up to ``until``."""
        queue, engine = self._queue, self._engine
        unpair = self._unpair
        while queue and queue.first <= until:
            at, order, event = queue.pop()
            while unpair and unpair.first <= at:
                self._forget_pair(unpair.pop()[2])
            if isinstance(event, Inbound):
                customer = self._contact_book.name_of(event.customer)
                if is_customer_id(customer):
                    kind = Kind.CUSTOMER_MESSAGE
                    engine.process(Event(at, order, kind, customer, "", None, event.entry_point))
            elif event.held_until == at and event.priced_at is None and self._is_held(event):
                self._decide(event, at, order)
            for conversation in engine.closed():
                self._settle_conversation(conversation.id, conversation.expires_at)

    def _is_held(self, message: _Message) -> bool:
        """Whether a queued message is still the one waiting (a stale entry is skipped): once
        held twice for the same time, or settled and then seen anew, it sits there twice."""
        return self._messages.get(message.id) is message

    def _clean_up(self, until: float) -> None:
        """Settles messages never delivered, and forgets what can no longer matter, by ``until``.

        Runs at most once an hour of log time: nothing here needs to be more punctual.
        """
        self._next_cleanup = until + HOUR
        self._give_up_on_delivery(until)
        while self._forget and self._forget.first <= until:
            del self._settled[self._forget.pop()[2]]

    def _forget_pair(self, rules_id: str) -> None:
        meta = self._meta_of.pop(rules_id, None)
        if meta is not None:
            self._rules_of.pop(meta, None)

    def _give_up_on_delivery(self, until: float) -> None:
        """Settles, as undelivered, the messages still without a delivery at the horizon."""
        deadlines, awaiting = self._deadlines, self._awaiting
        while deadlines and deadlines.first <= until:
            due, _, message = deadlines.pop()
            if awaiting.get(message.id) is message and message.due == due:
                del awaiting[message.id]
                self._settle(message, Finding(message.id, *_UNDELIVERED))

    def _decide(self, message: _Message, at: float, order: int) -> None:
        book = self._contact_book
        message.customer = book.name_of(message.customer)
        message.user_id = message.user_id or book.user_id_of(message.customer)
        problem = self._why_not_priced(message)
        if problem is not None:
            self._settle(message, Finding(message.id, *problem))
            return
        message.priced_at = at
        category = str((message.pricing or {})["category"])
        sent_as = self._vocabulary.sent_as.get(category)
        kind = Kind.FREE_FORM if sent_as is None else Kind.TEMPLATE
        if category in self._vocabulary.whole_conversation:
            # Meta reports every message of such a conversation (a free entry point, or any
            # before 2023-06-01) this way, template or not, and only a template can be
            # delivered outside the service window: so it is a message that needs no service
            # window, of a template category the log does not say.
            kind = Kind.TEMPLATE
        event = Event(
            at,
            order,
            kind,
            message.customer,
            message.id,
            sent_as,
            business_number=message.business_number,
        )
        predicted = self._engine.process(event)
        assert predicted is not None
        if predicted.conversation is None:
            self._settle(message, self._compare(message, predicted, math.nan, []))
        else:
            # Grouping is judged now, in the order of the messages' times, so that what is
            # remembered of Meta's conversations never depends on gaps in the log.
            grouping = self._grouping_problems(message, predicted.conversation)
            waiting = self._waiting.setdefault(predicted.conversation.id, [])
            waiting.append((message, predicted, grouping))

    def _why_not_priced(self, message: _Message) -> tuple[str, str] | None:
        """Why a business message cannot be priced (outcome and detail), or ``None`` if it can."""
        delivered = message.delivered_at
        category = str((message.pricing or {}).get("category", ""))
        if message.late_line:
            return "unknown", _late(message.late_line)
        if delivered is None:  # held back only once delivered or failed
            return "failed", "failed messages are never charged"
        if category in GROUP_CATEGORIES:
            return "unknown", f"a group message ({category!r}): the Groups API is not modelled"
        if category not in self._vocabulary.reported:
            if not category:
                return "unknown", "no status carried Meta's pricing"
            return "unknown", f"pricing category {category!r} is not one the rules know"
        if not is_customer_id(message.customer):
            return "unknown", (
                f"{message.customer} is neither a possible phone number nor a business-scoped "
                "user id of a known country, so its market cannot be told"
            )
        unpriceable = self._engine.why_unpriceable(delivered)
        if unpriceable is not None:
            return "unknown", f"its delivery cannot be priced: {unpriceable}"
        return None

    def _settle_conversation(self, rules_id: str, expires: float) -> None:
        for message, predicted, grouping in self._waiting.pop(rules_id, ()):
            self._settle(message, self._compare(message, predicted, expires, grouping))
        # Meta's conversation may still show up in a later message until it ends too.
        self._unpair.push(expires + FREE_ENTRY_POINT_LENGTH, rules_id)

    def _settle(self, message: _Message, finding: Finding) -> None:
        finding.account, finding.currency = self._account_id, self._currency
        finding.customer, finding.user_id = message.customer, message.user_id
        finding.business_number = message.business_number
        del self._messages[message.id]
        forget_at = min(message.first_seen.values()) + STATUS_HORIZON
        self._settled[message.id] = message.delivered_at or math.inf
        self._forget.push(forget_at, message.id)
        self._settled_now.append(finding)

    def _compare(
        self, message: _Message, predicted: MessageRecord, expires: float, grouping: list[str]
    ) -> Finding:
        if message.late_line:
            return Finding(message.id, "unknown", _late(message.late_line))
        pricing = message.pricing or {}
        expected = _expected(predicted)
        reported = {key: pricing[key] for key in expected if key in pricing}
        spellings = self._vocabulary.webhook_spelling
        problems = [
            f"{key}: Meta says {said!r}, the rules say {expected[key]!r}"
            for key, said in reported.items()
            if said != expected[key]
            and _normal(said, spellings) != _normal(expected[key], spellings)
        ]
        if predicted.status == REJECTED:
            problems.append(
                "delivered, yet the rules reject a free-form message outside the customer "
                "service window: is the customer's last message missing from the log?"
            )
        problems += grouping
        if problems and _free_by_the_unconfirmed_allowance(predicted, pricing):
            problems.append(
                f"it would agree with the unconfirmed {REPORTED_FREE_SERVICE_MESSAGES:,} free "
                "service messages a month (--unconfirmed-free-service-messages)"
            )
        if message.expiration is not None and abs(message.expiration - expires) > EXPIRY_TOLERANCE:
            problems.append(
                f"expiration: Meta says {_utc(message.expiration)}, the rules say "
                f"{_utc(expires)} UTC"
            )
        amount = predicted.charge.amount
        return Finding(
            message.id,
            "disagrees" if problems else "agrees",
            "; ".join(problems) or predicted.reason,
            meta=reported,
            predicted=expected | {"charge": "unpriced" if amount is None else str(amount)},
            flag=self._template_flag(message) if self._sent else "",
        )

    def _grouping_problems(self, message: _Message, conversation: ConversationRef) -> list[str]:
        """Meta's conversation ids group messages as the rules' conversations do."""
        reported = message.conversation
        if reported is None:
            return []
        problems = []
        category = conversation.category
        expected_origin = FREE_ENTRY_POINT_CATEGORY if category == FREE_ENTRY_POINT else category
        origin = (reported.get("origin") or {}).get("type")
        spellings = self._vocabulary.webhook_spelling
        if origin is not None and _normal(origin, spellings) != _normal(expected_origin, spellings):
            problems.append(f"origin: Meta says {origin!r}, the rules say {expected_origin!r}")
        # Paired within the customer: a conversation is one customer's, whoever else shares
        # the id, so that each customer's findings depend on that customer's lines alone.
        meta = (message.customer, str(reported.get("id")))
        rules_id = conversation.id
        ours = self._rules_of.setdefault(meta, rules_id)
        theirs = self._meta_of.setdefault(rules_id, meta)
        if ours != rules_id or theirs != meta:
            problems.append(
                f"conversation: Meta puts it in {meta[1]}, the rules in {rules_id}, "
                f"which Meta calls {theirs[1]}"
            )
        return problems

    def _template_flag(self, message: _Message) -> str:
        """Says so when Meta billed a template at another category than it was sent as."""
        sent = self._sent.get(message.id)
        template_category = self._vocabulary.sent_as
        billed_as = template_category.get(str((message.pricing or {}).get("category")))
        if sent is None or billed_as is None or message.priced_at is None:
            return ""
        # Changes the log announced before the line that placed the delivery: not those that
        # happen to have been read by the time the message's conversation ended.
        delivered, placed = message.priced_at, message.placed
        changes = [
            change
            for order, change in self._templates.get(sent.template, [])
            if change.at <= delivered and order < placed
        ]
        if changes:
            change = max(changes, key=lambda change: change.at)
            if template_category.get(change.after) == billed_as:
                return (
                    f"template {sent.template!r} moved from {change.before} to {change.after} "
                    f"on {_utc(change.at)} UTC (line {change.line}); Meta bills it as {billed_as}"
                )
        if sent.category is not None and template_category.get(sent.category) != billed_as:
            return (
                f"sent as {sent.category}, billed by Meta as {billed_as}; the log has no category "
                f"change for template {sent.template!r} before its delivery"
            )
        return ""


_UNDELIVERED = ("undelivered", "no delivered or read status")


def _free_by_the_unconfirmed_allowance(predicted: MessageRecord, pricing: dict[str, Any]) -> bool:
    """Whether Meta called free a service message the rules charge, as the reported allowance
    would."""
    return predicted.rule is Rule.PMP_SERVICE_CHARGED and pricing.get("billable") is False


def _expected(record: MessageRecord) -> dict[str, Any]:
    """The fields of Meta's ``pricing`` object the record predicts (those it leaves open out)."""
    if record.webhook is None:
        return {}
    fields = msgspec.structs.asdict(record.webhook)
    return {name: value for name, value in fields.items() if value is not None}


def _late(line: int) -> str:
    return (
        f"its delivery status (line {line}) came more than the reorder window after later "
        "lines, too late to place in time order; try a wider --window"
    )


def _utc(at: float) -> str:
    return f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M:%S}"


def _normal(value: Any, spellings: Mapping[str, str]) -> Any:
    """A value as the rules spell it, so that Meta's other spellings (the vocabulary's, such as
    ``marketing_lite`` for marketing) still agree."""
    if not isinstance(value, str):
        return value
    return spellings.get(value, value).replace("_", "-")
