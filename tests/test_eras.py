"""The two-category era (2022-02-01 to 2023-05-31) and Meta Business Agent messages."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import timeline
from tests.test_engine_properties import KINDS, timelines
from whatsapp_pricing import ConversationCategory, MessageStatus, Rule, UnsupportedPeriod, simulate

TWO_CATEGORY_START = datetime(2022, 9, 5, 9, tzinfo=UTC)
AGENT_START = datetime(2026, 11, 2, 9, tzinfo=UTC)
WITH_AGENTS = (*KINDS, "agent")
INDIA = "+919812345678"


def agent(message_id: str, at: str, customer: str = INDIA, tokens: int = 1000) -> dict[str, Any]:
    return {"type": "agent_message", "id": message_id, "at": at, "customer": customer,
            "tokens": tokens}  # fmt: skip


def written(at: str, customer: str = INDIA, entry_point: str | None = None) -> dict[str, Any]:
    event = {"type": "customer_message", "at": at, "customer": customer}
    return event | ({"entry_point": entry_point} if entry_point else {})


@settings(max_examples=150, deadline=None)
@given(timelines(start=TWO_CATEGORY_START))
def test_two_categories_at_most_one_conversation_is_open_per_customer(
    events: list[dict[str, Any]],
) -> None:
    by_customer = defaultdict(list)
    for conversation in simulate(timeline(*events)).conversations:
        by_customer[conversation.customer].append(conversation)
    for conversations in by_customer.values():
        for earlier, later in itertools.pairwise(conversations):
            assert earlier.expires_at <= later.opened_at


@settings(max_examples=150, deadline=None)
@given(timelines(start=TWO_CATEGORY_START))
def test_two_categories_every_conversation_is_user_or_business_initiated_or_free(
    events: list[dict[str, Any]],
) -> None:
    verdict = simulate(timeline(*events))
    kinds = {
        ConversationCategory.USER_INITIATED,
        ConversationCategory.BUSINESS_INITIATED,
        ConversationCategory.FREE_ENTRY_POINT,
    }
    assert {conversation.category for conversation in verdict.conversations} <= kinds
    assert {message.period for message in verdict.messages} <= {"cbp-2022-02"}


def test_two_categories_1000_free_conversations_of_either_kind_per_local_month() -> None:
    """2,500 customers over two months in Sao Paulo's time zone, half of them written to first."""
    rng = random.Random(11)
    zone = datetime.fromisoformat("2022-09-01T00:00:00-03:00").tzinfo
    events: list[dict[str, Any]] = []
    for index in range(2500):
        number = f"+5511955{index:06d}"
        moment = datetime(2022, 9, 1, tzinfo=zone) + timedelta(minutes=rng.randrange(60 * 24 * 58))
        at = moment.isoformat()
        if index % 2:
            events.append({"type": "template", "id": f"t{index}", "at": at, "customer": number,
                           "category": "marketing"})  # fmt: skip
        else:
            events.append(written(at, number))
            later = (moment + timedelta(minutes=5)).isoformat()
            events.append({"type": "free_form", "id": f"f{index}", "at": later, "customer": number})
    verdict = simulate(timeline(*events, time_zone="America/Sao_Paulo"))
    free: dict[str, set[ConversationCategory]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for conversation in verdict.conversations:
        if conversation.charge.amount == 0:
            month = f"{conversation.opened_at.astimezone(zone):%Y-%m}"
            count[month] += 1
            free[month].add(conversation.category)
        else:
            assert conversation.charge.amount is None  # no 2022 rate card is sourced
    assert count == {"2022-09": 1000, "2022-10": 1000}
    assert free["2022-09"] == {ConversationCategory.USER_INITIATED,
                               ConversationCategory.BUSINESS_INITIATED}  # fmt: skip


def test_two_categories_a_free_entry_point_lasts_24_hours_and_opens_only_alone() -> None:
    verdict = simulate(
        timeline(
            written("2022-09-05T09:00:00Z", entry_point="click_to_whatsapp_ad"),
            {"type": "free_form", "id": "reply", "at": "2022-09-05T09:05:00Z", "customer": INDIA},
            {"type": "template", "id": "next", "at": "2022-09-06T09:05:00Z", "customer": INDIA,
             "category": "marketing"},
        )
    )  # fmt: skip
    reply, later = verdict.messages
    assert reply.rule is Rule.FEP_OPENED
    assert later.rule is Rule.CBP2_FREE_TIER
    assert later.conversation is not None
    assert later.conversation.category is ConversationCategory.BUSINESS_INITIATED
    window = verdict.conversations[0]
    assert window.expires_at - window.opened_at == timedelta(hours=24)


@settings(max_examples=150, deadline=None)
@given(timelines(start=AGENT_START, kinds=WITH_AGENTS))
def test_agent_messages_are_never_free(events: list[dict[str, Any]]) -> None:
    kinds = {event["id"]: event["type"] for event in events if "id" in event}
    for message in simulate(timeline(*events)).messages:
        if kinds[message.id] == "agent_message" and message.status is MessageStatus.DELIVERED:
            assert message.rule is Rule.MBA_CHARGED
            assert message.charge.amount is not None
            assert message.charge.amount > 0
            assert message.webhook is None


@pytest.mark.parametrize("start", [TWO_CATEGORY_START, AGENT_START], ids=["2022", "2026"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_verdict_does_not_depend_on_input_order(start: datetime, data: st.DataObject) -> None:
    events = data.draw(timelines(start=start, kinds=WITH_AGENTS if start.year > 2025 else KINDS))
    shuffled = data.draw(st.permutations(events))
    assert simulate(timeline(*shuffled)) == simulate(timeline(*events))


def test_agent_messages_are_charged_from_midnight_on_2026_08_01_in_the_account_zone() -> None:
    def reply_at(at: str) -> Any:
        written_at = (datetime.fromisoformat(at) - timedelta(minutes=1)).isoformat()
        events = [written(written_at), agent("a", at, tokens=500_000)]
        return simulate(timeline(*events, time_zone="Asia/Kolkata")).messages[0]

    before, after = reply_at("2026-07-31T18:29:00+00:00"), reply_at("2026-07-31T18:30:00+00:00")
    assert (before.rule, before.charge.amount, before.period) == (
        Rule.MBA_NOT_YET_CHARGED,
        0,
        "pmp-2025-07",
    )
    assert (after.rule, after.charge.amount, after.period) == (
        Rule.MBA_CHARGED,
        Decimal("1.00"),
        "pmp-2026-08",
    )


def test_an_agent_message_before_the_platform_existed_is_refused() -> None:
    events = [written("2026-06-30T18:00:00Z"), agent("a", "2026-06-30T18:29:00Z")]
    with pytest.raises(UnsupportedPeriod, match=r"events\[1\]\.at: a Meta Business Agent"):
        simulate(timeline(*events, time_zone="Asia/Kolkata"))


def test_an_agent_message_needs_the_service_window_and_costs_in_a_free_entry_point() -> None:
    verdict = simulate(
        timeline(
            written("2026-11-02T09:00:00Z", entry_point="click_to_whatsapp_ad"),
            {"type": "free_form", "id": "welcome", "at": "2026-11-02T09:01:00Z",
             "customer": INDIA},
            agent("inside", "2026-11-02T09:02:00Z", tokens=10_000),
            agent("after 24 hours", "2026-11-03T09:01:00Z"),
        )
    )  # fmt: skip
    welcome, inside, late = verdict.messages
    assert welcome.rule is Rule.FEP_OPENED
    assert (inside.rule, inside.charge.amount) == (Rule.MBA_CHARGED, Decimal("0.02"))
    assert (late.status, late.rule) == (MessageStatus.REJECTED, Rule.CSW_CLOSED)


def test_agent_messages_in_another_currency_are_unpriced() -> None:
    events = [written("2026-11-02T09:00:00Z"), agent("a", "2026-11-02T09:01:00Z")]
    message = simulate(timeline(*events, currency="EUR")).messages[0]
    assert (message.rule, message.charge.amount) == (Rule.MBA_CHARGED, None)


@pytest.mark.parametrize(
    ("customer", "market"),
    [("+5215512345678", "Mexico"), ("BR.1502576394655843", "Brazil"),
     ("US.ENT.1181579921288684483", "North America")],
)  # fmt: skip
def test_customers_are_priced_by_their_country_however_meta_names_them(
    customer: str, market: str
) -> None:
    event = {"type": "template", "id": "t", "at": "2026-11-02T09:00:00Z", "customer": customer,
             "category": "marketing"}  # fmt: skip
    message = simulate(timeline(event)).messages[0]
    assert message.market == market
    assert message.charge.amount is not None


@pytest.mark.parametrize(
    ("zone", "offset"), [("Pacific/Kiritimati", "+14:00"), ("Pacific/Pago_Pago", "-11:00")]
)
@pytest.mark.parametrize(
    ("reply_at", "period", "hours"),
    [("2023-02-28T23:59:00", "cbp-2022-02", 24), ("2023-03-01T00:00:00", "cbp-2023-03", 72)],
)
def test_free_entry_points_last_72_hours_from_march_2023_in_the_account_time_zone(
    zone: str, offset: str, reply_at: str, period: str, hours: int
) -> None:
    """Meta's launch timeline gives 72-hour free entry point conversations from 2023-03-01.

    The two zones are 25 hours apart, so a switch at midnight UTC (or in any one zone) would put
    one of the replies in the wrong period.
    """
    verdict = simulate(
        timeline(
            written(f"2023-02-28T23:00:00{offset}", entry_point="click_to_whatsapp_ad"),
            {"type": "free_form", "id": "reply", "at": f"{reply_at}{offset}", "customer": INDIA},
            time_zone=zone,
        )
    )
    (reply,) = verdict.messages
    assert (reply.rule, reply.period) == (Rule.FEP_OPENED, period)
    assert f"free for {hours} hours" in reply.reason
    (window,) = verdict.conversations
    assert window.category is ConversationCategory.FREE_ENTRY_POINT
    assert window.expires_at - window.opened_at == timedelta(hours=hours)


def test_a_free_entry_point_opened_in_march_2023_covers_a_template_two_days_later() -> None:
    verdict = simulate(
        timeline(
            written("2023-03-06T09:00:00Z", entry_point="facebook_page_cta"),
            {"type": "free_form", "id": "reply", "at": "2023-03-06T09:05:00Z", "customer": INDIA},
            {"type": "template", "id": "offer", "at": "2023-03-08T09:00:00Z", "customer": INDIA,
             "category": "marketing"},
            {"type": "template", "id": "later", "at": "2023-03-09T09:05:00Z", "customer": INDIA,
             "category": "marketing"},
        )
    )  # fmt: skip
    reply, offer, later = verdict.messages
    assert (reply.rule, offer.rule) == (Rule.FEP_OPENED, Rule.FEP_JOINED)
    assert offer.charge.amount == 0
    assert later.rule is Rule.CBP2_FREE_TIER
    assert later.conversation is not None
    assert later.conversation.category is ConversationCategory.BUSINESS_INITIATED
