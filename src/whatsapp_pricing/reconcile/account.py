"""One account's log, reconciled as it is read: the :class:`Reconciler`, the state machine that
holds events back until they can be put in time order, hands them to the engine, and settles
each message's finding as soon as nothing can change it.

Webhooks arrive at least once and not quite in time order, so each event is held back until the
log has moved a reorder *window* past it (:mod:`.ordering`), then handed to the engine in time
order; each message is counted once, from the earliest status of each kind. A finding is settled
once the message's conversation has ended, by :mod:`.policy`. Memory therefore follows what is
still open (events inside the window, open conversations, messages whose statuses may still
arrive, the names of customers who may still have any of these), not the length of the log.
"""

from __future__ import annotations

import itertools
import math
from heapq import heappop, heappush
from typing import Final

import msgspec

from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import (
    ENTRY_POINT_REPLY_WINDOW,
    FREE_ENTRY_POINT_LENGTH,
    HOUR,
    ConversationEngine,
    Counters,
    Kind,
    logged_event,
)
from whatsapp_pricing.identities import ContactBook
from whatsapp_pricing.markets import is_customer_id
from whatsapp_pricing.reconcile.findings import Finding
from whatsapp_pricing.reconcile.message import DELIVERY_STATUSES, STATUS_HORIZON, PendingMessage
from whatsapp_pricing.reconcile.options import CLOCK_SKEW, ReconcileOptions
from whatsapp_pricing.reconcile.ordering import ByHour, InAnyOrder, TimeQueue
from whatsapp_pricing.reconcile.policy import (
    UNDELIVERED,
    ConversationPairs,
    TemplateChanges,
    compare,
    kind_of,
    utc,
    why_not_priced,
)
from whatsapp_pricing.records import MessageRecord
from whatsapp_pricing.webhooks import CategoryChange, Inbound, LogItem, Skipped, StatusUpdate

LONGEST_TIMER = ENTRY_POINT_REPLY_WINDOW + FREE_ENTRY_POINT_LENGTH
"""The longest any of the rules' timers runs after a customer's last event: a reply to an ad
opens a free entry point conversation up to a day later, which lasts 72 hours."""
SPELLINGS_KEPT: Final = 1024
"""The most spellings of ``pricing.category`` a reconciler keeps worked out: Meta's logs use a
handful, and a broken one that spells a new one each line must not grow memory with it."""


_fields: Final = msgspec.structs.astuple
_STATUS_UPDATE: Final = StatusUpdate
_INBOUND: Final = Inbound
"""Names read for every line, as constants (compiled, an imported name is looked up in the
module's dict at each use)."""


def contact_book_for(window: float) -> ContactBook:
    """A table of customers' names that keeps each link as long as the rules may need it."""
    return ContactBook(keep=links_kept(window))


def links_kept(window: float) -> float:
    """How long a customer's names stay linked after a line last named them: past the
    customer's last line by the longest timer, and by the reorder window on either side."""
    return LONGEST_TIMER + 2 * window


