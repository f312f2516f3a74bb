"""The periods of Meta's pricing rules, and the day each began.

Meta switches rules at midnight in the WhatsApp Business Account's time zone, so the period a
message falls in depends on its delivery date in that zone, never on UTC. Rate changes within a
period live in the dated rate cards, not here.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from whatsapp_pricing.errors import UnsupportedPeriod

CONVERSATION_BASED_PRICING_PAGE = (
    "https://developers.facebook.com/docs/whatsapp/pricing/conversation-based-pricing"
)
PRICING_PAGE = "https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing"
NON_TEMPLATE_PAGE = f"{PRICING_PAGE}/non-template-messages"
CONVERSATION_BASED_PRICING_2022 = (
    "https://github.com/Joao-Peterson/zapDelphi/blob/5ecf1344ca6dba8924ae8deafdb780c3a058aec9/"
    "docs/pricing.md"
)
"""A copy of Meta's 2022 text on conversation-based pricing, kept by a developer (secondary)."""
LAUNCH_TIMELINE_2023 = "https://developers.facebook.com/docs/whatsapp/updates-to-pricing"
"""Meta's "Launch Timeline" of the 2023 pricing changes (deprecated, kept for reference): it lists
72-hour free entry point conversations among the changes of March 2023."""
AGENT_PLATFORM_LAUNCH = date(2026, 7, 1)
"""Meta launched the Meta Business Agent Platform: no agent message can be older."""
CALLS_OPEN_WINDOW = date(2024, 10, 1)
"""From this day a customer's call (answered or not), or a customer accepting the business's
call, opens or refreshes the customer service window (Meta's calling pricing page: "available
since October 1, 2024"); no call on a timeline can be older."""
US_MARKETING_BLOCKED = date(2025, 4, 1)
"""From this day WhatsApp does not deliver marketing templates to US numbers (+1 with a US area
code), and so charges nothing for them (Meta's per-user marketing limits page)."""
MAX_PRICE_BETA = date(2026, 5, 15)
"""Meta's limited beta of max prices on the Marketing Messages API began (Meta's max price page,
updated 2026-06-26); no max price can be older."""
AUTHENTICATION_INTERNATIONAL_LAUNCH = date(2024, 6, 1)
"""Meta introduced authentication-international rates (first for Indonesia; India from
2024-07-01, as the cards' ``Not before`` lines say), and left every authentication rate as it
was (Meta's authentication-international rates page, 2024 version): before this day an
authentication message costs its market's authentication rate, wherever the business is."""
DIRECT_SEND_LAUNCH = date(2026, 7, 31)
"""Meta's Direct Send: utility (and, with restricted access, authentication) messages without a
pre-approved template; no Direct Send message can be older."""


@dataclass(frozen=True)
class Period:
    """A stretch of time under one set of pricing rules."""

    id: str
    """A stable id (the model and the month it began): verdicts name the period by it."""
    name: str
    starts: date
    per_message: bool
    """Whether Meta charges per delivered message (``True``) or per conversation."""
    two_categories: bool = False
    """Conversation-based pricing with two categories: a conversation covers every message,
    and is user-initiated or business-initiated."""
    free_conversations: int | None = None
    """Two categories: free conversations of either kind per account and month."""
    free_service_conversations: int | None = None
    """Four categories: free service conversations per account and month, or ``None`` when
    every service conversation is free."""
    free_entry_point_hours: int = 72
    """How long a free entry point conversation (or window) lasts."""
    utility_free_in_service_window: bool = False
    """Per-message pricing: a utility template delivered inside an open service window is free."""
    service_messages_charged: bool = False
    """Per-message pricing: non-template messages are charged at the market's service rate."""
    agent_messages_charged: bool = False
    """Per-message pricing: Meta Business Agent messages are charged, per token."""
    reported_free_service_messages: int | None = None
    """Per-message pricing: the free service messages per business number and month that some
    providers report and Meta has not confirmed (applied only when a timeline turns them on)."""
    source: str = PRICING_PAGE


