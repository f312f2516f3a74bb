"""Reconciling a webhook log: each message counted once, compared field by field, nothing lost."""

from __future__ import annotations

import itertools
import json
import math
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, START, timeline, webhook_log, webhook_notification
from tests.test_engine_properties import timelines
from whatsapp_pricing import records_of, webhooks
from whatsapp_pricing.domain import Account, Timeline
from whatsapp_pricing.engine import ENTRY_POINT_REPLY_WINDOW, FREE_ENTRY_POINT_LENGTH
from whatsapp_pricing.reconcile import (
    DEFAULT_WINDOW,
    Reconciler,
    SentTemplate,
    reconcile,
)
from whatsapp_pricing.reconcile.ordering import ByHour, InAnyOrder
from whatsapp_pricing.vocabulary import VOCABULARY
from whatsapp_pricing.webhooks import read_log

KENYA = "254751578687"
UTC_ACCOUNT = Account(time_zone="UTC")


def inbound(at: int, referral: bool = False) -> str:
    message: dict[str, Any] = {"from": KENYA, "id": f"in{at}", "timestamp": str(at), "type": "text"}
    if referral:
        message["referral"] = {"source_type": "ad", "source_id": "1"}
    return webhook_notification({"messages": [message]})


def status(message: str, kind: str, at: int, **extra: Any) -> str:
    body = {"id": message, "status": kind, "timestamp": str(at), "recipient_id": KENYA, **extra}
    return webhook_notification({"statuses": [body]})


def cbp(category: str, conversation: str, expires: int | None = None) -> dict[str, Any]:
    billable = category != "referral_conversion"
    origin: dict[str, Any] = {"id": conversation, "origin": {"type": category}}
    if expires is not None:
        origin["expiration_timestamp"] = str(expires)
    return {
        "conversation": origin,
        "pricing": {"billable": billable, "pricing_model": "CBP", "category": category},
    }


def pmp(category: str, kind: str) -> dict[str, Any]:
    return {
        "pricing": {
            "billable": kind == "regular",
            "pricing_model": "PMP",
            "type": kind,
            "category": category,
        }
    }


# 2024-07-05 11:42:28 UTC, as in a real capture: a reply opening a service conversation.
T = 1720179748
SERVICE_REPLY = [
    inbound(T - 600),
    status("wamid.1", "sent", T, **cbp("service", "conv1", expires=T + 32 + 86400)),
    status("wamid.1", "delivered", T + 1, **cbp("service", "conv1")),
    status("wamid.1", "read", T + 5, **cbp("service", "conv1")),
    status("wamid.2", "sent", T + 60, **cbp("service", "conv1")),
    status("wamid.2", "delivered", T + 61, **cbp("service", "conv1")),
]


def findings_of(lines: list[str]) -> dict[str, tuple[str, str]]:
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    return {finding.message: (finding.outcome, finding.detail) for finding in result.findings}


def test_a_service_conversation_agrees_with_the_rules() -> None:
    result = reconcile(read_log("\n".join(SERVICE_REPLY)), UTC_ACCOUNT)
    assert [finding.outcome for finding in result.findings] == ["agrees", "agrees"]
    assert result.clean


def test_a_json_array_log_reads_the_same() -> None:
    array = "[" + ",".join(SERVICE_REPLY) + "]"
    assert findings_of(SERVICE_REPLY) == {
        finding.message: (finding.outcome, finding.detail)
        for finding in reconcile(read_log(array), UTC_ACCOUNT).findings
    }


def test_a_free_entry_point_from_an_ad() -> None:
    lines = [
        inbound(T, referral=True),
        status("wamid.9", "delivered", T + 3600, **cbp("referral_conversion", "fep1")),
    ]
    assert findings_of(lines)["wamid.9"][0] == "agrees"


def test_a_disagreement_says_which_field_and_why() -> None:
    # August 2025: a utility template inside the service window is free, Meta says regular.
    at = 1754301600
    lines = [inbound(at), status("wamid.5", "delivered", at + 60, **pmp("utility", "regular"))]
    outcome, detail = findings_of(lines)["wamid.5"]
    assert outcome == "disagrees"
    assert "type: Meta says 'regular', the rules say 'free_customer_service'" in detail


def test_per_message_statuses_without_conversation_agree() -> None:
    at = 1754301600
    lines = [
        inbound(at),
        status("wamid.6", "delivered", at + 60, **pmp("service", "free_customer_service")),
        status("wamid.7", "read", at + 7200, **pmp("marketing", "regular")),
    ]
    assert {outcome for outcome, _ in findings_of(lines).values()} == {"agrees"}


def test_failed_and_undelivered_messages_are_reported_not_dropped() -> None:
    lines = [
        status("wamid.f", "failed", T, errors=[{"code": 131047}]),
        status("wamid.u", "sent", T, **cbp("marketing", "conv9")),
    ]
    findings = findings_of(lines)
    assert findings["wamid.f"][0] == "failed"
    assert findings["wamid.u"][0] == "undelivered"


def test_broken_and_irrelevant_lines_are_listed_with_why() -> None:
    lines = [
        *SERVICE_REPLY,
        "{not json",
        json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "account_update", "value": {"event": "X"}}]}],
            }
        ),
        json.dumps({"hello": "world"}),
    ]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert [(skip.line, skip.bad) for skip in result.skipped] == [(7, True), (8, False), (9, True)]
    assert not result.clean


def test_both_spellings_of_authentication_international_are_read() -> None:
    at = 1754301600
    for spelling in ("authentication-international", "authentication_international"):
        lines = [status("wamid.a", "delivered", at, **pmp(spelling, "regular"))]
        outcome, detail = findings_of(lines)["wamid.a"]
        assert outcome != "unknown", detail


