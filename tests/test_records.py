"""The engine's records: frozen, complete, and what every verdict and reader is built from."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.docs.test_timelines import FENCES, fence_id
from tests.helpers import customer, free_form, template, timeline
from tests.test_engine_properties import timelines
from whatsapp_pricing import MessageVerdict, Rule, Timeline, records_of, simulate
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.rate_cards import shipped_volume_tiers
from whatsapp_pricing.records import Charge, WebhookReport, webhook_report
from whatsapp_pricing.simulation import conversation_fields
from whatsapp_pricing.site.rule_codes import wording

ERAS = [
    datetime(2024, 3, 4, 9, tzinfo=UTC),  # conversation-based, with the free tier
    datetime(2025, 6, 28, 9, tzinfo=UTC),  # across the switch to per-message pricing
    datetime(2026, 9, 28, 9, tzinfo=UTC),  # across the switch to charged service messages
]


def as_json(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


def assert_verdict_is_the_records(timeline_: Timeline) -> None:
    messages, conversations = records_of(timeline_)
    verdict = simulate(timeline_)
    assert [message.model_dump(mode="json") for message in verdict.messages] == as_json(messages)
    assert [
        conversation.model_dump(mode="json") for conversation in verdict.conversations
    ] == as_json([conversation_fields(record) for record in conversations])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ERAS).flatmap(lambda start: timelines(start=start)))
def test_the_verdict_says_what_the_records_say_in_every_era(events: list[dict[str, Any]]) -> None:
    assert_verdict_is_the_records(timeline(*events, time_zone="America/Sao_Paulo"))


@pytest.mark.parametrize("fence", FENCES, ids=fence_id)
def test_the_verdict_says_what_the_records_say_on_every_docs_timeline(
    fence: tuple[Any, str],
) -> None:
    assert_verdict_is_the_records(Timeline.model_validate_json(fence[1]))


def test_nothing_the_engine_returns_can_be_changed() -> None:
    messages, conversations = records_of(
        timeline(customer(0), free_form("a", 1), free_form("b", 2))
    )
    with pytest.raises(AttributeError):
        messages[0].charge = Charge(Decimal(1), "USD")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        messages[1].charge.amount = Decimal(1)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        conversations[0].expires_at = 0.0  # type: ignore[misc]
    assert messages[1].charge.amount == 0


def test_conversations_come_in_order_of_opening() -> None:
    numbers = [f"+55119876543{index:02}" for index in range(12)]
    events = [
        template(f"m{index}", index / 60, "marketing", number)
        for index, number in enumerate(numbers)
    ]
    _, conversations = records_of(timeline(*events))
    assert [conversation.order for conversation in conversations] == list(range(1, 13))
    assert [conversation.id for conversation in conversations][9:] == ["c10", "c11", "c12"]


def test_every_rule_has_a_stable_code_a_summary_and_a_reason() -> None:
    for rule in Rule:
        assert re.fullmatch(r"[a-z][a-z0-9]*\.[a-z_]+", rule.value), rule
        assert rule.summary.endswith("."), rule
        assert "{" not in rule.summary, rule
        assert wording(rule).endswith("."), rule
        assert re.fullmatch(r"[a-z0-9-]+", rule.anchor), rule
    assert len({rule.anchor for rule in Rule}) == len(Rule)


def test_the_json_schema_lists_every_rule_code() -> None:
    schema = MessageVerdict.model_json_schema()
    assert schema["$defs"]["Rule"]["enum"] == [rule.value for rule in Rule]


def test_every_period_has_a_stable_id() -> None:
    ids = [period.id for period in PERIODS]
    assert ids == [
        "cbp-2022-02",
        "cbp-2023-03",
        "cbp-2023-06",
        "cbp-2024-11",
        "pmp-2025-07",
        "pmp-2026-08",
        "pmp-2026-10",
    ]


@pytest.mark.parametrize(
    ("rule", "category", "charged", "per_message", "report"),
    [
        (Rule.CSW_CLOSED, "", False, True, None),
        (Rule.FEP_OPENED, "free_entry_point", False, False,
         WebhookReport("CBP", "referral_conversion", None, False)),
        (Rule.FEP_JOINED, "free_entry_point", False, True,
         WebhookReport("PMP", "referral_conversion", "free_entry_point", False)),
        (Rule.CBP_FREE_TIER, "service", False, False, WebhookReport("CBP", "service", None, True)),
        (Rule.CBP_SERVICE_FREE, "service", False, False,
         WebhookReport("CBP", "service", None, None)),
        (Rule.CBP_FREE_FORM_JOINED, "marketing", False, False,
         WebhookReport("CBP", "marketing", None, True)),
        (Rule.PMP_CARRIED_OVER, "utility", False, True,
         WebhookReport("CBP", "utility", None, True)),
        (Rule.PMP_UTILITY_IN_WINDOW, "utility", False, True,
         WebhookReport("PMP", "utility", "free_customer_service", False)),
        (Rule.PMP_CHARGED, "marketing", True, True,
         WebhookReport("PMP", "marketing", "regular", True)),
        (Rule.PMP_SERVICE_CHARGED, "service", True, True,
         WebhookReport("PMP", "service", "regular", True)),
    ],
)  # fmt: skip
def test_what_meta_reports_for_each_rule(
    rule: Rule, category: str, charged: bool, per_message: bool, report: WebhookReport | None
) -> None:
    assert webhook_report(rule, category, charged, per_message) == report


def test_an_international_authentication_message_is_reported_as_such() -> None:
    document = {
        "account": {
            "time_zone": "UTC",
            "authentication_international": True,
            "primary_business_location": "GB",
        },
        "events": [
            {
                "type": "template",
                "id": "otp",
                "at": "2025-08-04T10:00:00+00:00",
                "customer": "+919812345678",
                "category": "authentication",
            },
        ],
    }
    messages, _ = records_of(Timeline.model_validate(document))
    assert messages[0].webhook == WebhookReport(
        "PMP", "authentication-international", "regular", True
    )


def test_a_counts_position_never_changes_what_metas_webhook_should_say() -> None:
    """Spark reprices a message whose charge a count's position sets (a ``Counted``) and keeps
    pass 1's comparison with Meta's webhook, which holds only while the webhook should say the
    same whatever the position: inside a free tier's allowance or past it (a free conversation
    is billable alike), and in every volume tier (whose charge is never nothing, so that the
    message stays ``regular`` and billable)."""
    # (the rule inside the allowance, the rule past it, the conversation's category)
    free_tiers = [(Rule.CBP2_FREE_TIER, Rule.CBP2_USER_INITIATED, "user_initiated"),
                  (Rule.CBP2_FREE_TIER, Rule.CBP2_BUSINESS_INITIATED, "business_initiated"),
                  (Rule.CBP_FREE_TIER, Rule.CBP_SERVICE_OPENED, "service")]  # fmt: skip
    for inside, past, category in free_tiers:
        free = webhook_report(inside, category, charged=False, per_message=False)
        # Past the allowance, at a rate, at none known, or at a rate of nothing.
        assert free == webhook_report(past, category, charged=True, per_message=False)
        assert free == webhook_report(past, category, charged=False, per_message=False)
    for tiers in shipped_volume_tiers():
        assert all(discount is None or discount < 1 for _, discount in tiers.tiers), tiers
        assert all(rate is None or rate > 0 for rate in tiers.rates), tiers
