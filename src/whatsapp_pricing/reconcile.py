"""Why was I charged for this? Meta's webhook log, checked message by message against the rules.

The log is turned back into a timeline (customers' messages, and each business message at its
delivery time with the category Meta reported), the engine prices it, and what Meta reported in
each message's ``pricing`` and ``conversation`` objects is compared with what the rules predict.
Webhooks arrive at least once and in any order, so each message is counted once, from the
earliest status of each kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing.domain import Account, TemplateCategory
from whatsapp_pricing.engine import ConversationEngine, Event, Kind, in_time_order, run
from whatsapp_pricing.markets import is_phone_number
from whatsapp_pricing.periods import first_instant, period_on
from whatsapp_pricing.rate_cards import RateBook
from whatsapp_pricing.webhooks import Inbound, LogItem, Skipped, StatusUpdate

EXPIRY_TOLERANCE = 60.0
"""Seconds Meta's expiry may differ from ours: Meta's expiries fall on whole minutes."""
TEMPLATE_CATEGORIES = {
    "marketing": TemplateCategory.MARKETING,
    "marketing_lite": TemplateCategory.MARKETING,
    "utility": TemplateCategory.UTILITY,
    "authentication": TemplateCategory.AUTHENTICATION,
    "authentication-international": TemplateCategory.AUTHENTICATION,
    "authentication_international": TemplateCategory.AUTHENTICATION,
}
FREE_FORM_CATEGORIES = {"service", "referral_conversion"}


@dataclass
class _Message:
    """Everything the log says about one business message."""

    id: str
    customer: str
    first_seen: dict[str, float] = field(default_factory=dict)
    pricing: dict[str, Any] | None = None
    conversation: dict[str, Any] | None = None
    expiration: float | None = None

    def take(self, update: StatusUpdate) -> None:
        if update.at < self.first_seen.get(update.status, float("inf")):
            self.first_seen[update.status] = update.at
        if update.pricing is not None and (self.pricing is None or update.status != "sent"):
            self.pricing = update.pricing
        if update.conversation is not None:
            self.conversation = self.conversation or update.conversation
            expiry = update.conversation.get("expiration_timestamp")
            if expiry is not None:
                self.expiration = float(expiry)

    @property
    def delivered_at(self) -> float | None:
        """Delivery time; a ``read`` without ``delivered`` means it was delivered then too."""
        return self.first_seen.get("delivered", self.first_seen.get("read"))


@dataclass(frozen=True)
class Finding:
    """One message compared: what Meta reported, what the rules predict, and whether they agree."""

    message: str
    outcome: str
    """``agrees``, ``disagrees``, ``failed``, ``undelivered`` or ``unknown``."""
    detail: str
    meta: dict[str, Any] = field(default_factory=dict)
    predicted: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reconciliation:
    """The findings for every business message, and every line the log could not use."""

    findings: list[Finding]
    skipped: list[Skipped]

    @property
    def clean(self) -> bool:
        """No disagreement and no broken input."""
        return all(finding.outcome != "disagrees" for finding in self.findings) and not any(
            skip.bad for skip in self.skipped
        )

    def count(self, outcome: str) -> int:
        return sum(finding.outcome == outcome for finding in self.findings)


def reconcile(
    log: Iterable[LogItem], account: Account, rate_book: RateBook | None = None
) -> Reconciliation:
    """Compares a webhook log with what the rules predict for it."""
    inbound: list[Inbound] = []
    messages: dict[str, _Message] = {}
    skipped: list[Skipped] = []
    for item in log:
        if isinstance(item, Inbound):
            inbound.append(item)
        elif isinstance(item, StatusUpdate):
            messages.setdefault(item.message, _Message(item.message, item.customer)).take(item)
        else:
            skipped.append(item)
    zone = ZoneInfo(account.time_zone)
    findings, events, sent_as = _events(inbound, messages, first_instant(zone))
    engine = ConversationEngine(account, rate_book)
    predictions = list(run(engine, in_time_order(account, events)))
    ends = {conversation.id: conversation.expires for conversation in engine.finish()}
    pairs: dict[str, str] = {}
    for predicted in predictions:
        message = messages[predicted["id"]]
        findings.append(_compare(message, sent_as[message.id], predicted, ends, zone, pairs))
    return Reconciliation(findings, skipped)


def _events(
    inbound: list[Inbound], messages: dict[str, _Message], first: float
) -> tuple[list[Finding], list[Event], dict[str, str]]:
    """The timeline the log describes, as the engine reads it, and what each message was sent as."""
    findings: list[Finding] = []
    sent_as: dict[str, str] = {}
    events = [
        Event(item.at, order, Kind.CUSTOMER_MESSAGE, item.customer, entry_point=item.entry_point)
        for order, item in enumerate(inbound)
        if item.at >= first and is_phone_number(item.customer)
    ]
    for message in messages.values():
        delivered = message.delivered_at
        category = str((message.pricing or {}).get("category", ""))
        problem = _why_not_priced(message, delivered, category, first)
        if problem is not None:
            findings.append(Finding(message.id, *problem))
            continue
        assert delivered is not None
        order = len(inbound) + len(events)
        if category in TEMPLATE_CATEGORIES:
            sent_as[message.id] = TEMPLATE_CATEGORIES[category].value
            kind = Kind.TEMPLATE
            events.append(
                Event(delivered, order, kind, message.customer, message.id, sent_as[message.id])
            )
        else:
            sent_as[message.id] = "service"
            events.append(Event(delivered, order, Kind.FREE_FORM, message.customer, message.id))
    return findings, events, sent_as


def _why_not_priced(
    message: _Message, delivered: float | None, category: str, first: float
) -> tuple[str, str] | None:
    """Why a business message cannot be priced (outcome and detail), or ``None`` if it can."""
    if "failed" in message.first_seen and delivered is None:
        return "failed", "failed messages are never charged"
    if delivered is None:
        return "undelivered", "no delivered or read status"
    if category not in TEMPLATE_CATEGORIES and category not in FREE_FORM_CATEGORIES:
        if not category:
            return "unknown", "no status carried Meta's pricing"
        return "unknown", f"pricing category {category!r} is not one the rules know"
    if not is_phone_number(message.customer):
        return "unknown", f"{message.customer} is not a possible phone number"
    if delivered < first:
        return "unknown", "delivered before 2023-06-01, when other pricing rules applied"
    return None


def _compare(
    message: _Message,
    sent_as: str,
    predicted: dict[str, Any],
    ends: dict[str, float],
    zone: ZoneInfo,
    pairs: dict[str, str],
) -> Finding:
    pricing = message.pricing or {}
    delivered = message.delivered_at
    assert delivered is not None
    period = period_on(datetime.fromtimestamp(delivered, zone).date())
    conversation = predicted["conversation"]
    category = None if conversation is None else str(conversation["category"])
    in_free_entry_point = category == "free_entry_point"
    per_message = period.per_message and (conversation is None or in_free_entry_point)
    charged = predicted["charge"]["amount"] != 0
    expected: dict[str, Any] = {
        "pricing_model": "PMP" if per_message else "CBP",
        "category": "referral_conversion"
        if in_free_entry_point
        else sent_as
        if per_message or category is None
        else category,
        "billable": charged if per_message else not in_free_entry_point,
    }
    if not per_message and category == "service" and period.free_service_conversations is None:
        # Service conversations are free from 2024-11-01; whether Meta still marks them
        # billable is reported differently by providers, so the flag is not judged.
        del expected["billable"]
    if per_message:
        expected["type"] = (
            "free_entry_point"
            if in_free_entry_point
            else "regular"
            if charged
            else "free_customer_service"
        )
    reported = {key: pricing.get(key) for key in expected if key in pricing}
    problems = [
        f"{key}: Meta says {reported[key]!r}, the rules say {value!r}"
        for key, value in expected.items()
        if key in reported and _normal(reported[key]) != _normal(value)
    ]
    if conversation is not None:
        problems += _conversation_problems(message, conversation, ends[conversation["id"]], pairs)
    amount = predicted["charge"]["amount"]
    return Finding(
        message.id,
        "disagrees" if problems else "agrees",
        "; ".join(problems) or predicted["reason"],
        meta=reported,
        predicted=expected | {"charge": "unpriced" if amount is None else str(amount)},
    )


def _conversation_problems(
    message: _Message, conversation: dict[str, Any], expires: float, pairs: dict[str, str]
) -> list[str]:
    """Meta's conversation ids group messages as the rules' conversations do, and end with them."""
    reported = message.conversation
    if reported is None:
        return []
    problems = []
    category = str(conversation["category"])
    expected_origin = "referral_conversion" if category == "free_entry_point" else category
    origin = (reported.get("origin") or {}).get("type")
    if origin is not None and _normal(origin) != _normal(expected_origin):
        problems.append(f"origin: Meta says {origin!r}, the rules say {expected_origin!r}")
    meta_id, rules_id = str(reported.get("id")), conversation["id"]
    ours = pairs.setdefault(f"meta {meta_id}", rules_id)
    theirs = pairs.setdefault(f"rules {rules_id}", meta_id)
    if ours != rules_id or theirs != meta_id:
        problems.append(
            f"conversation: Meta puts it in {meta_id}, the rules in {rules_id}, "
            f"which Meta calls {theirs}"
        )
    if message.expiration is not None and abs(message.expiration - expires) > EXPIRY_TOLERANCE:
        meta_expiry = datetime.fromtimestamp(message.expiration, UTC)
        problems.append(
            f"expiration: Meta says {meta_expiry:%Y-%m-%d %H:%M:%S}, the rules say "
            f"{datetime.fromtimestamp(expires, UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
    return problems


def _normal(value: Any) -> Any:
    return value.replace("_", "-") if isinstance(value, str) else value