def test_an_unknown_category_is_reported_not_a_crash() -> None:
    lines = [status("wamid.x", "delivered", T, **pmp("general_purpose_ai", "regular"))]
    assert findings_of(lines)["wamid.x"] == (
        "unknown",
        "pricing category 'general_purpose_ai' is not one the rules know",
    )


@settings(max_examples=50, deadline=None)
@given(st.randoms(use_true_random=False), st.lists(st.integers(0, len(SERVICE_REPLY) - 1)))
def test_shuffled_and_repeated_statuses_change_nothing(
    shuffler: random.Random, repeats: list[int]
) -> None:
    lines = SERVICE_REPLY + [SERVICE_REPLY[index] for index in repeats]
    shuffler.shuffle(lines)
    assert findings_of(lines) == findings_of(SERVICE_REPLY)


def test_charged_service_messages_from_october_2026() -> None:
    at = 1793610000  # 2026-11-02T09:00:00Z
    lines = [
        inbound(at),
        status("wamid.s", "delivered", at + 60, **pmp("service", "regular")),
        status("wamid.u", "delivered", at + 120, **pmp("utility", "regular")),
    ]
    assert {outcome for outcome, _ in findings_of(lines).values()} == {"agrees"}


def test_conversations_grouped_differently_are_flagged() -> None:
    # Two marketing templates an hour apart: the rules say one conversation, Meta two.
    lines = [
        status("wamid.m1", "delivered", T, **cbp("marketing", "convA")),
        status("wamid.m2", "delivered", T + 3600, **cbp("marketing", "convB")),
    ]
    findings = findings_of(lines)
    assert findings["wamid.m1"][0] == "agrees"
    assert findings["wamid.m2"][0] == "disagrees"
    assert (
        "conversation: Meta puts it in convB, the rules in c1, which Meta calls convA"
        in (findings["wamid.m2"][1])
    )


def test_an_expiry_more_than_a_minute_off_is_flagged() -> None:
    lines = [
        status("wamid.e", "sent", T, **cbp("marketing", "convE", expires=T + 3 * 3600)),
        status("wamid.e", "delivered", T + 1, **cbp("marketing", "convE")),
    ]
    outcome, detail = findings_of(lines)["wamid.e"]
    assert outcome == "disagrees"
    assert detail.startswith("expiration: Meta says 2024-07-05 14:42:28")


def test_an_origin_that_is_not_the_conversations_category_is_flagged() -> None:
    extra = cbp("marketing", "convO")
    extra["conversation"]["origin"]["type"] = "utility"
    outcome, detail = findings_of([status("wamid.o", "delivered", T, **extra)])["wamid.o"]
    assert outcome == "disagrees"
    assert "origin: Meta says 'utility', the rules say 'marketing'" in detail


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        ("marketing", None),  # the type alone, not in an object: compared as it is
        ("utility", "origin: Meta says 'utility', the rules say 'marketing'"),
        (5, "origin: Meta says 5, the rules say 'marketing'"),
        ({"type": ["marketing"]}, "origin: Meta says ['marketing'], the rules say 'marketing'"),
        (None, None),
        ({}, None),
    ],
)
def test_an_origin_of_any_json_shape_is_compared_not_fatal(
    origin: Any, problem: str | None
) -> None:
    extra = cbp("marketing", "convO")
    extra["conversation"]["origin"] = origin
    outcome, detail = findings_of([status("wamid.o", "delivered", T, **extra)])["wamid.o"]
    assert (outcome, detail if problem else None) == (
        ("disagrees", problem) if problem else ("agrees", None)
    )


@pytest.mark.parametrize("expiry", ["soon", [T], "nan", 1e300, {"at": T}])
def test_an_expiration_that_is_not_a_time_is_flagged_not_fatal(expiry: Any) -> None:
    extra = cbp("marketing", "convX")
    extra["conversation"]["expiration_timestamp"] = expiry
    outcome, detail = findings_of([status("wamid.x", "delivered", T, **extra)])["wamid.x"]
    assert (outcome, detail) == (
        "disagrees",
        f"expiration: Meta says {expiry!r}, which is not a time",
    )


def test_billable_is_not_judged_for_free_service_conversations() -> None:
    at = 1733130000  # 2024-12-02T09:00:00Z
    extra = cbp("service", "convS")
    extra["pricing"]["billable"] = False
    lines = [inbound(at), status("wamid.b", "delivered", at + 60, **extra)]
    assert findings_of(lines)["wamid.b"][0] == "agrees"


def category_update(value: dict[str, Any], at: int) -> str:
    change = {"field": "template_category_update", "value": value}
    entry = {"id": "1", "time": at, "changes": [change]}  # the same account as the statuses
    return json.dumps({"object": "whatsapp_business_account", "entry": [entry]})


ORDER_UPDATE = {
    "message_template_id": 278077987957091,
    "message_template_name": "order_update",
    "message_template_language": "en_US",
}


def test_a_template_meta_moved_to_marketing_is_billed_as_marketing_and_flagged() -> None:
    at = 1754301600  # 2025-08-04T10:00:00Z
    lines = [
        category_update(
            {**ORDER_UPDATE, "previous_category": "UTILITY", "new_category": "MARKETING"}, at
        ),
        status("wamid.t", "delivered", at + 3600, **pmp("marketing", "regular")),
        status("wamid.u", "delivered", at + 7200, **pmp("utility", "regular")),
    ]
    sent = {
        "wamid.t": SentTemplate("order_update", "utility"),
        "wamid.u": SentTemplate("shipping_notice", "marketing"),
    }
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, sent=sent)
    [change] = result.category_changes
    assert (change.template, change.before, change.after, change.line) == (
        "order_update",
        "utility",
        "marketing",
        1,
    )
    findings = {finding.message: finding for finding in result.findings}
    assert findings["wamid.t"].outcome == "agrees"
    assert findings["wamid.t"].predicted["charge"] == "0.0225"
    assert findings["wamid.t"].flag == (
        "template 'order_update' moved from utility to marketing on 2025-08-04 10:00:00 UTC "
        "(line 1); Meta bills it as marketing"
    )
    assert findings["wamid.u"].flag == (
        "sent as marketing, billed by Meta as utility; the log has no category change for "
        "template 'shipping_notice' before its delivery"
    )


