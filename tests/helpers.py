"""Small builders for timelines, so each test reads like Meta's worked examples."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing import Timeline, Verdict, simulate

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