class Reconciler:
    """Reconciles a log as it is read, settling each finding as soon as nothing can change it."""

    def __init__(
        self,
        account: Account,
        options: ReconcileOptions | None = None,
        *,
        account_id: str = "",
        contact_book: ContactBook | None = None,
        counters: Counters | None = None,
    ) -> None:
        """Reconciles the lines of one account, ``account_id``, with its settings ``account``;
        of ``options``, the account's own are not read here (:class:`.Accounts` chooses)."""
        options = ReconcileOptions() if options is None else options
        self._engine = ConversationEngine(account, options.rate_book, counters=counters)
        self._account_id, self._currency = account_id, account.currency
        self._latest = options.now + CLOCK_SKEW
        """No line can be later than the run that reads it (give or take the clocks' skew)."""
        window = self._window = options.window
        self._contact_book = contact_book_for(window) if contact_book is None else contact_book
        """Which names (number, user id, parent id) are one customer."""
        self._sent = options.sent
        self._queue: TimeQueue[Inbound | PendingMessage] = TimeQueue()
        """Events held back until the log is a window past them, by time."""
        self._known: dict[str, PendingMessage | float] = {}
        """Each message by id: what the log said of it while its finding is not settled, then
        when it was delivered (infinity if never), kept until its late statuses can no longer
        come. One table, not one of each: a status's message is looked up once, and most
        statuses are of a message not seen before, which both tables would have been asked
        about."""
        self._unscheduled: dict[str, PendingMessage] = {}
        """Messages with neither a delivery nor a failure yet and no deadline in
        :attr:`_deadlines`, in the order their due times last changed: most are delivered
        within seconds, so a deadline is pushed only for those still waiting when an hour of
        log time ends."""
        self._deadlines: ByHour[str] = ByHour()
        """The ids of messages without a delivery or a failure by when they are given up on
        (stale entries are skipped): ids, not the messages, so that a message delivered in the
        meantime is let go."""
        self._pushed = itertools.count()
        """Ties in the deadlines go by the order they were pushed in."""
        self._forget: InAnyOrder[str] = InAnyOrder()
        """Settled messages' ids by when they can be forgotten."""
        self._clock = -math.inf
        """The latest time any line of the log has shown."""
        self._next_cleanup = -math.inf
        self._settled_now: list[Finding | Skipped] = []
        """What the item being read has settled."""
        self._waiting: dict[str, list[PendingMessage]] = {}
        """Priced messages by the rules' conversation, until the conversation ends."""
        self._pairs = ConversationPairs(self._engine.vocabulary)
        self._unpair: list[float] = []
        """When pairs can be forgotten, a heap of times (floats compare for a fraction of what
        a (time, id) entry does, a score of times for each conversation)."""
        self._unpair_ids: dict[float, list[str]] = {}
        """The rules' conversations whose pairs can be forgotten at each of those times (the
        order among them does not matter: forgetting one pair never touches another's)."""
        self._templates = TemplateChanges(self._engine.vocabulary)
        self._kinds: dict[str, tuple[int, str | None]] = {}
        """What the engine is to price for each ``pricing.category`` seen (see :meth:`_kind_of`)."""
        self._spellings = self._engine.vocabulary.webhook_spelling
        """How Meta spells a field's value the rules spell otherwise: read once, not per finding."""

    @property
    def open_state(self) -> int:
        """How many events, messages, conversations and customers' names it holds: what its
        memory follows."""
        return self.held + len(self._contact_book)

    @property
    def held(self) -> int:
        """How many events, messages and conversations it holds."""
        pairs = len(self._pairs)
        return len(self._queue) + len(self._known) + pairs

    def add(self, item: LogItem, order: int, clock: float = -math.inf) -> list[Finding | Skipped]:
        """Takes one item of the log, at ``order`` in it; returns whatever it settles.

        ``clock``: for a run over part of the log, the time the log's other lines have moved
        its clock to before this one, which settles first what they would have."""
        settled: list[Finding | Skipped] = []
        self._settled_now = settled
        if clock > self._clock:
            self._advance(clock)
        if isinstance(item, _STATUS_UPDATE):  # most lines
            self._status(item, order)
        elif isinstance(item, _INBOUND):
            self._inbound(item, order)
        elif isinstance(item, CategoryChange):
            if item.at > self._latest:
                settled.append(self._implausible(item.line, item.at))
            else:
                self._templates.add(item, order)
        else:
            settled.append(item)
        return settled

    def advance(self, clock: float) -> list[Finding | Skipped]:
        """Moves the clock on to ``clock`` without an item, for a run over part of the log: what
        the whole run settles before a line elsewhere changes the contact book (a link, or an
        hour's letting go), this settles first."""
        settled: list[Finding | Skipped] = []
        self._settled_now = settled
        self._advance(clock)
        return settled

    def _inbound(self, item: Inbound, order: int) -> None:
        at = item.at  # read once: compiled, each read is a Python attribute lookup
        if at > self._latest:
            self._settled_now.append(self._implausible(item.line, at))
            return
        said = item.customer
        customer = self._contact_book.named(said, item.user_id, item.parent_user_id, at)
        if at < self._clock - self._window:  # too late to place in time order
            self._settled_now.append(self._too_late(item.line, at))
            return
        # Held under the best name known now: a link learnt later still applies.
        named = item if customer == said else msgspec.structs.replace(item, customer=customer)
        self._queue.push(at, order, named)
        self._advance(at)

    def _advance(self, clock: float) -> None:
        """Hands the engine what is now a window behind the clock, and at each new hour of
        that, settles what can no longer be delivered."""
        if clock <= self._clock:
            return
        self._clock = clock
        until = clock - self._window
        if self._queue.earliest() <= until:
            self._release(until)
        self._let_time_pass(until)
        # The next clean-up is at a whole hour: reached when the clock is (a float's // costs
        # an fmod, which most lines need not pay).
        if until >= self._next_cleanup:
            self._clean_up(until // HOUR * HOUR)

    def finish(self) -> list[Finding | Skipped]:
        """Settles everything still held: the log has ended."""
        settled = self._settled_now = []
        self._release(math.inf)
        self._give_up_on_delivery(math.inf)
        for conversation in self._engine.finish():
            self._settle_conversation(conversation.id, conversation.expires_at)
        return settled

    def _status(self, update: StatusUpdate, order: int) -> None:
        """Takes a status of one of the business's messages.

        The fields it needs are read in one call, by position (as :meth:`PendingMessage.take`
        reads the rest): compiled, each read of a msgspec struct's attribute is a Python
        attribute lookup, seven for each status. The order is pinned by
        tests/test_reconcile.py::test_a_status_is_read_in_the_order_its_class_declares.
        """
        message_id: str
        said: str
        status: str
        at: float
        line: int
        user_id: str
        parent_user_id: str
        fields = _fields(update)
        (message_id, said, status, at, _, _, line, user_id, _, parent_user_id, _, _) = fields
        if at > self._latest:
            self._settled_now.append(self._implausible(line, at))
            return
        customer = self._contact_book.named(said, user_id, parent_user_id, at)
        self._give_to_message(update, message_id, status, at, line, customer, order)
        self._advance(at)

    def _give_to_message(
        self,
        update: StatusUpdate,
        message_id: str,
        status: str,
        at: float,
        line: int,
        customer: str,
        order: int,
    ) -> None:
        """Gives a status to its message, if it can still change anything."""
        known = self._known.get(message_id)
        horizon = self._clock - self._window
        if isinstance(known, PendingMessage):
            message = known
        elif known is not None:  # settled: when it was delivered
            if status in DELIVERY_STATUSES and at < known:
                self._settled_now.append(self._too_late(line, at))
            return  # a repeat of a status already counted, or one that changes nothing
        elif at < horizon:
            self._settled_now.append(self._too_late(line, at))
            return
        else:
            message = self._known[message_id] = PendingMessage(message_id, customer)
        before = message.due
        message.take(update, customer)
        due = message.due
        if message.priced_at is not None:
            if due < message.priced_at:
                message.late_line = message.late_line or line
        elif _awaits(message):
            if due != before:  # a new message, or an earlier status of one: it goes last
                if before != math.inf:  # not new (a new one's due time was infinity)
                    self._unschedule(message_id)
                self._unscheduled[message_id] = message
        elif due != message.held_until:
            self._unschedule(message_id)
            if due < horizon:
                message.late_line = message.late_line or line
            message.held_until = max(due, horizon)
            message.placed = order
            self._queue.push(message.held_until, order, message)

    def _unschedule(self, message_id: str) -> None:
        """Takes a message off the unscheduled ones, if it is there (``in`` and ``del``, not
        ``dict.pop``: compiled, these are native, where ``pop`` is a Python method call)."""
        if message_id in self._unscheduled:
            del self._unscheduled[message_id]

    def _implausible(self, line: int, at: float) -> Skipped:
        return Skipped(
            line,
            f"its time ({utc(at)} UTC) is after this run ({utc(self._latest - CLOCK_SKEW)} "
            "UTC): implausible, so nothing on the line is priced",
            bad=True,
        )

    def _too_late(self, line: int, at: float) -> Skipped:
        return Skipped(
            line,
            f"its time ({utc(at)}) is more than the reorder window ({self._window / HOUR:g} h) "
            "behind lines before it, too late to place in time order; try a wider --window",
            bad=True,
        )

    def _release(self, until: float) -> None:
        """Hands the engine, in time order, every held event up to ``until``."""
        engine, unpair, unpair_ids = self._engine, self._unpair, self._unpair_ids
        for at, order, event in self._queue.due(until):
            while unpair and unpair[0] <= at:
                forget_at = heappop(unpair)
                for rules_id in unpair_ids[forget_at]:
                    self._pairs.forget(rules_id)
                del unpair_ids[forget_at]
            # The message first: compiled, telling a class of its own is a native check.
            if isinstance(event, PendingMessage):
                if event.held_until == at and event.priced_at is None:
                    # Not a stale entry: the message is held for this time, neither priced
                    # (held twice for the same time) nor settled (settling lets go of it).
                    self._decide(event, at, order)
            else:
                customer = self._contact_book.name_of(event.customer)
                if is_customer_id(customer):
                    kind, entry_point = Kind.CUSTOMER_MESSAGE, event.entry_point
                    engine.process(logged_event(at, order, kind, customer, "", None, entry_point))
            for conversation in engine.closed():
                self._settle_conversation(conversation.id, conversation.expires_at)

    def _let_time_pass(self, until: float) -> None:
        """Closes what the next event would, as of ``until``, rather than waiting for an event
        of any customer: the same log read in parts (on Spark) would settle a message later,
        and take a late repeat of its status differently."""
        if self._engine.advance(until):
            for conversation in self._engine.closed():
                self._settle_conversation(conversation.id, conversation.expires_at)

    def _clean_up(self, until: float) -> None:
        """Settles messages never delivered, and forgets what can no longer matter, by ``until``.

        Runs at most once an hour of log time: nothing here needs to be more punctual.
        """
        self._next_cleanup = until + HOUR
        self._give_up_on_delivery(until)
        for message_id in self._forget.due(until):
            del self._known[message_id]

    def _give_up_on_delivery(self, until: float) -> None:
        """Settles, as undelivered, the messages still without a delivery at the horizon."""
        deadlines, known = self._deadlines, self._known
        for waiting in self._unscheduled.values():
            deadlines.push(waiting.due, next(self._pushed), waiting.id)
        self._unscheduled.clear()
        for due, _, message_id in deadlines.due(until):
            # A message's due time only comes earlier, and one of the same id can only come
            # back once this one is forgotten, later than its due time: so this is the entry
            # if the message is still waiting for it.
            message = known.get(message_id)
            if isinstance(message, PendingMessage) and message.due == due and _awaits(message):
                self._settle(message, Finding(message_id, *UNDELIVERED))

    def _decide(self, message: PendingMessage, at: float, order: int) -> None:
        book = self._contact_book
        message.customer = book.name_of(message.customer)
        message.user_id = message.user_id or book.user_id_of(message.customer)
        problem = why_not_priced(message, self._engine)
        if problem is not None:
            self._settle(message, Finding(message.id, *problem))
            return
        message.priced_at = at
        kind, sent_as = self._kind_of(message.category)
        event = logged_event(
            at,
            order,
            kind,
            message.customer,
            message.id,
            sent_as,
            business_number=message.business_number,
        )
        predicted = message.record = self._engine.process(event)
        assert predicted is not None
        conversation = predicted.conversation
        if conversation is None:
            self._settle(message, self._compare(message, predicted, math.nan))
        else:
            # Grouping is judged now, in the order of the messages' times, so that what is
            # remembered of Meta's conversations never depends on gaps in the log.
            rules_id, category = _fields(conversation)
            message.grouping = self._pairs.problems(message, rules_id, category)
            self._waiting.setdefault(rules_id, []).append(message)

    def _kind_of(self, category: str) -> tuple[int, str | None]:
        """:func:`~.policy.kind_of` a ``pricing.category``, worked out once for each spelling:
        a log spells few."""
        kind = self._kinds.get(category)
        if kind is None:
            kind = kind_of(category, self._engine.vocabulary)
            if len(self._kinds) < SPELLINGS_KEPT:  # a broken log may spell one a line
                self._kinds[category] = kind
        return kind

    def _settle_conversation(self, rules_id: str, expires: float) -> None:
        waiting = self._waiting.get(rules_id)  # with del, not pop: compiled, no method call
        if waiting is not None:  # a list, known to be one: compiled, a native loop
            del self._waiting[rules_id]
            for message in waiting:
                record = message.record
                assert record is not None  # priced: what waits for its conversation is
                self._settle(message, self._compare(message, record, expires))
        # Meta's conversation may still show up in a later message until it ends too.
        forget_at = expires + FREE_ENTRY_POINT_LENGTH
        ids = self._unpair_ids.get(forget_at)
        if ids is None:
            self._unpair_ids[forget_at] = [rules_id]
            heappush(self._unpair, forget_at)
        else:
            ids.append(rules_id)

    def _settle(self, message: PendingMessage, finding: Finding) -> None:
        finding.account, finding.currency = self._account_id, self._currency
        finding.customer, finding.user_id = message.customer, message.user_id
        finding.business_number = message.business_number
        finding.meta = finding.meta or message.report()  # compare() read it already
        finding.errors = message.errors
        finding.delivered_at, finding.sent_at = message.delivered_at, message.sent_at
        message.held_until = math.nan  # held no longer: an entry of it left in the queue is stale
        forget_at = message.earliest + STATUS_HORIZON
        self._known[message.id] = message.delivered_at or math.inf
        self._forget.push(forget_at, message.id)
        self._settled_now.append(finding)

    def _compare(self, message: PendingMessage, record: MessageRecord, expires: float) -> Finding:
        flag = self._templates.flag(message, self._sent.get(message.id)) if self._sent else ""
        return compare(message, record, expires, flag, self._spellings)


def _awaits(message: PendingMessage) -> bool:
    """Whether a message still waits for a delivery or a failure."""
    return message.delivered_at is None and message.failed_at is None