def test_an_announced_category_change_counts_from_its_date() -> None:
    at = 1754301600
    announced = {
        **ORDER_UPDATE,
        "correct_category": "MARKETING",
        "new_category": "UTILITY",
        "category_update_timestamp": at + 86400,
    }
    lines = [
        category_update(announced, at),
        status("wamid.before", "delivered", at + 3600, **pmp("utility", "regular")),
        status("wamid.after", "delivered", at + 90000, **pmp("marketing", "regular")),
    ]
    sent = {name: SentTemplate("order_update") for name in ("wamid.before", "wamid.after")}
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, sent=sent)
    [change] = result.category_changes
    assert (change.before, change.after, change.at) == ("utility", "marketing", at + 86400)
    flags = {finding.message: finding.flag for finding in result.findings}
    assert flags["wamid.before"] == ""
    assert flags["wamid.after"].startswith("template 'order_update' moved from utility")


def test_a_category_update_without_a_name_is_a_broken_line() -> None:
    lines = [category_update({"previous_category": "UTILITY", "new_category": "MARKETING"}, T)]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert [(skip.why, skip.bad) for skip in result.skipped] == [
        ("a template category update without a usable 'message_template_name'", True)
    ]


def test_a_status_later_than_the_window_is_reported_not_placed() -> None:
    lines = [
        inbound(T),
        status("wamid.1", "delivered", T + 60, **cbp("service", "conv1")),
        inbound(T + 3 * 3600),
        inbound(T - 3600),
        status("wamid.late", "delivered", T - 1800, **cbp("marketing", "conv2")),
    ]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, window=3600)
    assert [(skip.line, skip.bad) for skip in result.skipped] == [(4, True), (5, True)]
    assert "try a wider --window" in result.skipped[0].why
    assert not result.clean
    wider = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, window=6 * 3600)
    assert wider.skipped == []


def test_a_delivery_status_that_comes_too_late_makes_the_message_unknown() -> None:
    lines = [
        status("wamid.s", "sent", T, **cbp("marketing", "conv1")),
        inbound(T + 3600),
        inbound(T + 5 * 3600),
        status("wamid.s", "delivered", T + 10, **cbp("marketing", "conv1")),
    ]
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, window=3600).findings
    assert finding.outcome == "unknown"
    assert finding.detail.startswith("its delivery status (line 4) came more than the reorder")


def test_a_read_status_days_later_changes_nothing() -> None:
    lines = [*SERVICE_REPLY, inbound(T + 5 * 86400), status("wamid.2", "read", T + 6 * 86400)]
    assert findings_of(lines) == findings_of(SERVICE_REPLY)


def test_a_failure_then_a_delivery_is_a_delivery() -> None:
    lines = [
        status("wamid.f", "failed", T, **cbp("marketing", "conv1")),
        status("wamid.f", "delivered", T + 600, **cbp("marketing", "conv1")),
    ]
    assert findings_of(lines)["wamid.f"][0] == "agrees"


def test_memory_follows_open_state_not_the_length_of_the_log() -> None:
    """Sixty days of steady traffic: what the reconciler holds stops growing after the horizon."""
    reconciler = Reconciler(UTC_ACCOUNT)
    held, outcomes, places = [], [], itertools.count()
    for hour in range(60 * 24):
        at = T + hour * 3600
        lines = [
            inbound(at),
            status(f"wamid.{hour}", "sent", at + 60, **cbp("service", f"c{hour}")),
            status(f"wamid.{hour}", "delivered", at + 61, **cbp("service", f"c{hour}")),
        ]
        number = f"2547{hour % 500:08d}"
        for item in read_log("\n".join(line.replace(KENYA, number) for line in lines)):
            outcomes += [finding.outcome for finding in reconciler.add(item, next(places))]
        held.append(reconciler.open_state)
    outcomes += [finding.outcome for finding in reconciler.finish()]
    assert outcomes == ["agrees"] * 60 * 24
    after_horizon = held[35 * 24 :]
    assert max(after_horizon) <= min(after_horizon) * 1.05
    assert max(held) < 60 * 24


def test_a_free_form_message_delivered_outside_the_window_is_flagged() -> None:
    lines = [status("wamid.r", "delivered", T, **cbp("service", "conv1"))]
    outcome, detail = findings_of(lines)["wamid.r"]
    assert outcome == "disagrees"
    assert "is the customer's last message missing from the log?" in detail


def test_a_template_in_a_free_entry_point_after_the_service_window_agrees() -> None:
    lines = [
        inbound(T, referral=True),
        status("wamid.f1", "delivered", T + 600, **cbp("referral_conversion", "fep1")),
        status("wamid.f2", "delivered", T + 2 * 86400, **cbp("referral_conversion", "fep1")),
    ]
    assert {outcome for outcome, _ in findings_of(lines).values()} == {"agrees"}


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [
            datetime(2022, 9, 5, tzinfo=UTC),
            START,
            datetime(2025, 8, 4, tzinfo=UTC),
            datetime(2026, 11, 2, tzinfo=UTC),
        ]
    ).flatmap(timelines)
)
def test_a_log_of_meta_following_the_rules_agrees_throughout(events: list[dict[str, Any]]) -> None:
    """Whatever happened, the reconciler rebuilds it from the log alone and finds no fault."""
    log = "\n".join(webhook_log(timeline(*events)))
    result = reconcile(read_log(log), UTC_ACCOUNT)
    assert {finding.outcome for finding in result.findings} <= {"agrees", "failed"}
    assert result.skipped == []


