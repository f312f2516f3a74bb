"""One business message as the log tells of it, status by status, until its finding is settled."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from whatsapp_pricing.engine import HOUR
from whatsapp_pricing.records import MessageRecord
from whatsapp_pricing.webhook_shapes import ReportedConversation, ReportedOrigin, ReportedPricing
from whatsapp_pricing.webhooks import StatusUpdate

STATUS_HORIZON: Final = 30 * 24 * HOUR
"""Meta drops a message it could not deliver within its time to live, 30 days at the longest
(10 minutes by default for an authentication template), so its statuses can arrive that late; a
message with no delivery by then is reported undelivered."""
DELIVERY_STATUSES: Final = ("delivered", "read")
_PRICING_FIELDS: Final = ReportedPricing.__struct_fields__
_UNSET: Final = msgspec.UNSET
_fields: Final = msgspec.structs.astuple
_ORIGIN: Final = ReportedOrigin
"""Names read for every status, as constants: compiled, a name imported into the
module is looked up in its dict each time."""


@dataclass(slots=True, eq=False, init=False)
class PendingMessage:
    """Everything the log says about one business message, until its finding is settled.

    Its ``__init__`` is written out, not made by :func:`~dataclasses.dataclass`: compiled, a
    written one is native code, where a generated one runs as Python (about 6,000 instructions
    for each message).
    """

    id: str
    customer: str
    """The recipient: the number once any line linked one, else the business-scoped user id."""
    user_id: str
    """The recipient's business-scoped user id, once a status carried it."""
    business_number: str
    """The business number that sent it (``metadata.phone_number_id``)."""
    earliest: float
    """The time of its earliest status, of any kind."""
    sent_at: float | None
    """The time of its earliest ``sent`` status (each kind is counted from its earliest)."""
    failed_at: float | None
    delivered: float | None
    read: float | None
    pricing: ReportedPricing | None
    category: str
    """Meta's ``pricing.category`` for it, as text; empty if no status carried one."""
    conversation_id: str | None
    """Meta's id of its conversation, as text (``"None"`` where the ``conversation`` object
    gave none), from the first status whose ``conversation`` said anything (else the latest
    one's); ``None`` if no status carried a ``conversation``."""
    origin: Any
    """What that ``conversation`` object's ``origin`` says the category is: its ``type``, or the
    value itself where Meta sent something other than an object (compared as it is, never
    trusted); ``None`` if it gave no origin."""
    conversation_said: bool
    """Whether that ``conversation`` object said anything (an id, an origin or an expiry): until
    one does, a later status's is taken instead.

    What the reconciler needs of a ``conversation`` is taken out as its status is read, not
    kept as the object Meta sent (and its ``origin`` object) until the message is priced a day
    later: fewer objects kept for each message, and none to reach again then."""
    expiration: Any
    """Meta's ``expiration_timestamp`` as the latest status gave it (``None`` if none did): read
    as a time only when it is compared, so that a value that is not one is reported, not fatal."""
    held_until: float
    """The time it is held back for (a stale entry in the queue has another); NaN until it is
    held, and once it is settled."""
    placed: int
    """The place in the log of the line that held it back for that time."""
    priced_at: float | None
    """The delivery time the engine priced it at, once it has."""
    late_line: int
    """A delivery status that came too late to be placed in time order."""
    errors: tuple[int, ...]
    """Meta's error codes on its failed statuses, each once, in the order they came."""
    delivered_at: float | None
    """Delivery time; a ``read`` without ``delivered`` means it was delivered then too."""
    due: float
    """When the log can say what became of it: at delivery, failure, or the horizon."""
    record: MessageRecord | None
    """The rules' record of it, once the engine priced it (kept on the message, not beside it:
    one object fewer to make, and to reach again, for each message that waits for the end of
    its conversation)."""
    grouping: tuple[str, ...]
    """What was wrong with Meta's grouping of it, judged when it was priced."""

    def __init__(self, id: str, customer: str) -> None:
        self.id, self.customer = id, customer
        self.user_id = self.business_number = self.category = ""
        self.earliest = self.due = math.inf
        self.held_until = math.nan
        self.sent_at = self.failed_at = self.delivered = self.read = self.delivered_at = None
        self.expiration = self.priced_at = None
        self.pricing = self.conversation_id = self.origin = None
        self.conversation_said = False
        self.placed, self.late_line, self.errors = -1, 0, ()
        self.record, self.grouping = None, ()

    def report(self) -> dict[str, Any]:
        """What Meta reported in the message's ``pricing``, every field it gave, by name."""
        pricing = self.pricing
        if pricing is None:
            return {}
        report: dict[str, Any] = {}
        unset = _UNSET
        for index, value in enumerate(_fields(pricing)):
            if value is not unset:
                report[_PRICING_FIELDS[index]] = value
        return report

    def _seen(self, status: str, at: float) -> bool:
        """Takes the time of a status; whether it was the earliest of its kind or of all (what
        the message's delivery and due time follow). Fields, not a dict of every kind: most
        messages have but ``sent`` and ``delivered``, and any other kind counts only as the
        earliest status."""
        earlier = at < self.earliest
        if earlier:
            self.earliest = at
        if status == "sent":
            if self.sent_at is None or at < self.sent_at:
                self.sent_at = at
                return True
        elif status == "delivered":
            if self.delivered is None or at < self.delivered:
                self.delivered = at
                return True
        elif status == "read":
            if self.read is None or at < self.read:
                self.read = at
                return True
        elif status == "failed" and (self.failed_at is None or at < self.failed_at):
            self.failed_at = at
            return True
        return earlier

    def take(self, update: StatusUpdate, customer: str) -> None:
        """Takes a status, whose recipient the log's links call ``customer``."""
        # The status's fields in one call, in the order its class declares them: compiled, each
        # read of a msgspec struct's attribute is a Python attribute lookup. The order is
        # pinned by tests/test_reconcile.py::test_a_status_is_read_in_the_order_its_class_declares.
        status: str
        at: float
        pricing: ReportedPricing | None
        conversation: ReportedConversation | None
        user_id: str
        business_number: str
        errors: tuple[int, ...]
        (_, _, status, at, pricing, conversation, _, user_id, _, _, business_number, errors) = (
            _fields(update)
        )
        if user_id:
            self.user_id = user_id
        if customer.startswith("+") or not self.customer.startswith("+"):
            self.customer = customer
        if not self.business_number:
            self.business_number = business_number
        if errors:
            self.errors += tuple(code for code in errors if code not in self.errors)
        if self._seen(status, at):
            delivered = self.delivered_at = self.read if self.delivered is None else self.delivered
            if delivered is not None:
                self.due = delivered
            elif self.failed_at is not None:
                self.due = self.failed_at
            else:
                self.due = self.earliest + STATUS_HORIZON
        if pricing is not None and (self.pricing is None or status != "sent"):
            self.pricing = pricing
            category = pricing.category
            self.category = "" if category is _UNSET else str(category)
        if conversation is not None:
            meta_id, origin, expiry = _fields(conversation)
            if not self.conversation_said:
                self.conversation_id = str(None if meta_id is _UNSET else meta_id)
                self.origin = _origin_type(origin)
                self.conversation_said = not (
                    meta_id is _UNSET and origin is _UNSET and expiry is _UNSET
                )
            if expiry is not _UNSET and expiry is not None:
                self.expiration = expiry


def _origin_type(origin: Any) -> Any:
    """What Meta's ``origin`` says the conversation's category is: its ``type``, or the value
    itself where Meta sent something other than an object; ``None`` if Meta sent none."""
    if origin is _UNSET:
        return None
    return origin.type if isinstance(origin, _ORIGIN) else origin
