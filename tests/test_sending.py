"""Every way of sending, calling and being refused: the rules of December 2026's contract.

Boundary dates are checked at midnight in the two time zones furthest apart (Kiritimati, UTC+14,
and Pago Pago, UTC-11), where a rule switched in UTC would fall on the wrong side.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from tests.helpers import BRAZIL, timeline
from whatsapp_pricing import MessageStatus, Rule, UnsupportedPeriod, simulate
from whatsapp_pricing.call_rates import CallRateCard, CallRates
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.errors import InvalidTimeline
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.simulation import price
from whatsapp_pricing.timeline_io import read_timeline, write_verdict

FAR_ZONES = {"Pacific/Kiritimati": "+14:00", "Pacific/Pago_Pago": "-11:00"}
NEW_YORK = "+12125550123"
TORONTO = "+14165550123"
SAN_JUAN = "+17875550123"
LONDON = "+447400123456"


def event(kind: str, at: str, customer: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, "customer": customer, **fields}


def verdicts(*events: dict[str, Any], time_zone: str = "UTC") -> dict[str, Any]:
    return {
        message.id: message for message in simulate(timeline(*events, time_zone=time_zone)).messages
    }


@pytest.mark.parametrize(("zone", "offset"), FAR_ZONES.items())
def test_marketing_to_us_numbers_is_undelivered_from_2025_04_01_in_the_accounts_zone(
    zone: str, offset: str
) -> None:
    last, first = f"2025-03-31T23:59:00{offset}", f"2025-04-01T00:00:00{offset}"
    messages = verdicts(
        event("template", last, NEW_YORK, id="before", category="marketing"),
        event("template", first, "+12125550124", id="after", category="marketing"),
        event("template", first, "US.1502576394655843", id="user-id", category="marketing"),
        event("template", first, TORONTO, id="canada", category="marketing"),
        event("template", first, SAN_JUAN, id="puerto-rico", category="marketing"),
        event("template", first, "+12125550125", id="utility", category="utility"),
        time_zone=zone,
    )
    assert messages["before"].status is MessageStatus.DELIVERED
    for blocked in ("after", "user-id"):
        assert messages[blocked].status is MessageStatus.UNDELIVERED
        assert messages[blocked].rule is Rule.US_MARKETING_BLOCKED
        assert messages[blocked].charge.amount == 0
        assert messages[blocked].webhook is None
        assert "US numbers" in messages[blocked].reason
    for delivered in ("canada", "puerto-rico", "utility"):
        assert messages[delivered].status is MessageStatus.DELIVERED, delivered


@pytest.mark.parametrize(("zone", "offset"), FAR_ZONES.items())
def test_direct_send_from_2026_07_31_needs_no_window_and_costs_its_categorys_rate(
    zone: str, offset: str
) -> None:
    early = event("direct_send", f"2026-07-30T23:59:00{offset}", BRAZIL, id="d", category="utility")
    with pytest.raises(UnsupportedPeriod, match="Direct Send message before 2026-07-31"):
        simulate(timeline(early, time_zone=zone))
    messages = verdicts(
        event("direct_send", f"2026-07-31T00:00:00{offset}", BRAZIL, id="d", category="utility"),
        event("template", f"2026-07-31T00:00:00{offset}", "+5511987654322", id="t",
              category="utility"),
        time_zone=zone,
    )  # fmt: skip
    direct, template = messages["d"], messages["t"]
    assert (direct.status, direct.rule) == (MessageStatus.DELIVERED, Rule.DS_CHARGED)
    assert direct.charge == template.charge
    assert direct.charge.amount is not None
    assert direct.charge.amount > 0
    assert direct.webhook == template.webhook


def test_authentication_direct_send_to_a_user_id_is_refused() -> None:
    at = "2026-11-02T09:00:00+00:00"
    messages = verdicts(
        event("direct_send", at, "BR.1502576394655843", id="id", category="authentication"),
        event("direct_send", at, BRAZIL, id="number", category="authentication"),
    )
    assert (messages["id"].status, messages["id"].rule) == (
        MessageStatus.REJECTED,
        Rule.DS_USER_ID_REFUSED,
    )
    assert messages["id"].charge.amount == 0
    assert messages["number"].status is MessageStatus.DELIVERED


def test_a_customers_call_answered_or_not_opens_the_window() -> None:
    messages = verdicts(
        event("customer_call", "2026-11-02T09:00:00+00:00", BRAZIL),
        event("free_form", "2026-11-02T09:05:00+00:00", BRAZIL, id="reply"),
        event("free_form", "2026-11-03T09:00:00+00:00", BRAZIL, id="late"),
    )
    assert messages["reply"].status is MessageStatus.DELIVERED
    assert messages["late"].rule is Rule.CSW_CLOSED


def test_a_business_call_opens_the_window_only_when_the_customer_accepts_it() -> None:
    messages = verdicts(
        event("business_call", "2026-11-02T09:00:00+00:00", BRAZIL, id="call", seconds=0),
        event("free_form", "2026-11-02T09:05:00+00:00", BRAZIL, id="after-missed"),
        event("business_call", "2026-11-02T10:00:00+00:00", BRAZIL, id="picked-up", seconds=0,
              accepted=True),
        event("free_form", "2026-11-02T10:05:00+00:00", BRAZIL, id="after-accepted"),
    )  # fmt: skip
    missed = messages["call"]
    assert (missed.status, missed.rule) == (MessageStatus.UNDELIVERED, Rule.CALL_UNANSWERED)
    assert missed.charge.amount == 0
    assert messages["after-missed"].rule is Rule.CSW_CLOSED
    assert messages["picked-up"].rule is Rule.CALL_CHARGED
    assert messages["picked-up"].charge.amount == 0  # accepted, but no pulse started
    assert messages["after-accepted"].status is MessageStatus.DELIVERED


@pytest.mark.parametrize(("seconds", "pulses"), [(1, 1), (6, 1), (7, 2), (56, 10), (60, 10)])
def test_business_calls_count_every_started_six_second_pulse(seconds: int, pulses: int) -> None:
    call = verdicts(
        event("business_call", "2026-11-02T09:00:00+00:00", BRAZIL, id="c", seconds=seconds)
    )["c"]
    assert call.status is MessageStatus.DELIVERED
    assert re.search(rf"\b{seconds} connected seconds make {pulses} started", call.reason)


KENYA = "+254712345678"


def test_a_call_is_charged_its_pulses_at_the_callees_calling_rate() -> None:
    calls = verdicts(
        event("business_call", "2026-11-02T09:00:00+03:00", KENYA, id="kenya", seconds=56),
        time_zone="Africa/Nairobi",
    )
    # Rest of Africa, USD, from 2026-10-01: 0.0103 a minute, so 0.00103 a 6-second pulse.
    assert calls["kenya"].charge.amount == Decimal("0.01030")
    assert "tier 1" in calls["kenya"].reason


def calls_priced_with(
    tiers: tuple[tuple[int, Decimal | None], ...], *events: dict[str, Any]
) -> list[Any]:
    card = CallRateCard("USD", "Rest of Africa", date(2026, 10, 1), None, tiers, open_ended=False)
    account, engine_events = read_timeline(
        json.dumps({"account": {"time_zone": "Africa/Nairobi"}, "events": list(events)})
    )
    engine = ConversationEngine(account, call_rates=CallRates([card], meta_markets()))
    return [engine.process(one) for one in engine_events]


def test_a_call_crossing_into_a_tier_is_priced_wholly_at_it_and_tiers_restart_each_month() -> None:
    tiers = ((1, Decimal("0.0100")), (3, Decimal("0.0050")))
    first, crossing, later, next_month = calls_priced_with(
        tiers,
        event("business_call", "2026-11-02T09:00:00+03:00", KENYA, id="a", seconds=60),
        event("business_call", "2026-11-03T09:00:00+03:00", KENYA, id="b", seconds=61),
        event("business_call", "2026-11-04T09:00:00+03:00", KENYA, id="c", seconds=6),
        event("business_call", "2026-12-01T00:00:00+03:00", KENYA, id="d", seconds=6),
    )
    assert first.charge.amount == Decimal("0.0100")  # minute 1: 10 pulses at 0.001
    assert crossing.charge.amount == Decimal("0.00550")  # minutes 2-3: 11 pulses at 0.0005
    assert later.charge.amount == Decimal("0.00050")  # still minute 3 (22 pulses)
    assert next_month.charge.amount == Decimal("0.00100")  # December starts again at tier 1


def test_a_call_in_a_tier_with_no_sourced_rate_is_unpriced() -> None:
    (call,) = calls_priced_with(
        ((1, Decimal("0.0100")), (2, None)),
        event("business_call", "2026-11-02T09:00:00+03:00", KENYA, id="a", seconds=120),
    )
    assert call.charge.amount is None
    assert "tier 2, whose rate is unsourced" in call.reason


def test_a_call_with_no_sourced_calling_rate_is_unpriced_never_guessed() -> None:
    call = verdicts(
        event("business_call", "2026-11-02T09:00:00+00:00", BRAZIL, id="c", seconds=56)
    )["c"]
    assert call.charge.amount is None
    assert "unpriced" in call.reason


@pytest.mark.parametrize(("zone", "offset"), FAR_ZONES.items())
def test_calls_are_taken_from_2024_10_01(zone: str, offset: str) -> None:
    with pytest.raises(UnsupportedPeriod, match="call from the customer before 2024-10-01"):
        simulate(timeline(event("customer_call", f"2024-09-30T23:59:00{offset}", BRAZIL),
                          time_zone=zone))  # fmt: skip
    simulate(
        timeline(event("customer_call", f"2024-10-01T00:00:00{offset}", BRAZIL), time_zone=zone)
    )


def test_a_call_not_accepted_cannot_have_been_connected() -> None:
    with pytest.raises(ValidationError, match="did not accept"):
        timeline(event("business_call", "2026-11-02T09:00:00+00:00", BRAZIL, id="c", seconds=5,
                       accepted=False))  # fmt: skip


MM = {"category": "marketing", "via": "marketing_messages_api"}


def test_the_marketing_messages_api_costs_the_marketing_rate_and_reports_marketing_lite() -> None:
    at = "2026-11-02T09:00:00+00:00"
    messages = verdicts(
        event("template", at, BRAZIL, id="mm", **MM),
        event("template", at, "+5511987654322", id="cloud", category="marketing"),
    )
    assert messages["mm"].rule is Rule.MM_CHARGED
    assert messages["mm"].charge == messages["cloud"].charge
    assert messages["mm"].webhook.category == "marketing_lite"
    assert messages["cloud"].webhook.category == "marketing"


def test_a_max_price_charges_at_most_the_cap_per_delivery() -> None:
    at = "2026-11-02T09:00:00+00:00"
    capped = event("template", at, BRAZIL, id="capped", max_price="50", **MM)
    above = event("template", at, "+5511987654322", id="above", max_price="80.5", **MM)
    verdict = simulate(timeline(capped, above))
    messages = {message.id: message for message in verdict.messages}
    assert messages["capped"].rule is Rule.MM_MAX_PRICE
    assert (messages["capped"].charge.amount, messages["capped"].charge.at_most) == (
        Decimal("0.05"),
        True,
    )
    # A max price above the rate card's rate is still what Meta may charge, at most.
    assert messages["above"].charge.amount == Decimal("0.0805")
    assert verdict.total.at_most is True
    written = json.loads(verdict.model_dump_json())
    assert written["messages"][0]["charge"]["at_most"] is True
    assert written["total"]["at_most"] is True


def test_at_most_is_left_out_of_every_charge_without_a_max_price() -> None:
    verdict = simulate(
        timeline(event("template", "2026-11-02T09:00:00+00:00", BRAZIL, id="m", **MM))
    )
    written = json.loads(verdict.model_dump_json())
    assert "at_most" not in written["messages"][0]["charge"]
    assert "at_most" not in written["total"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"category": "utility", "via": "marketing_messages_api"}, "marketing templates only"),
        ({"category": "marketing", "max_price": "50"}, "max_price needs via"),
        ({**MM, "max_price": "0"}, "max_price"),
        ({**MM, "max_price": "1e3"}, "max_price"),
    ],
)
def test_the_apis_take_only_what_meta_takes(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        timeline(event("template", "2026-11-02T09:00:00+00:00", BRAZIL, id="m", **fields))


@pytest.mark.parametrize(("zone", "offset"), FAR_ZONES.items())
def test_no_max_price_before_metas_limited_beta(zone: str, offset: str) -> None:
    early = event("template", f"2026-05-14T23:59:00{offset}", BRAZIL, id="m", max_price="50", **MM)
    with pytest.raises(UnsupportedPeriod, match="max price before 2026-05-15"):
        simulate(timeline(early, time_zone=zone))
    first = {**early, "at": f"2026-05-15T00:00:00{offset}"}
    assert simulate(timeline(first, time_zone=zone)).messages[0].rule is Rule.MM_MAX_PRICE


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (131047, "window was closed"),
        (131049, "per-user limit on marketing templates"),
        (131026, "undeliverable"),
        (131042, "payment"),
        (1, "a code not explained here"),
    ],
)
@pytest.mark.parametrize("kind", ["template", "free_form", "direct_send", "agent_message"])
def test_a_failed_message_is_never_charged_and_the_reason_names_the_error(
    kind: str, code: int, words: str
) -> None:
    fields: dict[str, Any] = {"id": "m", "failed": code}
    fields |= {"template": {"category": "marketing"}, "direct_send": {"category": "utility"},
               "agent_message": {"tokens": 500}}.get(kind, {})  # fmt: skip
    message = verdicts(
        event("customer_message", "2026-11-02T08:00:00+00:00", BRAZIL),
        event(kind, "2026-11-02T09:00:00+00:00", BRAZIL, **fields),
    )["m"]
    assert (message.status, message.rule) == (MessageStatus.UNDELIVERED, Rule.FAILED)
    assert message.charge.amount == 0
    assert message.conversation is None
    assert message.webhook is None
    assert f"error {code}" in message.reason
    assert words in message.reason


def test_a_failed_template_opens_nothing_so_the_next_one_opens_the_conversation() -> None:
    at = "2025-02-03T09:00:00+00:00"
    messages = verdicts(
        event("template", at, BRAZIL, id="failed", category="marketing", failed=131026),
        event("template", "2025-02-03T10:00:00+00:00", BRAZIL, id="next", category="marketing"),
    )
    assert messages["next"].rule is Rule.CBP_TEMPLATE_OPENED


def test_an_expired_authentication_template_names_its_ten_minute_time_to_live() -> None:
    message = verdicts(
        event("template", "2026-11-02T09:00:00+00:00", BRAZIL, id="otp",
              category="authentication", failed="expired"),
    )["otp"]  # fmt: skip
    assert (message.rule, message.charge.amount) == (Rule.FAILED_EXPIRED, 0)
    assert "10 minutes by default" in message.reason


def test_a_per_user_limit_where_meta_applies_none_says_so() -> None:
    at = "2026-11-02T09:00:00+00:00"
    messages = verdicts(
        event("template", at, LONDON, id="uk", category="marketing", failed=131049),
        event("customer_message", "2026-11-02T08:00:00+00:00", BRAZIL),
        event("template", at, BRAZIL, id="in-window", category="marketing", failed=131049),
    )
    assert "not active for users in the EEA, the UK" in messages["uk"].reason
    assert "do not count toward the limit" in messages["in-window"].reason


def test_the_streaming_writer_writes_what_the_models_write() -> None:
    at = "2026-11-02T09:00:00+00:00"
    events = [
        event("customer_call", at, BRAZIL),
        event("template", at, BRAZIL, id="capped", max_price="50", **MM),
        event("template", at, NEW_YORK, id="us", category="marketing"),
        event("business_call", at, BRAZIL, id="call", seconds=30),
        event("direct_send", at, BRAZIL, id="ds", category="authentication", failed="expired"),
    ]
    document = json.dumps({"account": {"time_zone": "UTC"}, "events": events})
    out = io.BytesIO()
    write_verdict(price(*read_timeline(document), shipped_rate_book()), out)
    assert out.getvalue().decode() == simulate(timeline(*events)).model_dump_json()


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        (
            {**MM, "max_price": "abc"},
            "events[0].max_price: 'abc' is not a positive decimal number in a string",
        ),
        (
            {"category": "marketing", "failed": "131049"},
            "events[0].failed: '131049' is neither an error code",
        ),
    ],
)
def test_a_bad_new_field_is_one_line_naming_it(fields: dict[str, Any], line: str) -> None:
    bad = event("template", "2026-11-02T09:00:00+00:00", BRAZIL, id="m", **fields)
    with pytest.raises(InvalidTimeline) as refused:
        read_timeline(json.dumps({"account": {"time_zone": "UTC"}, "events": [bad]}))
    assert str(refused.value).startswith(line)