HOURS = st.integers(0, 6).map(lambda hours: hours * 3600.0)
NEAR_AN_HOUR = st.builds(
    lambda hour, offset: hour + offset,
    HOURS,
    st.sampled_from([0.0, 1.0, -1.0, 1e-6, -1e-6, 1799.5, 1e-9]),
)


@given(st.lists(NEAR_AN_HOUR, max_size=30), st.lists(HOURS, min_size=1, max_size=4))
def test_an_hourly_queue_gives_back_what_is_due_by_each_hour_in_time_order(
    times: list[float], hours: list[float]
) -> None:
    """Each hour gives back every item due by then and no other, by time, ties in the order
    pushed; and by the end, everything."""
    queue: ByHour[int] = ByHour()
    for position, at in enumerate(times):
        queue.push(at, position, position)
    given_back: list[tuple[float, int]] = []
    for until in [*sorted(hours), math.inf]:
        due = [(at, position) for at, _, position in queue.due(until)]
        assert all(at <= until for at, _ in due)
        given_back += due
        waiting = {(at, position) for position, at in enumerate(times)} - set(given_back)
        assert all(at > until for at, _ in waiting)
    assert given_back == sorted((at, position) for position, at in enumerate(times))


@given(st.lists(NEAR_AN_HOUR, max_size=30), st.lists(HOURS, min_size=1, max_size=4))
def test_an_unordered_hourly_queue_gives_back_what_the_ordered_one_does(
    times: list[float], hours: list[float]
) -> None:
    """What is only let go of by the hour (settled ids) comes out with the same hours as the
    ordered queue's items, whatever the order within an hour."""
    ordered: ByHour[int] = ByHour()
    unordered: InAnyOrder[int] = InAnyOrder()
    for position, at in enumerate(times):
        ordered.push(at, position, position)
        unordered.push(at, position)
    for until in [*sorted(hours), math.inf]:
        expected = sorted(position for _, _, position in ordered.due(until))
        assert sorted(unordered.due(until)) == expected


def test_an_earlier_delivery_after_the_message_is_settled_is_reported() -> None:
    later = [inbound(T + 3 * 86400), inbound(T + 5 * 86400)]
    lines = [*SERVICE_REPLY, *later, status("wamid.2", "delivered", T + 30, **cbp("service", "c"))]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert [(skip.line, skip.bad) for skip in result.skipped] == [(9, True)]
    assert findings_of(lines) == findings_of(SERVICE_REPLY + later)


OTHER_CUSTOMER = "27821234567"


def later_line(at: int) -> str:
    """A line about another customer, after a quiet stretch: it moves the log's clock."""
    message = {"from": OTHER_CUSTOMER, "id": f"other{at}", "timestamp": str(at), "type": "text"}
    return webhook_notification({"messages": [message]})


def test_an_earlier_delivery_while_the_conversation_is_open_makes_the_message_unknown() -> None:
    """The clock is 36 hours on, so the status is late; conversation conv1 is still open a
    window behind it, so the message is not settled yet."""
    lines = [*SERVICE_REPLY, inbound(T + 36 * 3600), status("wamid.2", "delivered", T + 30)]
    outcome, detail = findings_of(lines)["wamid.2"]
    assert outcome == "unknown"
    assert detail.startswith("its delivery status (line 8) came more than the reorder window")


@pytest.mark.parametrize("clock", [inbound(T + 3 * 86400), later_line(T + 3 * 86400)])
def test_an_earlier_delivery_once_the_message_is_settled_is_a_line_too_late(clock: str) -> None:
    """Three days on, a window behind the clock the conversation has ended and the message is
    settled, whether the line that moved the clock is the customer's or another's (the same
    log read in parts, on Spark, must settle it at the same line)."""
    lines = [*SERVICE_REPLY, clock, status("wamid.2", "delivered", T + 30)]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert [finding.outcome for finding in result.findings] == ["agrees", "agrees"]
    [skipped] = result.skipped
    assert (skipped.line, skipped.bad) == (8, True)
    assert "too late to place in time order" in skipped.why


def test_a_2022_log_in_either_spelling_of_user_initiated_agrees() -> None:
    at = 1662368400  # 2022-09-05 09:00 UTC
    user_initiated = cbp("customer_initiated", "conv1")  # as Meta's SDK spelled it
    business_initiated = cbp("business_initiated", "conv2")
    lines = [
        inbound(at),
        status("wamid.a", "delivered", at + 300, **user_initiated),
        status("wamid.b", "delivered", at + 3 * 3600, **user_initiated),
        status("wamid.c", "delivered", at + 2 * 86400, **business_initiated),
    ]
    findings = findings_of(lines)
    assert {outcome for outcome, _ in findings.values()} == {"agrees"}


def test_a_message_meta_put_in_an_ended_conversation_disagrees_after_a_quiet_stretch() -> None:
    day = 86400
    lines = [
        inbound(T),
        status("wamid.1", "delivered", T + 60, **cbp("service", "convA", T + 60 + day)),
        inbound(T + 2 * day),
        # The rules open a new conversation; Meta reuses the ended one.
        status("wamid.2", "delivered", T + 2 * day + 60, **cbp("service", "convA")),
    ]
    alone = findings_of(lines)
    assert alone["wamid.2"][0] == "disagrees"
    assert findings_of([*lines, later_line(T + 9 * day)]) == alone


