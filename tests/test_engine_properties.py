"""Properties that hold for every timeline, checked on random ones."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import START, timeline
from whatsapp_pricing import ConversationCategory, MessageStatus, Verdict, simulate
from whatsapp_pricing.vocabulary import VOCABULARY

CUSTOMERS = ("+5511987654321", "+27821234567", "+919812345678")
KINDS = ("customer", "ad", *VOCABULARY.template_categories, "free_form")
EVERY_KIND = (
    *KINDS,
    "agent",
    "customer_call",
    "business_call",
    "direct_send",
    "marketing_messages_api",
)
"""Also the kinds only some dates take (calls, Direct Send, agent messages, the Marketing
Messages API)."""
"""What the generator writes: a customer's message (through an ad or not), a template of each
category of the vocabulary, a free-form message (and, asked for, an agent message)."""


@st.composite
def timelines(
    draw: st.DrawFn, start: datetime = START, kinds: tuple[str, ...] = KINDS
) -> list[dict[str, Any]]:
    """Up to 40 events for three customers over about two weeks, at distinct minutes."""
    minutes = draw(st.lists(st.integers(0, 14 * 24 * 60), min_size=1, max_size=40, unique=True))
    events: list[dict[str, Any]] = []
    for index, minute in enumerate(minutes):
        kind = draw(st.sampled_from(kinds))
        number = draw(st.sampled_from(CUSTOMERS))
        at = (start + timedelta(minutes=minute)).isoformat()
        if kind in ("customer", "ad"):
            event: dict[str, Any] = {"type": "customer_message", "at": at, "customer": number}
            if kind == "ad":
                event["entry_point"] = "click_to_whatsapp_ad"
        elif kind == "free_form":
            event = {"type": "free_form", "id": f"m{index}", "at": at, "customer": number}
        elif kind == "agent":
            tokens = draw(st.integers(1, 50_000))
            event = {"type": "agent_message", "id": f"m{index}", "at": at, "customer": number}
            event["tokens"] = tokens
        elif kind == "customer_call":
            event = {"type": "customer_call", "at": at, "customer": number}
        elif kind == "business_call":
            event = {"type": "business_call", "id": f"m{index}", "at": at, "customer": number}
            event["seconds"] = draw(st.integers(0, 600))
        elif kind == "direct_send":
            event = {"type": "direct_send", "id": f"m{index}", "at": at, "customer": number}
            event["category"] = draw(st.sampled_from(VOCABULARY.direct_send_categories))
        elif kind == "marketing_messages_api":
            event = {"type": "template", "id": f"m{index}", "at": at, "customer": number}
            event |= {"category": "marketing", "via": kind}
            if draw(st.booleans()):
                event["max_price"] = str(draw(st.decimals("0.01", "200", places=2)))
        else:
            event = {
                "type": "template",
                "id": f"m{index}",
                "at": at,
                "customer": number,
                "category": kind,
            }
        events.append(event)
    return events


def verdict_of(events: list[dict[str, Any]]) -> Verdict:
    return simulate(timeline(*events))


def delivery_times(events: list[dict[str, Any]]) -> dict[str, datetime]:
    return {event["id"]: datetime.fromisoformat(event["at"]) for event in events if "id" in event}


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_at_most_one_open_conversation_per_category_and_customer(
    events: list[dict[str, Any]],
) -> None:
    by_thread = defaultdict(list)
    for conversation in verdict_of(events).conversations:
        by_thread[(conversation.customer, conversation.category)].append(conversation)
    for conversations in by_thread.values():
        for earlier, later in itertools.pairwise(conversations):
            assert earlier.expires_at <= later.opened_at


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_every_delivered_message_belongs_to_exactly_one_open_conversation(
    events: list[dict[str, Any]],
) -> None:
    verdict = verdict_of(events)
    conversations = {conversation.id: conversation for conversation in verdict.conversations}
    delivered_at = delivery_times(events)
    for message in verdict.messages:
        if message.status is MessageStatus.REJECTED:
            assert message.conversation is None
            continue
        assert message.conversation is not None
        conversation = conversations[message.conversation.id]
        assert conversation.customer == message.customer
        assert conversation.opened_at <= delivered_at[message.id] < conversation.expires_at


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_nothing_opens_inside_a_free_entry_point_window(events: list[dict[str, Any]]) -> None:
    conversations = verdict_of(events).conversations
    windows = [c for c in conversations if c.category is ConversationCategory.FREE_ENTRY_POINT]
    for window in windows:
        for other in conversations:
            if other.customer == window.customer and other is not window:
                assert not window.opened_at <= other.opened_at < window.expires_at
                assert not other.opened_at < window.opened_at < other.expires_at


@settings(max_examples=100, deadline=None)
@given(timelines(), st.randoms(use_true_random=False))
def test_the_verdict_does_not_depend_on_input_order(
    events: list[dict[str, Any]], shuffler: random.Random
) -> None:
    shuffled = list(events)
    shuffler.shuffle(shuffled)
    assert verdict_of(shuffled) == verdict_of(events)


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_the_total_is_the_sum_of_the_charges(events: list[dict[str, Any]]) -> None:
    verdict = verdict_of(events)
    by_message = sum((m.charge.amount or Decimal(0) for m in verdict.messages), Decimal(0))
    by_conversation = sum(
        (c.charge.amount or Decimal(0) for c in verdict.conversations), Decimal(0)
    )
    unpriced = sum(message.charge.amount is None for message in verdict.messages)
    assert verdict.total.priced_amount == by_message == by_conversation
    assert verdict.total.unpriced_charges == unpriced
    assert verdict.total.amount == (None if unpriced else by_message)


@settings(max_examples=150, deadline=None)
@given(timelines())
def test_only_free_form_messages_are_ever_rejected(events: list[dict[str, Any]]) -> None:
    kinds = {event["id"]: event["type"] for event in events if "id" in event}
    for message in verdict_of(events).messages:
        if message.status is MessageStatus.REJECTED:
            assert kinds[message.id] == "free_form"
            assert message.charge.amount == 0


def test_no_more_than_1000_free_service_conversations_in_any_local_month() -> None:
    """Replies to 2,500 customers spread over two months in Sao Paulo's time zone."""
    rng = random.Random(7)
    events: list[dict[str, Any]] = []
    for index in range(2500):
        number = f"+5511955{index:06d}"
        written = datetime.fromisoformat("2024-09-01T00:00:00-03:00") + timedelta(
            minutes=rng.randrange(0, 60 * 24 * 58)
        )
        events.append({"type": "customer_message", "at": written.isoformat(), "customer": number})
        events.append(
            {
                "type": "free_form",
                "id": f"s{index}",
                "customer": number,
                "at": (written + timedelta(minutes=5)).isoformat(),
            }
        )
    verdict = simulate(timeline(*events, time_zone="America/Sao_Paulo"))
    free_by_month: dict[str, int] = defaultdict(int)
    for conversation in verdict.conversations:
        if conversation.charge.amount == 0:
            local = conversation.opened_at.astimezone(
                datetime.fromisoformat("2024-09-01T00:00:00-03:00").tzinfo
            )
            free_by_month[f"{local:%Y-%m}"] += 1
    assert free_by_month == {"2024-09": 1000, "2024-10": 1000}
