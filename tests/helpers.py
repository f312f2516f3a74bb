"""Small builders for timelines, so each test reads like Meta's worked examples."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from whatsapp_pricing import MessageRecord, Timeline, Verdict, records_of, simulate
from whatsapp_pricing.domain import CustomerMessage

FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
"""Webhook logs written by hand in Meta's format, one per shape Meta sends."""
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


def as_the_rules_spell(category: str) -> str:
    return category


def webhook_log(timeline: Timeline, spell: Callable[[str], str] = as_the_rules_spell) -> list[str]:
    """The notifications Meta would send for a timeline if it followed the rules, in time order.

    Customer messages become ``messages`` notifications; each business message a ``sent`` and a
    ``delivered`` status (a ``failed`` one if the rules reject it), whose ``pricing`` object is
    the engine's record of what Meta reports and whose ``conversation`` object names the
    record's conversation (none under per-message pricing outside free entry point windows, as
    from API version 24). ``spell`` gives the category as Meta writes it (Meta has several
    spellings of some: see the vocabulary).
    """
    records = {record.id: record for record in records_of(timeline)[0]}
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
            lines += _statuses(records[event.id], at, number, spell)
    return [line for _, line in sorted(lines, key=lambda line: line[0])]


def webhook_notification(value: dict[str, Any]) -> str:
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    )


def _statuses(
    record: MessageRecord, at: float, number: str, spell: Callable[[str], str]
) -> list[tuple[float, str]]:
    base = {"id": record.id, "recipient_id": number}
    if record.webhook is None:
        failed = {**base, "status": "failed", "timestamp": str(int(at))}
        return [(at, webhook_notification({"statuses": [failed]}))]
    report = msgspec.structs.asdict(record.webhook)
    # Where the rules leave billable open (free service conversations from 2024-11-01), send
    # what one provider reports; the reconciler does not judge it.
    pricing = {key: value for key, value in report.items() if value is not None}
    pricing["category"] = spell(pricing["category"])
    pricing.setdefault("billable", False)
    lines = []
    for status, when in (("sent", at - 1), ("delivered", at)):
        body: dict[str, Any] = {**base, "status": status, "timestamp": str(int(when))}
        body["pricing"] = pricing
        if record.conversation is not None:
            origin = {"type": spell(record.webhook.category)}
            body["conversation"] = {"id": f"meta-{record.conversation.id}", "origin": origin}
        lines.append((when, webhook_notification({"statuses": [body]})))
    return lines