@settings(max_examples=60, deadline=None)
@given(
    timelines(start=datetime(2024, 10, 7, tzinfo=UTC)),
    st.integers(1, 40),
    st.randoms(use_true_random=False),
)
def test_findings_do_not_depend_on_quiet_stretches_in_the_log(
    events: list[dict[str, Any]], quiet_days: int, rng: random.Random
) -> None:
    """Other customers' lines after a gap of any length change no finding, disagreements too."""
    log = webhook_log(timeline(*events))
    grouped = [index for index, line in enumerate(log) if '"conversation"' in line]
    for earlier, later in zip(rng.sample(grouped, len(grouped)), grouped[1:], strict=False):
        if earlier < later:  # Meta puts a later message in an earlier (perhaps ended) conversation
            log[later] = _with_conversation(log[later], _conversation_id(log[earlier]))
    last = max(datetime.fromisoformat(event["at"]).timestamp() for event in events)
    quiet = [*log, later_line(int(last) + quiet_days * 86400)]
    assert findings_of(quiet) == findings_of(log)


def _status_of(line: str) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(line)["entry"][0]["changes"][0]["value"]["statuses"][0]
    return status


def _conversation_id(line: str) -> str:
    return str(_status_of(line)["conversation"]["id"])


def _with_conversation(line: str, conversation_id: str) -> str:
    status = _status_of(line)
    status["conversation"]["id"] = conversation_id
    return webhook_notification({"statuses": [status]})


def test_a_message_queued_twice_for_the_same_time_is_decided_once() -> None:
    """Seen again after its record was forgotten, at the reorder horizon, then given an earlier
    delivery: held for the horizon twice, no crash."""
    day = 86400
    lines = [
        status("wamid.1", "delivered", T, **pmp("service", "regular")),
        inbound(T + 40 * day),
        status("wamid.1", "delivered", T + 39 * day, **pmp("service", "regular")),
        status("wamid.1", "delivered", T + 39 * day - 60, **pmp("service", "regular")),
    ]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert len(result.findings) == 2
    assert result.findings[-1].outcome == "unknown"


def test_a_line_dated_after_the_run_is_implausible_and_not_priced() -> None:
    year_3000 = 32503680000
    lines = [*SERVICE_REPLY, inbound(year_3000), status("wamid.far", "delivered", year_3000 + 60)]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, now=T + 86400)
    assert [finding.message for finding in result.findings] == ["wamid.1", "wamid.2"]
    assert [skip.line for skip in result.skipped] == [
        len(SERVICE_REPLY) + 1,
        len(SERVICE_REPLY) + 2,
    ]
    assert all("implausible" in skip.why and skip.bad for skip in result.skipped)
    assert not result.clean


BSUID = "KE.1502576394655843"


def bsuid_status(message: str, kind: str, at: int, number: bool, **extra: Any) -> str:
    body = {"id": message, "status": kind, "timestamp": str(at), "recipient_user_id": BSUID}
    if number:
        body["recipient_id"] = KENYA
    return webhook_notification({"statuses": [body | extra]})


def test_a_customer_named_by_number_or_user_id_is_one_customer() -> None:
    """The window opened under the number counts for a status that names only the user id."""
    at, day = 1754301600, 86400  # 2025-08-04, per-message pricing
    free, charged = pmp("service", "free_customer_service"), pmp("utility", "regular")
    lines = [
        inbound(at),
        bsuid_status("wamid.1", "delivered", at + 60, True, **free),
        # From here Meta withholds the number (the customer adopted a username).
        bsuid_status("wamid.2", "delivered", at + 120, False, **free),
        bsuid_status("wamid.3", "delivered", at + 2 * day, False, **charged),
    ]
    result = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)
    assert {finding.outcome for finding in result.findings} == {"agrees"}
    assert {(finding.customer, finding.user_id) for finding in result.findings} == {
        ("+" + KENYA, BSUID)
    }


def test_a_customer_known_only_by_user_id_is_priced_by_its_country() -> None:
    at = 1754301600  # 2025-08-04
    message = {"from_user_id": BSUID, "id": "in1", "timestamp": str(at), "type": "text"}
    lines = [
        webhook_notification({"messages": [message]}),
        bsuid_status("wamid.1", "delivered", at + 60, False, **pmp("marketing", "regular")),
    ]
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT).findings
    assert finding.outcome == "agrees", finding.detail
    assert (finding.customer, finding.user_id) == (BSUID, BSUID)
    assert finding.predicted["charge"] == "0.0225"  # Rest of Africa marketing, 2025-08


def test_a_service_message_meta_called_free_points_at_the_unconfirmed_allowance() -> None:
    at = 1793613600  # 2026-11-02 10:00 UTC: service messages are charged
    lines = [
        inbound(at),
        status("wamid.s", "delivered", at + 60, **pmp("service", "free_customer_service")),
    ]
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT).findings
    assert finding.outcome == "disagrees"
    assert "--unconfirmed-free-service-messages" in finding.detail
    allowed = Account(time_zone="UTC", unconfirmed_free_service_messages=True)
    [again] = reconcile(read_log("\n".join(lines)), allowed).findings
    assert again.outcome == "agrees", again.detail


def test_a_mexican_customer_in_the_old_form_is_priced_in_mexico() -> None:
    at = 1793613600  # 2026-11-02
    message = {"from": "5215512345678", "id": "in1", "timestamp": str(at), "type": "text"}
    body = {"id": "wamid.mx", "status": "delivered", "timestamp": str(at + 60),
            "recipient_id": "5215512345678", **pmp("marketing", "regular")}  # fmt: skip
    lines = [
        webhook_notification({"messages": [message]}),
        webhook_notification({"statuses": [body]}),
    ]
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT).findings
    assert finding.outcome == "agrees", finding.detail
    assert finding.predicted["charge"] == "0.0397"  # Mexico's marketing rate


