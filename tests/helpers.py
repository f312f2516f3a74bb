"""Small builders for timelines, so each test reads like Meta's worked examples."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing import Timeline, Verdict, simulate
from whatsapp_pricing.domain import CustomerMessage, MessageStatus, MessageVerdict, TemplateMessage
from whatsapp_pricing.periods import period_on

BRAZIL = "+5511987654321"
SOUTH_AFRICA = "+27821234567"
INDIA = "+919812345678"
START = datetime(2024, 10, 7, 9, 0, tzinfo=ZoneInfo("UTC"))
"""A Monday under conversation-based pricing, with a complete USD rate card in force."""


def at(hours: float, start: datetime = START) -> str:
    return (start + timedelta(hours=hours)).isoformat()


def customer(hours: float, number: str = BRAZIL, entry_point: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "customer_message", "at": at(hours), "customer": number}
    if entry_point:
        event["entry_point"] = entry_point
    return event


def template(message_id: str, hours: float, category: str, number: str = BRAZIL) -> dict[str, Any]:
    return {
        "type": "template",
        "id": message_id,
        "at": at(hours),
        "customer": number,
        "category": category,
    }


def free_form(message_id: str, hours: float, number: str = BRAZIL) -> dict[str, Any]:
    return {"type": "free_form", "id": message_id, "at": at(hours), "customer": number}


def timeline(*events: dict[str, Any], time_zone: str = "UTC", currency: str = "USD") -> Timeline:
    return Timeline.model_validate(
        {"account": {"time_zone": time_zone, "currency": currency}, "events": list(events)}
    )


def run(*events: dict[str, Any], time_zone: str = "UTC") -> Verdict:
    return simulate(timeline(*events, time_zone=time_zone))


def hours_after_start(moment: datetime) -> float:
    return (moment - START).total_seconds() / 3600


def spans(verdict: Verdict) -> list[tuple[str, float, float]]:
    """Each conversation as (category, opened, expires) in hours after START."""
    return [
        (
            conversation.category.value,
            hours_after_start(conversation.opened_at),
            hours_after_start(conversation.expires_at),
        )
        for conversation in verdict.conversations
    ]


def joined(verdict: Verdict) -> dict[str, str | None]:
    """Which conversation each message opened or joined."""
    return {
        message.id: message.conversation.id if message.conversation else None
        for message in verdict.messages
    }


def webhook_log(timeline: Timeline) -> list[str]:
    """The notifications Meta would send for a timeline if it followed the rules, in time order.

    Customer messages become ``messages`` notifications; each business message a ``sent`` and a
    ``delivered`` status (a ``failed`` one if the rules reject it), with the ``pricing`` and
    ``conversation`` objects of its period: conversation-based, or per-message with no
    ``conversation`` outside free entry point windows (as from API version 24).
    """
    verdicts = {message.id: message for message in simulate(timeline).messages}
    zone = ZoneInfo(timeline.account.time_zone)
    lines: list[tuple[float, str]] = []
    for event in timeline.events:
        at = event.at.timestamp()
        number = event.customer.removeprefix("+")
        if isinstance(event, CustomerMessage):
            message: dict[str, Any] = {"from": number, "id": f"in{len(lines)}"}
            message["timestamp"] = str(int(at))
            if event.entry_point is not None:
                message["referral"] = {"source_type": "ad", "source_id": "1"}
            lines.append((at, webhook_notification({"messages": [message]})))
        else:
            sent_as = event.category.value if isinstance(event, TemplateMessage) else "service"
            lines += _statuses(verdicts[event.id], sent_as, at, number, zone)
    return [line for _, line in sorted(lines, key=lambda line: line[0])]


def webhook_notification(value: dict[str, Any]) -> str:
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    )


def _statuses(
    verdict: MessageVerdict, sent_as: str, at: float, number: str, zone: ZoneInfo
) -> list[tuple[float, str]]:
    base = {"id": verdict.id, "recipient_id": number}
    if verdict.status is MessageStatus.REJECTED:
        failed = {**base, "status": "failed", "timestamp": str(int(at))}
        return [(at, webhook_notification({"statuses": [failed]}))]
    joined = verdict.conversation
    category = None if joined is None else joined.category.value
    if category == "free_entry_point":
        category = "referral_conversion"
    day = datetime.fromtimestamp(at, zone).date()
    per_message = category in (None, "referral_conversion") and period_on(day).per_message
    charged = verdict.charge.amount != 0
    if per_message:
        kind = "free_entry_point" if category else "regular" if charged else "free_customer_service"
        pricing = {"pricing_model": "PMP", "type": kind, "billable": charged}
    else:
        pricing = {"pricing_model": "CBP", "billable": category != "referral_conversion"}
    pricing["category"] = sent_as if category is None else category
    lines = []
    for status, when in (("sent", at - 1), ("delivered", at)):
        body: dict[str, Any] = {**base, "status": status, "timestamp": str(int(when))}
        body["pricing"] = pricing
        if joined is not None:
            body["conversation"] = {"id": f"meta-{joined.id}", "origin": {"type": category}}
        lines.append((when, webhook_notification({"statuses": [body]})))
    return lines