PERIODS = (
    Period(
        id="cbp-2022-02",
        name="conversation-based pricing with two categories",
        starts=date(2022, 2, 1),
        per_message=False,
        two_categories=True,
        free_conversations=1000,
        free_entry_point_hours=24,
        source=CONVERSATION_BASED_PRICING_2022,
    ),
    Period(
        id="cbp-2023-03",
        name="conversation-based pricing with two categories and 72-hour free entry points",
        starts=date(2023, 3, 1),
        per_message=False,
        two_categories=True,
        free_conversations=1000,
        source=LAUNCH_TIMELINE_2023,
    ),
    Period(
        id="cbp-2023-06",
        name="conversation-based pricing with four categories",
        starts=date(2023, 6, 1),
        per_message=False,
        free_service_conversations=1000,
        source=CONVERSATION_BASED_PRICING_PAGE,
    ),
    Period(
        id="cbp-2024-11",
        name="conversation-based pricing with free service conversations",
        starts=date(2024, 11, 1),
        per_message=False,
        source=CONVERSATION_BASED_PRICING_PAGE,
    ),
    Period(
        id="pmp-2025-07",
        name="per-message pricing",
        starts=date(2025, 7, 1),
        per_message=True,
        utility_free_in_service_window=True,
    ),
    Period(
        id="pmp-2026-08",
        name="per-message pricing with charged Meta Business Agent messages",
        starts=date(2026, 8, 1),
        per_message=True,
        utility_free_in_service_window=True,
        agent_messages_charged=True,
        source=NON_TEMPLATE_PAGE,
    ),
    Period(
        id="pmp-2026-10",
        name="per-message pricing with charged service messages",
        starts=date(2026, 10, 1),
        per_message=True,
        service_messages_charged=True,
        agent_messages_charged=True,
        reported_free_service_messages=1000,
        source=NON_TEMPLATE_PAGE,
    ),
)
FIRST_DAY = PERIODS[0].starts
"""Before this day Meta charged per template notification, a model this engine refuses."""
PER_MESSAGE_PRICING_STARTS = next(period.starts for period in PERIODS if period.per_message)
REPORTED_FREE_SERVICE = next(period for period in PERIODS if period.reported_free_service_messages)
"""The first period with the free service messages some providers report (unconfirmed)."""
LAST_DAY = date(9999, 12, 27)
"""The last day a message can be priced: a 72-hour window from it still ends before year 10000,
the end of every calendar Python has."""


class PeriodTable:
    """Periods in order of their first day, to find the one in force on a day."""

    def __init__(self, periods: Sequence[Period]) -> None:
        self.periods = tuple(periods)
        self._starts = [period.starts for period in self.periods]

    def on(self, day: date) -> Period:
        """The rules in force on a day in the account's time zone."""
        index = bisect.bisect_right(self._starts, day) - 1
        if index < 0:
            raise UnsupportedPeriod(
                f"{day} is before {FIRST_DAY}, when Meta still charged per template notification "
                "(notification-based pricing, NBP), a model this engine does not cover"
            )
        if day > LAST_DAY:
            raise UnsupportedPeriod(f"{day} is after {LAST_DAY}, the last day that can be priced")
        return self.periods[index]


SHIPPED = PeriodTable(PERIODS)


def period_on(day: date) -> Period:
    """The rules in force on a day in the account's time zone."""
    return SHIPPED.on(day)


@dataclass(frozen=True)
class Span:
    """The days some rules applied, as rule texts say them: from one day, to another or on."""

    first: date
    last: date | None
    """``None`` while the rules still apply."""

    def __str__(self) -> str:
        return f"{self.first} to {self.last}" if self.last else f"from {self.first}"


def when(holds: Callable[[Period], bool], periods: Sequence[Period] = PERIODS) -> Span:
    """The days of the periods whose rules ``holds`` says are in force, which must follow each
    other: rule texts give their dates from here, so that no date is typed twice."""
    indexes = [index for index, period in enumerate(periods) if holds(period)]
    if not indexes or indexes != list(range(indexes[0], indexes[-1] + 1)):
        raise ValueError("the rule holds in no period, or in periods apart")
    following = indexes[-1] + 1
    last = periods[following].starts - timedelta(days=1) if following < len(periods) else None
    return Span(periods[indexes[0]].starts, last)


def first_instant(zone: ZoneInfo) -> float:
    """The Unix time at which the first modelled period starts in a time zone."""
    return datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=zone).timestamp()


def end_instant(zone: ZoneInfo) -> float:
    """The Unix time at which :data:`LAST_DAY` ends in a time zone: nothing later is priced."""
    return datetime(LAST_DAY.year, LAST_DAY.month, LAST_DAY.day + 1, tzinfo=zone).timestamp()


def why_unpriceable(at: float, zone: ZoneInfo) -> str | None:
    """Why a message delivered at Unix time ``at`` cannot be priced, or ``None`` if it can."""
    if first_instant(zone) <= at < end_instant(zone):
        return None
    try:
        day = datetime.fromtimestamp(at, zone).date()
    except (OverflowError, OSError, ValueError):  # beyond the years a calendar here has
        day = date.min if at < 0 else date.max
    try:
        period_on(day)
    except UnsupportedPeriod as error:
        return str(error)
    return None
