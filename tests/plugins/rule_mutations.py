"""Deliberately wrong versions of key rules, to prove the docs examples would notice.

Loaded with ``-p tests.plugins.rule_mutations`` and the rule to break named in the environment
variable ``WHATSAPP_PRICING_MUTATION``; used only by ``tests/docs/test_mutations.py``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing import delivery, engine, periods
from whatsapp_pricing.engine import ConversationEngine, Kind, LocalCalendar
from whatsapp_pricing.rate_cards import RateBook


def conversations_last_23_hours() -> None:
    engine.CONVERSATION_LENGTH = 23 * engine.HOUR


def templates_ignore_open_conversations_of_their_category() -> None:
    send_template = ConversationEngine._send_template

    def mutated(self: ConversationEngine, customer: Any, event: Any, day: Any) -> Any:
        already_open = customer.open.pop(event.category, None)
        if already_open is not None:
            self._closed.append(already_open)
        return send_template(self, customer, event, day)

    ConversationEngine._send_template = mutated  # type: ignore[method-assign]


def free_entry_points_leave_other_conversations_open() -> None:
    open_free_entry_point = ConversationEngine._open_free_entry_point

    def mutated(self: ConversationEngine, customer: Any, event: Any) -> Any:
        ends = {conversation: conversation.expires for conversation in customer.open.values()}
        outcome = open_free_entry_point(self, customer, event)
        for conversation, end in ends.items():
            conversation.expires = end
        return outcome

    ConversationEngine._open_free_entry_point = mutated  # type: ignore[method-assign]


def months_counted_in_utc() -> None:
    start = LocalCalendar.__init__

    def mutated(self: LocalCalendar, zone: ZoneInfo) -> None:
        start(self, ZoneInfo("UTC"))

    LocalCalendar.__init__ = mutated  # type: ignore[method-assign]


def _change_period(period_id: str, **changes: object) -> None:
    periods.SHIPPED.periods = tuple(
        dataclasses.replace(period, **changes) if period.id == period_id else period  # type: ignore[arg-type]
        for period in periods.SHIPPED.periods
    )


def service_messages_free_again() -> None:
    _change_period("pmp-2026-10", service_messages_charged=False)


def utility_never_free_in_the_window() -> None:
    _change_period("pmp-2025-07", utility_free_in_service_window=False)


def no_volume_tiers() -> None:
    RateBook.tiers_for = lambda self, *_: None  # type: ignore[method-assign]


def authentication_international_off() -> None:
    ConversationEngine._is_international = lambda self, *_: False  # type: ignore[method-assign]


def two_categories_open_a_conversation_per_message() -> None:
    send = ConversationEngine._send_in_two_categories

    def mutated(self: ConversationEngine, customer: Any, *arguments: Any) -> Any:
        self._close_all(customer)
        customer.open.clear()
        return send(self, customer, *arguments)

    ConversationEngine._send_in_two_categories = mutated  # type: ignore[method-assign]


def agent_messages_free_in_free_entry_points() -> None:
    send = ConversationEngine._send_agent_message

    def mutated(self: ConversationEngine, customer: Any, *arguments: Any) -> Any:
        if customer.free_entry_point is not None:
            return self._join_free_entry_point(customer)
        return send(self, customer, *arguments)

    ConversationEngine._send_agent_message = mutated  # type: ignore[method-assign]


def marketing_to_us_numbers_delivered() -> None:
    delivery.US_MARKETING_BLOCKED = date.max


def calls_leave_the_window_shut() -> None:
    refresh = ConversationEngine._refresh_window

    def mutated(self: ConversationEngine, customer: Any, event: Any) -> None:
        if event.kind == Kind.CUSTOMER_MESSAGE:
            refresh(self, customer, event)

    ConversationEngine._refresh_window = mutated  # type: ignore[method-assign]


def calls_charged_per_started_minute() -> None:
    engine.PULSE_SECONDS = 60


def max_price_per_delivery() -> None:
    send_through = ConversationEngine._send_through

    def mutated(self: ConversationEngine, route: Any, *arguments: Any) -> Any:
        return send_through(self, dataclasses.replace(route, max_price_per=1), *arguments)

    ConversationEngine._send_through = mutated  # type: ignore[method-assign]


MUTATIONS: dict[str, tuple[Callable[[], None], str]] = {
    "24-hour length": (conversations_last_23_hours, "faq/opening-conversations.md"),
    "same-category check": (
        templates_ignore_open_conversations_of_their_category,
        "faq/opening-conversations.md",
    ),
    "free entry point closes others": (
        free_entry_points_leave_other_conversations_open,
        "faq/opening-conversations.md",
    ),
    "free-tier month in the account's zone": (months_counted_in_utc, "faq/pricing.md"),
    "service messages charged from 2026-10-01": (service_messages_free_again, "faq/pricing.md"),
    "utility free in the window until 2026-09-30": (
        utility_never_free_in_the_window,
        "faq/pricing.md",
    ),
    "volume tiers": (no_volume_tiers, "faq/pricing.md"),
    "authentication-international rates": (
        authentication_international_off,
        "faq/categories.md",
    ),
    "two categories: one conversation covers every message": (
        two_categories_open_a_conversation_per_message,
        "faq/pricing.md",
    ),
    "agent messages charged in free entry points": (
        agent_messages_free_in_free_entry_points,
        "faq/pricing.md",
    ),
    "no marketing templates to US numbers from 2025-04-01": (
        marketing_to_us_numbers_delivered,
        "faq/sending-and-calling.md",
    ),
    "calls open the customer service window": (
        calls_leave_the_window_shut,
        "faq/sending-and-calling.md",
    ),
    "calls charged per started 6-second pulse": (
        calls_charged_per_started_minute,
        "faq/sending-and-calling.md",
    ),
    "max price per 1,000 deliveries": (max_price_per_delivery, "faq/sending-and-calling.md"),
}
"""Each broken rule, and the page that states the rule (one of its examples must fail)."""


def pytest_configure() -> None:
    mutate, _ = MUTATIONS[os.environ["WHATSAPP_PRICING_MUTATION"]]
    mutate()
