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

from whatsapp_pricing.domain import (
    Account,
    CustomerMessage,
    FreeFormMessage,
    MessageVerdict,
    TemplateCategory,
    TemplateMessage,
)
from whatsapp_pricing.domain import Event as DomainEvent
from whatsapp_pricing.engine import engine_event, in_time_order, verdict_of
from whatsapp_pricing.periods import period_on
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
    findings, timeline, sent_as = _timeline(inbound, messages)
    checked: set[str] = set()
    events = [engine_event(order, event, checked) for order, event in enumerate(timeline)]
    verdict = verdict_of(account, in_time_order(account, events), rate_book)
    zone = ZoneInfo(account.time_zone)
    conversations = {conversation.id: conversation for conversation in verdict.conversations}
    pairs: dict[str, str] = {}
    for predicted in verdict.messages:
        message = messages[predicted.id]
        reference = predicted.conversation
        expires = conversations[reference.id].expires_at if reference else None
        findings.append(_compare(message, sent_as[predicted.id], predicted, expires, zone, pairs))
    return Reconciliation(findings, skipped)


def _timeline(
    inbound: list[Inbound], messages: dict[str, _Message]
) -> tuple[list[Finding], list[DomainEvent], dict[str, str]]:
    """The timeline the log describes, and what each business message was sent as."""
    findings: list[Finding] = []
    sent_as: dict[str, str] = {}
    timeline: list[DomainEvent] = [
        CustomerMessage(
            type="customer_message",
            at=datetime.fromtimestamp(item.at, UTC),
            customer=item.customer,
            entry_point=item.entry_point,
        )
        for item in inbound
    ]
    for message in messages.values():
        delivered = message.delivered_at
        if "failed" in message.first_seen and delivered is None:
            findings.append(Finding(message.id, "failed", "failed messages are never charged"))
            continue
        if delivered is None:
            findings.append(Finding(message.id, "undelivered", "no delivered or read status"))
            continue
        category = str((message.pricing or {}).get("category", ""))
        at = datetime.fromtimestamp(delivered, UTC)
        if category in TEMPLATE_CATEGORIES:
            sent_as[message.id] = TEMPLATE_CATEGORIES[category].value
            timeline.append(
                TemplateMessage(
                    type="template",
                    id=message.id,
                    at=at,
                    customer=message.customer,
                    category=TEMPLATE_CATEGORIES[category],
                )
            )
        elif category in FREE_FORM_CATEGORIES:
            sent_as[message.id] = "service"
            timeline.append(
                FreeFormMessage(type="free_form", id=message.id, at=at, customer=message.customer)
            )
        else:
            why = (
                f"pricing category {category!r} is not one the rules know"
                if category
                else ("no status carried Meta's pricing")
            )
            findings.append(Finding(message.id, "unknown", why))
    return findings, timeline, sent_as


def _compare(
    message: _Message,
    sent_as: str,
    predicted: MessageVerdict,
    expires: datetime | None,
    zone: ZoneInfo,
    pairs: dict[str, str],
) -> Finding:
    pricing = message.pricing or {}
    delivered = message.delivered_at
    assert delivered is not None
    period = period_on(datetime.fromtimestamp(delivered, zone).date())
    conversation = predicted.conversation
    in_free_entry_point = conversation is not None and conversation.category == "free_entry_point"
    per_message = period.per_message and (conversation is None or in_free_entry_point)
    expected = {
        "pricing_model": "PMP" if per_message else "CBP",
        "category": _meta_category(predicted, sent_as, per_message),
        "billable": predicted.charge.amount != 0 if per_message else not in_free_entry_point,
    }
    free_service = conversation is not None and conversation.category == "service"
    if not per_message and free_service and period.free_service_conversations is None:
        # Service conversations are free from 2024-11-01; whether Meta still marks them
        # billable is reported differently by providers, so the flag is not judged.
        del expected["billable"]
    if per_message:
        expected["type"] = (
            "free_entry_point"
            if in_free_entry_point
            else "regular"
            if predicted.charge.amount != 0
            else "free_customer_service"
        )
    reported = {key: pricing.get(key) for key in expected if key in pricing}
    problems = [
        f"{key}: Meta says {reported[key]!r}, the rules say {value!r}"
        for key, value in expected.items()
        if key in reported and _normal(reported[key]) != _normal(value)
    ]
    problems += _conversation_problems(message, conversation, expires, pairs)
    detail = "; ".join(problems) or predicted.reason
    return Finding(
        message.id,
        "disagrees" if problems else "agrees",
        detail,
        meta=reported,
        predicted=expected | {"charge": str(predicted.charge.amount)},
    )


def _meta_category(predicted: MessageVerdict, sent_as: str, per_message: bool) -> str:
    """The ``pricing.category`` Meta should report: the conversation's, or the message's own."""
    conversation = predicted.conversation
    if conversation is not None and conversation.category == "free_entry_point":
        return "referral_conversion"
    if not per_message and conversation is not None:
        return str(conversation.category)
    return sent_as


def _conversation_problems(
    message: _Message, conversation: Any, expires: datetime | None, pairs: dict[str, str]
) -> list[str]:
    """Meta's conversation ids group messages as the rules' conversations do, and end with them."""
    reported = message.conversation
    if reported is None or conversation is None:
        return []
    problems = []
    origin = (reported.get("origin") or {}).get("type")
    category = str(conversation.category.value)
    expected_origin = "referral_conversion" if category == "free_entry_point" else category
    if origin is not None and _normal(origin) != _normal(expected_origin):
        problems.append(f"origin: Meta says {origin!r}, the rules say {expected_origin!r}")
    meta_id = str(reported.get("id"))
    ours = pairs.setdefault(f"meta {meta_id}", conversation.id)
    theirs = pairs.setdefault(f"rules {conversation.id}", meta_id)
    if ours != conversation.id or theirs != meta_id:
        problems.append(
            f"conversation: Meta puts it in {meta_id}, the rules in {conversation.id}, "
            f"which Meta calls {theirs}"
        )
    if message.expiration is not None and expires is not None:
        difference = abs(message.expiration - expires.timestamp())
        if difference > EXPIRY_TOLERANCE:
            meta_expiry = datetime.fromtimestamp(message.expiration, UTC)
            problems.append(
                f"expiration: Meta says {meta_expiry:%Y-%m-%d %H:%M:%S}, "
                f"the rules say {expires:%Y-%m-%d %H:%M:%S} UTC"
            )
    return problems


def _normal(value: Any) -> Any:
    return value.replace("_", "-") if isinstance(value, str) else value