def test_a_log_in_metas_format_of_december_2026() -> None:
    """Names from contacts, a customer with a username, a Mexican id in both forms, and a
    parent id naming the same customer in another account of the provider."""
    log = (FIXTURES / "december-2026.jsonl").read_bytes()
    accounts = {
        "102290129340398": Account(time_zone="Africa/Nairobi"),
        "204081632640128": Account(time_zone="UTC"),
    }
    result = reconcile(read_log(log), None, accounts=accounts)
    assert not result.skipped
    assert {
        finding.message: (finding.outcome, finding.customer, finding.user_id, finding.account)
        for finding in result.findings
    } == {
        "wamid.A1": ("agrees", "+254751578687", "KE.1502576394655843", "102290129340398"),
        "wamid.A2": ("agrees", "+525512345678", "", "102290129340398"),
        "wamid.A3": ("agrees", "BR.1502576394655843", "BR.1502576394655843", "102290129340398"),
        "wamid.B1": ("agrees", "+254751578687", "KE.1502576394655843", "204081632640128"),
    }
    assert {finding.business_number for finding in result.findings} == {
        "106540352242922",
        "309876543210987",
    }


def test_a_parent_id_alone_is_the_customer_whose_window_is_open() -> None:
    at = 1793613600  # 2026-11-02: a service message needs the window the number opened
    parent = "KE.ENT.9081726354"
    contact = {"wa_id": KENYA, "user_id": BSUID, "parent_user_id": parent}
    message = {"from": KENYA, "id": "in1", "timestamp": str(at), "type": "text"}
    body = {"id": "wamid.p", "status": "delivered", "timestamp": str(at + 60),
            "recipient_parent_user_id": parent, **pmp("service", "regular")}  # fmt: skip
    lines = [
        webhook_notification({"contacts": [contact], "messages": [message]}),
        webhook_notification({"statuses": [body]}),
    ]
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT).findings
    assert finding.outcome == "agrees", finding.detail
    assert (finding.customer, finding.user_id) == ("+" + KENYA, BSUID)


def test_the_links_do_not_grow_with_the_customers_gone_quiet() -> None:
    """Sixty days, a new customer with a username every hour, each quiet after a day."""
    reconciler = Reconciler(UTC_ACCOUNT)
    links, outcomes, places = [], [], itertools.count()
    for hour in range(60 * 24):
        at, number, user_id = T + hour * 3600, f"2547{hour:08d}", f"KE.{hour}"
        message = {"from": number, "from_user_id": user_id, "id": f"in{hour}",
                   "timestamp": str(at), "type": "text"}  # fmt: skip
        answer = {"id": f"wamid.{hour}", "status": "delivered", "timestamp": str(at + 60),
                  "recipient_user_id": user_id, **cbp("service", f"c{hour}")}  # fmt: skip
        for line in (webhook_notification({"messages": [message]}),
                     webhook_notification({"statuses": [answer]})):  # fmt: skip
            for item in read_log(line):
                outcomes += [finding.outcome for finding in reconciler.add(item, next(places))]
        links.append(reconciler.open_state - reconciler.held)
    outcomes += [finding.outcome for finding in reconciler.finish()]
    assert outcomes == ["agrees"] * 60 * 24
    assert max(links[10 * 24 :]) == max(links[5 * 24 : 10 * 24]) < 10 * 24 * 2


def test_the_reported_free_service_messages_are_counted_per_business_number() -> None:
    """With the unconfirmed allowance on, each business number has its own 1,000 a month."""
    at = 1793613600  # 2026-11-02
    allowed = Account(time_zone="UTC", unconfirmed_free_service_messages=True)
    free = pmp("service", "free_customer_service")

    def answer(number: int, business: str) -> str:
        body = {"id": f"wamid.{business}.{number}", "status": "delivered",
                "timestamp": str(at + 60 + number), "recipient_id": KENYA, **free}  # fmt: skip
        metadata = {"display_phone_number": business, "phone_number_id": business}
        return webhook_notification({"metadata": metadata, "statuses": [body]})

    lines = [inbound(at), *(answer(n, "111") for n in range(1001)), answer(1001, "222")]
    findings = reconcile(read_log("\n".join(lines)), allowed).findings
    disagreeing = [finding.message for finding in findings if finding.outcome != "agrees"]
    assert disagreeing == ["wamid.111.1000"]


ALIASES = {
    "5511987654321": ("BR.5511", "BR.ENT.5511"),
    "27821234567": ("ZA.2782", "ZA.ENT.2782"),
    "919812345678": ("IN.9198", "IN.ENT.9198"),
}
"""A business-scoped user id and a parent id for each customer of the generated timelines."""
NAMINGS = ("number", "national", "user", "parent", "both", "contacts")
LINK_KEPT = ENTRY_POINT_REPLY_WINDOW + FREE_ENTRY_POINT_LENGTH + 2 * DEFAULT_WINDOW
"""How long after a line last named a customer the reconciler must still know that their names
are one: the longest of the rules' timers (an ad's reply a day later opens 72 free hours), and
the reorder window on either side. After that it may let the link go, so that its memory follows
the customers in play (see test_the_links_do_not_grow_with_the_customers_gone_quiet)."""


