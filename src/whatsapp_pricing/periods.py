"""The periods of Meta's pricing rules, and the day each began.

Meta switches rules at midnight in the WhatsApp Business Account's time zone, so the period a
message falls in depends on its delivery date in that zone, never on UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Period:
    """A stretch of time under one set of pricing rules."""

    name: str
    starts: date
    free_service_conversations: int | None
    """Service conversations free each calendar month per account; ``None`` when all are free."""
    source: str


CONVERSATION_BASED_PRICING = Period(
    name="conversation-based pricing with four categories",
    starts=date(2023, 6, 1),
    free_service_conversations=1000,
    source="https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing",
)
FREE_SERVICE_CONVERSATIONS = Period(
    name="conversation-based pricing with free service conversations",
    starts=date(2024, 11, 1),
    free_service_conversations=None,
    source="https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing",
)
PERIODS = (CONVERSATION_BASED_PRICING, FREE_SERVICE_CONVERSATIONS)

FIRST_DAY = CONVERSATION_BASED_PRICING.starts
"""Before this day Meta priced conversations in two categories, a model this engine refuses."""
PER_MESSAGE_PRICING_STARTS = date(2025, 7, 1)
"""From this day Meta charges per message, a model this version of the engine does not cover."""


class UnsupportedPeriod(ValueError):
    """An event falls in a period whose rules this engine does not model."""


def period_on(day: date) -> Period:
    """The rules in force on a day in the account's time zone."""
    if day < FIRST_DAY:
        raise UnsupportedPeriod(
            f"{day} is before {FIRST_DAY}, when Meta still priced conversations in two "
            "categories (user-initiated and business-initiated); that model is not covered"
        )
    if day >= PER_MESSAGE_PRICING_STARTS:
        raise UnsupportedPeriod(
            f"{day} is on or after {PER_MESSAGE_PRICING_STARTS}, when Meta switched to "
            "per-message pricing; this version covers conversation-based pricing only"
        )
    return FREE_SERVICE_CONVERSATIONS if day >= FREE_SERVICE_CONVERSATIONS.starts else PERIODS[0]


def supported_span(zone: ZoneInfo) -> tuple[float, float]:
    """The instants (Unix seconds) the supported periods start and end in a time zone."""
    return (
        datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=zone).timestamp(),
        datetime(
            PER_MESSAGE_PRICING_STARTS.year,
            PER_MESSAGE_PRICING_STARTS.month,
            PER_MESSAGE_PRICING_STARTS.day,
            tzinfo=zone,
        ).timestamp(),
    )
