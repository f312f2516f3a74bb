"""Deliberately wrong versions of key rules, to prove the docs examples would notice.

Loaded with ``-p tests.plugins.rule_mutations`` and the rule to break named in the environment
variable ``WHATSAPP_PRICING_MUTATION``; used only by ``tests/docs/test_mutations.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from whatsapp_pricing import engine
from whatsapp_pricing.engine import ConversationEngine, LocalCalendar


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


MUTATIONS: dict[str, Callable[[], None]] = {
    "24-hour length": conversations_last_23_hours,
    "same-category check": templates_ignore_open_conversations_of_their_category,
    "free entry point closes others": free_entry_points_leave_other_conversations_open,
    "free-tier month in the account's zone": months_counted_in_utc,
}


def pytest_configure() -> None:
    MUTATIONS[os.environ["WHATSAPP_PRICING_MUTATION"]]()