def named_variously(line: str, naming: str) -> str:
    """A line of a generated log, its customer named another way Meta may name them."""
    value = json.loads(line)["entry"][0]["changes"][0]["value"]
    kind = "messages" if "messages" in value else "statuses"
    [item] = value[kind]
    field, prefix = ("from", "from") if kind == "messages" else ("recipient_id", "recipient")
    number = item[field]
    user, parent = ALIASES[number]
    if naming == "national" and number.startswith("55"):
        item[field] = number[:4] + number[5:]  # without the ninth digit
    elif naming in ("user", "parent", "contacts"):
        del item[field]
        item[f"{prefix}_{'parent_' if naming == 'parent' else ''}user_id"] = parent
        if naming != "parent":
            item[f"{prefix}_user_id"] = user
            item.pop(f"{prefix}_parent_user_id", None)
        if naming == "contacts":  # the number and the parent id only in the contacts entry
            value["contacts"] = [{"wa_id": number, "user_id": user, "parent_user_id": parent}]
    elif naming == "both":
        item[f"{prefix}_user_id"], item[f"{prefix}_parent_user_id"] = user, parent
    return webhook_notification({key: value[key] for key in (kind, "contacts") if key in value})


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [START, datetime(2025, 8, 4, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)]
    ).flatmap(timelines),
    st.randoms(use_true_random=False),
)
def test_a_customer_is_one_customer_whatever_names_the_lines_use(
    events: list[dict[str, Any]], rng: random.Random
) -> None:
    """A rule-following log whose lines name each customer by number (in either form), user id,
    parent id or several, once a line has linked them (again after a quiet spell): the same
    findings as by number alone."""
    log = webhook_log(timeline(*events))
    last_named: dict[str, float] = {}
    renamed = []
    for line in log:
        value = json.loads(line)["entry"][0]["changes"][0]["value"]
        [item] = value.get("messages") or value["statuses"]
        number = item.get("from") or item["recipient_id"]
        at = float(item["timestamp"])
        # A customer's first line links all three names, and so does their first line after a
        # quiet spell longer than LINK_KEPT, when the reconciler may have let the link go. Meta
        # never sends what this would otherwise allow: a customer named by an id alone on one
        # line and by the number alone on a later one, with no line naming both between (found:
        # a lone parent id after six quiet days, then a status to the number alone). Before April
        # 2026 no line carries an id; since then every incoming message and every sent, delivered
        # or read status carries the user id, beside the number whenever it shows one, and a
        # parent id only beside the user id (Meta's "Business-scoped user IDs" page, summarised
        # at dualhook.com/docs/contacts-bsuid-webhooks).
        linked = at - last_named.get(number, -math.inf) <= LINK_KEPT
        first = rng.choice(("both", "contacts"))  # a line that links all three names
        renamed.append(named_variously(line, rng.choice(NAMINGS) if linked else first))
        last_named[number] = at
    assert findings_of(renamed) == findings_of(log)
    result = reconcile(read_log("\n".join(renamed)), UTC_ACCOUNT)
    assert result.skipped == []
    names = {"+" + number for number in ALIASES} | {
        name for ids in ALIASES.values() for name in ids
    }
    assert {finding.customer for finding in result.findings} <= names


def test_a_customer_whose_country_cannot_be_told_is_unknown_with_why() -> None:
    at = 1793613600
    body = {"id": "wamid.x", "status": "delivered", "timestamp": str(at),
            "recipient_user_id": "XX.1502576394655843", **pmp("marketing", "regular")}  # fmt: skip
    [finding] = reconcile(
        read_log(webhook_notification({"statuses": [body]})), UTC_ACCOUNT
    ).findings
    assert (finding.outcome, finding.detail) == (
        "unknown",
        "XX.1502576394655843 is neither a possible phone number nor a business-scoped user id "
        "of a known country, so its market cannot be told",
    )


# A status webhook of a marketing template sent through the Marketing Messages API, in the shape
# of Meta's own payloads (API v24 and later: no conversation object under per-message pricing).
MARKETING_LITE_DELIVERED = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "statuses": [
                            {
                                "id": "wamid.HBgLMjU0NzUxNTc4Njg3FQIAERgSMzU0QkFCMDJGQjQ4NTRC",
                                "status": "delivered",
                                "timestamp": "1762250400",
                                "recipient_id": KENYA,
                                "pricing": {
                                    "billable": True,
                                    "pricing_model": "PMP",
                                    "category": "marketing_lite",
                                    "type": "regular",
                                },
                            }
                        ],
                    },
                    "field": "messages",
                }
            ],
        }
    ],
}


def test_marketing_lite_agrees_with_a_marketing_charge() -> None:
    """``marketing_lite`` is one of marketing's webhook spellings in the vocabulary, so a
    Marketing Messages API delivery agrees with the rules' marketing charge (2026-11-04)."""
    result = reconcile(read_log(json.dumps(MARKETING_LITE_DELIVERED)), UTC_ACCOUNT)
    [finding] = result.findings
    assert (finding.outcome, finding.predicted["category"]) == ("agrees", "marketing")
    assert finding.predicted["charge"] != "unpriced"
    assert (
        finding.meta
        == MARKETING_LITE_DELIVERED["entry"][0]["changes"][0]["value"][  # type: ignore[index]
            "statuses"
        ][0]["pricing"]
    )


