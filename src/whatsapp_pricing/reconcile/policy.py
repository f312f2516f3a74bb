"""The comparison policy: what Meta reported of a message, beside what the rules say it should.

Everything here judges; nothing holds the log's order or decides when a message is settled
(that is :mod:`.account`'s job). Meta's spellings are read through the rate book's
:class:`~whatsapp_pricing.vocabulary.Vocabulary`, so a spelling added there (``marketing_lite``
for marketing) agrees here with nothing else to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

import msgspec

from whatsapp_pricing.engine import FREE_ENTRY_POINT, REJECTED, ConversationEngine, Kind
from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.markets import is_customer_id
from whatsapp_pricing.periods import REPORTED_FREE_SERVICE
from whatsapp_pricing.reconcile.findings import Finding
from whatsapp_pricing.reconcile.message import PendingMessage
from whatsapp_pricing.reconcile.sent import SentTemplate
from whatsapp_pricing.records import (
    FREE_ENTRY_POINT_CATEGORY,
    Charge,
    MessageRecord,
    Rule,
    WebhookReport,
)
from whatsapp_pricing.vocabulary import Vocabulary
from whatsapp_pricing.webhook_shapes import ReportedPricing
from whatsapp_pricing.webhooks import CategoryChange

EXPIRY_TOLERANCE: Final = 60.0
"""Seconds Meta's expiry may differ from ours: the expiries seen in real webhooks fall on whole
minutes (Meta does not document it)."""
GROUP_CATEGORIES: Final = frozenset({"group_marketing", "group_utility", "group_service"})
"""Groups API messages: charged per delivered member, which these rules do not model."""
REPORTED_FREE_SERVICE_MESSAGES = REPORTED_FREE_SERVICE.reported_free_service_messages


class Unchecked(NamedTuple):
    """Why a message is not compared: its outcome and the detail said."""

    outcome: str
    detail: str


UNDELIVERED: Final = Unchecked("undelivered", "no delivered or read status")


def why_not_priced(message: PendingMessage, engine: ConversationEngine) -> Unchecked | None:
    """Why a business message cannot be priced, or ``None`` if it can."""
    delivered = message.delivered_at
    category = message.category
    if message.late_line:
        return Unchecked("unknown", late(message.late_line))
    if delivered is None:  # held back only once delivered or failed
        return Unchecked("failed", failed(message.errors))
    if category in GROUP_CATEGORIES:
        group = f"a group message ({category!r}): the Groups API is not modelled"
        return Unchecked("unknown", group)
    if category not in engine.vocabulary.reported:
        if not category:
            return Unchecked("unknown", "no status carried Meta's pricing")
        return Unchecked("unknown", f"pricing category {category!r} is not one the rules know")
    if not is_customer_id(message.customer):
        return Unchecked(
            "unknown",
            f"{message.customer} is neither a possible phone number nor a business-scoped "
            "user id of a known country, so its market cannot be told",
        )
    unpriceable = engine.why_unpriceable(delivered)
    if unpriceable is not None:
        return Unchecked("unknown", f"its delivery cannot be priced: {unpriceable}")
    return None


def kind_of(category: str, vocabulary: Vocabulary) -> tuple[int, str | None]:
    """What the engine is to price for a delivery Meta reported at ``pricing.category``: the
    kind of message (a :class:`~whatsapp_pricing.engine.Kind`), and the template category
    (``None`` for a free-form message)."""
    sent_as = vocabulary.sent_as.get(category)
    kind = Kind.FREE_FORM if sent_as is None else Kind.TEMPLATE
    if category in vocabulary.whole_conversation:
        # Meta reports every message of such a conversation (a free entry point, or any
        # before 2023-06-01) this way, template or not, and only a template can be
        # delivered outside the service window: so it is a message that needs no service
        # window, of a template category the log does not say.
        kind = Kind.TEMPLATE
    return kind, sent_as


def compare(
    message: PendingMessage,
    predicted: MessageRecord,
    expires: float,
    flag: str,
    spellings: Mapping[str, str],
) -> Finding:
    """What Meta reported of a priced message beside the rules' record of it; ``expires``: when
    the rules' conversation ended (NaN if none); ``spellings``: the vocabulary's
    ``webhook_spelling``."""
    if message.late_line:
        return Finding(message.id, "unknown", late(message.late_line))
    # The record's fields one by one, not all in one call: the record was made a day of log
    # time ago, its fields' objects are no longer in the processor's cache, and each one read
    # (even only to count a reference) is a trip to memory.
    rule = predicted.rule
    pricing = message.pricing
    expected = _expected(predicted.webhook)
    report = message.report()
    problems = [
        f"{key}: Meta says {report[key]!r}, the rules say {rule_says!r}"
        for key, rule_says in expected.items()
        if key in report and _differs(report[key], rule_says, spellings)
    ]
    if predicted.status == REJECTED:
        problems.append(
            "delivered, yet the rules reject a free-form message outside the customer "
            "service window: is the customer's last message missing from the log?"
        )
    problems += message.grouping
    if problems and _free_by_the_unconfirmed_allowance(rule, pricing):
        problems.append(
            f"it would agree with the unconfirmed {REPORTED_FREE_SERVICE_MESSAGES:,} free "
            "service messages a month (--unconfirmed-free-service-messages)"
        )
    if message.expiration is not None:
        problems += _expiration_problems(message.expiration, expires)
    said = expected.copy()  # a copy of a dict is made whole, a fourth of what {**dict} costs
    said["charge"] = charge_said(predicted.charge)
    return Finding(
        message.id,
        "disagrees" if problems else "agrees",
        "; ".join(problems) or predicted.reason,
        meta=report,
        predicted=said,
        flag=flag,
        rule=str(rule),  # its code: a StrEnum's str, cheaper than .value
    )


def charge_said(charge: Charge) -> str:
    """A charge as a finding's ``predicted["charge"]`` says it."""
    amount = charge.amount
    return "unpriced" if amount is None else str(amount)


