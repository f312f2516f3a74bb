"""The periods of Meta's pricing rules, and the day each began.

Meta switches rules at midnight in the WhatsApp Business Account's time zone, so the period a
message falls in depends on its delivery date in that zone, never on UTC. Rate changes within a
period live in the dated rate cards, not here.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

CONVERSATION_BASED_PRICING_PAGE = (
    "https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing"
)
PRICING_PAGE = "https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing"
NON_TEMPLATE_PAGE = f"{PRICING_PAGE}/non-template-messages"


@dataclass(frozen=True)
class Period:
    """A stretch of time under one set of pricing rules."""

    name: str
    starts: date
    per_message: bool
    """Whether Meta charges per delivered message (``True``) or per conversation."""
    free_service_conversations: int | None = None
    """Conversation-based pricing: free service conversations per account and month, or
    ``None`` when every service conversation is free."""
    utility_free_in_service_window: bool = False
    """Per-message pricing: a utility template delivered inside an open service window is free."""
    service_messages_charged: bool = False
    """Per-message pricing: non-template messages are charged at the market's service rate."""
    source: str = PRICING_PAGE


PERIODS = (
    Period(
        name="conversation-based pricing with four categories",
        starts=date(2023, 6, 1),
        per_message=False,
        free_service_conversations=1000,
        source=CONVERSATION_BASED_PRICING_PAGE,
    ),
    Period(
        name="conversation-based pricing with free service conversations",
        starts=date(2024, 11, 1),
        per_message=False,
        source=CONVERSATION_BASED_PRICING_PAGE,
    ),
    Period(
        name="per-message pricing",
        starts=date(2025, 7, 1),
        per_message=True,
        utility_free_in_service_window=True,
    ),
    Period(
        name="per-message pricing with charged service messages",
        starts=date(2026, 10, 1),
        per_message=True,
        service_messages_charged=True,
        source=NON_TEMPLATE_PAGE,
    ),
)
FIRST_DAY = PERIODS[0].starts
"""Before this day Meta priced conversations in two categories, a model this engine refuses."""
PER_MESSAGE_PRICING_STARTS = PERIODS[2].starts
_STARTS = [period.starts for period in PERIODS]


class UnsupportedPeriod(ValueError):
    """An event falls in a period whose rules this engine does not model."""


def period_on(day: date) -> Period:
    """The rules in force on a day in the account's time zone."""
    index = bisect.bisect_right(_STARTS, day) - 1
    if index < 0:
        raise UnsupportedPeriod(
            f"{day} is before {FIRST_DAY}, when Meta still used conversation-based pricing with "
            "two categories (user-initiated and business-initiated), a model this engine does "
            "not cover"
        )
    return PERIODS[index]


def first_instant(zone: ZoneInfo) -> float:
    """The Unix time at which the first modelled period starts in a time zone."""
    return datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=zone).timestamp()