def test_marketing_lite_is_billed_as_marketing_for_the_business_records() -> None:
    lines = [json.dumps(MARKETING_LITE_DELIVERED)]
    message_id = MARKETING_LITE_DELIVERED["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]  # type: ignore[index]
    sent = {message_id: SentTemplate("autumn_sale", "marketing")}
    [finding] = reconcile(read_log("\n".join(lines)), UTC_ACCOUNT, sent=sent).findings
    assert (finding.outcome, finding.flag) == ("agrees", "")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        [datetime(2022, 9, 5, tzinfo=UTC), START, datetime(2026, 11, 2, tzinfo=UTC)]
    ).flatmap(timelines),
    st.randoms(use_true_random=False),
)
def test_every_spelling_of_the_vocabulary_agrees(
    events: list[dict[str, Any]], rng: random.Random
) -> None:
    """Meta writing any of a category's webhook spellings (``marketing_lite``,
    ``customer_initiated``, ``authentication_international``...) changes no finding."""

    def any_spelling(category: str) -> str:
        return rng.choice(VOCABULARY.reported[category].webhook)

    spelled = webhook_log(timeline(*events), spell=any_spelling)
    assert findings_of(spelled) == findings_of(webhook_log(timeline(*events)))
    assert {outcome for outcome, _ in findings_of(spelled).values()} <= {"agrees", "failed"}


# Data points of Meta's pricing_analytics, in the shape of its documented response (the times
# and countries changed to match the messages below).
PRICING_ANALYTICS = {
    "pricing_analytics": {
        "data": [
            {
                "data_points": [
                    {"start": 1762214400, "end": 1762300800, "country": "KE",
                     "pricing_type": "REGULAR", "pricing_category": "MARKETING_LITE",
                     "volume": 1, "cost": 10},
                    {"start": 1762214400, "end": 1762300800, "country": "KE",
                     "pricing_type": "REGULAR", "pricing_category": "MARKETING",
                     "volume": 1, "cost": 10},
                    {"start": 1762214400, "end": 1762300800, "country": "KE",
                     "pricing_type": "REGULAR", "pricing_category": "SERVICE",
                     "volume": 1, "cost": 10},
                    {"start": 1762214400, "end": 1762300800, "country": "KE",
                     "pricing_type": "REGULAR", "pricing_category": "AUTHENTICATION_INTERNATIONAL",
                     "volume": 1, "cost": 10},
                ]
            }
        ]
    },
    "id": "102290129340398",
}  # fmt: skip


def test_analytics_spellings_read_through_the_vocabulary_name_the_rules_categories() -> None:
    """Each data point, read through the vocabulary, names the category and pricing type the
    rules give the message it counts: a marketing template (sent through either API), a
    reply (charged since 2026-10-01), an international authentication template (2026-11-04,
    Kenya)."""
    day = "2026-11-04T10:00:00+00:00"
    account = {
        "time_zone": "UTC",
        "authentication_international": True,
        "primary_business_location": "IN",
    }
    kenyan = f"+{KENYA}"
    events = [
        {"type": "customer_message", "at": day, "customer": kenyan},
        *(
            {"type": "template", "id": name, "at": day, "customer": kenyan, "category": category}
            for name, category in (("lite", "marketing"), ("cloud", "marketing"))
        ),
        {"type": "free_form", "id": "reply", "at": day, "customer": kenyan},
        {
            "type": "template",
            "id": "otp",
            "at": day,
            "customer": kenyan,
            "category": "authentication",
        },
    ]
    timeline = Timeline.model_validate({"account": account, "events": events})
    records, _ = records_of(timeline)
    points = PRICING_ANALYTICS["pricing_analytics"]["data"][0]["data_points"]  # type: ignore[index]
    for record, point in zip(records, points, strict=True):
        read = VOCABULARY.from_analytics(point["pricing_category"], point["pricing_type"])
        assert record.webhook is not None
        assert read.category is VOCABULARY.reported[record.webhook.category], record.id
        assert read.pricing_type.name == record.webhook.type, record.id
        assert read.pricing_type.charged == record.webhook.billable, record.id


def test_meta_pricing_is_compared_as_sent_even_of_the_wrong_type() -> None:
    """Meta's ``pricing`` is read into a typed struct that keeps each value as Meta sent it
    (the fast reader and the generic one alike): a ``billable`` of the wrong type is a
    disagreement that says what Meta wrote."""
    wrong = {"billable": "yes", "pricing_model": "CBP", "category": "service"}
    line = status("wamid.w", "delivered", T + 60, pricing=wrong)
    [usual] = webhooks.usual_notification(line.encode(), 1) or []
    [generic] = webhooks._notification(json.loads(line), 1)
    assert usual == generic
    assert isinstance(usual, webhooks.StatusUpdate)
    expected = webhooks.ReportedPricing(category="service", billable="yes", pricing_model="CBP")
    assert usual.pricing == expected
    [finding] = reconcile(read_log("\n".join([inbound(T), line])), UTC_ACCOUNT).findings
    assert finding.outcome == "disagrees"
    assert "billable: Meta says 'yes', the rules say True" in finding.detail
    assert finding.meta == wrong


def test_a_status_is_read_in_the_order_its_class_declares() -> None:
    """The reconciler (``Reconciler._status``) and a waiting message
    (:meth:`~whatsapp_pricing.reconcile.message.PendingMessage.take`) take a status's fields,
    and its ``conversation``'s, by position in one call each: a field moved in either class
    would be read as another of the same type without a word."""
    from whatsapp_pricing.webhook_shapes import ReportedConversation, StatusUpdate

    fields = StatusUpdate.__struct_fields__
    read = {0: "message", 1: "customer", 2: "status", 3: "at", 4: "pricing"}
    read |= {5: "conversation", 6: "line", 7: "user_id", 9: "parent_user_id"}
    read |= {10: "business_number", 11: "errors"}
    assert len(fields) == 12
    assert {index: fields[index] for index in read} == read
    assert ReportedConversation.__struct_fields__ == ("id", "origin", "expiration_timestamp")


def test_a_conversation_is_read_in_the_order_its_class_declares() -> None:
    """The reconciler takes the conversation the rules put a message in by position, in one
    call: a field moved would be read as the other without a word."""
    from whatsapp_pricing.records import ConversationRef

    assert ConversationRef.__struct_fields__ == ("id", "category")