class ConversationPairs:
    """Meta's conversation ids beside the rules' ones: they must group messages alike.

    Paired within the customer: a conversation is one customer's, whoever else shares the id,
    so that each customer's findings depend on that customer's lines alone.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._spellings = vocabulary.webhook_spelling
        """How Meta spells an origin the rules spell otherwise."""
        self._rules_of: dict[tuple[str, str], str] = {}
        """The rules' conversation id of each of Meta's, by customer and Meta's id."""
        self._meta_of: dict[str, tuple[str, str]] = {}
        """The customer and Meta's conversation id of each of the rules' ones."""

    def __len__(self) -> int:
        return len(self._rules_of) + len(self._meta_of)

    def problems(self, message: PendingMessage, rules_id: str, category: str) -> tuple[str, ...]:
        """What is wrong with Meta's conversation of ``message``, which the rules put in their
        conversation ``rules_id`` of ``category`` (most often nothing: the empty tuple, which
        is made once)."""
        meta_id = message.conversation_id
        if meta_id is None:
            return ()
        problems = []
        expected_origin = FREE_ENTRY_POINT_CATEGORY if category == FREE_ENTRY_POINT else category
        origin_type = message.origin
        spellings = self._spellings
        if origin_type is not None and _differs(origin_type, expected_origin, spellings):
            problems.append(f"origin: Meta says {origin_type!r}, the rules say {expected_origin!r}")
        meta = (message.customer, meta_id)
        ours = self._rules_of.setdefault(meta, rules_id)
        theirs = self._meta_of.setdefault(rules_id, meta)
        if ours != rules_id or theirs != meta:
            problems.append(
                f"conversation: Meta puts it in {meta[1]}, the rules in {rules_id}, "
                f"which Meta calls {theirs[1]}"
            )
        return tuple(problems)

    def forget(self, rules_id: str) -> None:
        """Forgets the pair of the rules' conversation ``rules_id``: it can show up no more."""
        meta = self._meta_of.pop(rules_id, None)
        if meta is not None:
            self._rules_of.pop(meta, None)


class TemplateChanges:
    """The template category changes a log announced, to tell why Meta billed a template at
    another category than it was sent as."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._sent_as = vocabulary.sent_as
        """The template category each of Meta's ``pricing.category`` spellings bills."""
        self._of: dict[str, list[tuple[int, CategoryChange]]] = {}
        """Each template's category changes, with their places in the log."""

    def add(self, change: CategoryChange, order: int) -> None:
        self._of.setdefault(change.template, []).append((order, change))

    def flag(self, message: PendingMessage, sent: SentTemplate | None) -> str:
        """Says so when Meta billed a template at another category than it was sent as."""
        sent_as = self._sent_as
        billed_as = sent_as.get(message.category)
        if sent is None or billed_as is None or message.priced_at is None:
            return ""
        # Changes the log announced before the line that placed the delivery: not those that
        # happen to have been read by the time the message's conversation ended.
        delivered, placed = message.priced_at, message.placed
        changes = [
            change
            for order, change in self._of.get(sent.template, [])
            if change.at <= delivered and order < placed
        ]
        if changes:
            change = max(changes, key=lambda change: change.at)
            if sent_as.get(change.after) == billed_as:
                return (
                    f"template {sent.template!r} moved from {change.before} to {change.after} "
                    f"on {utc(change.at)} UTC (line {change.line}); Meta bills it as {billed_as}"
                )
        if sent.category is not None and sent_as.get(sent.category) != billed_as:
            return (
                f"sent as {sent.category}, billed by Meta as {billed_as}; the log has no category "
                f"change for template {sent.template!r} before its delivery"
            )
        return ""


def failed(codes: tuple[int, ...]) -> str:
    """Why a failed message is not compared: it is never charged, and why it failed."""
    if not codes:
        return "failed messages are never charged"
    why = "; ".join(f"error {code} ({meaning_of(code)})" for code in codes)
    return f"failed with {why}; Meta never charges a message it did not deliver"


def late(line: int) -> str:
    return (
        f"its delivery status (line {line}) came more than the reorder window after later "
        "lines, too late to place in time order; try a wider --window"
    )


def utc(at: float) -> str:
    return f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M:%S}"


def _expiration_problems(said: Any, expires: float) -> list[str]:
    """What is wrong with Meta's expiration time, ``said`` as Meta gave it, against the end of
    the rules' conversation (NaN if there is none, which nothing is compared with)."""
    try:
        at = float(said)
        shown = utc(at)
    except (TypeError, ValueError, OverflowError, OSError):  # text, a list, NaN, out of range
        return [f"expiration: Meta says {said!r}, which is not a time"]
    if abs(at - expires) > EXPIRY_TOLERANCE:
        return [f"expiration: Meta says {shown}, the rules say {utc(expires)} UTC"]
    return []


def _free_by_the_unconfirmed_allowance(rule: Rule, pricing: ReportedPricing | None) -> bool:
    """Whether Meta called free a service message the rules charge (by ``rule``), as the
    reported allowance would."""
    return rule is Rule.PMP_SERVICE_CHARGED and pricing is not None and pricing.billable is False


def _expected(report: WebhookReport | None) -> dict[str, Any]:
    """The fields of Meta's ``pricing`` object a record's report predicts (those it leaves open
    out).

    The engine hands out the same few reports again and again, so each is taken apart once;
    the dict is only read (a finding gets a copy).
    """
    if report is None:
        return {}
    expected = _EXPECTED.get(report)
    if expected is None:
        fields = msgspec.structs.asdict(report)
        expected = {name: value for name, value in fields.items() if value is not None}
        _EXPECTED[report] = expected
    return expected


_EXPECTED: Final[dict[WebhookReport, dict[str, Any]]] = {}


def _differs(said: Any, rule_says: Any, spellings: Mapping[str, str]) -> bool:
    """Whether what Meta said of a field differs from what the rules say, spelling aside."""
    return bool(said != rule_says and _normal(said, spellings) != _normal(rule_says, spellings))


def _normal(value: Any, spellings: Mapping[str, str]) -> Any:
    """A value as the rules spell it, so that Meta's other spellings (the vocabulary's, such as
    ``marketing_lite`` for marketing) still agree."""
    if not isinstance(value, str):
        return value
    return spellings.get(value, value).replace("_", "-")
