"""Does my bill match? Meta's ``pricing_analytics`` (and ``conversation_analytics``) beside the
rules' charges for a log, bucket by bucket, each known cause of a difference made by a log
built for it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import webhook_log, webhook_notification
from whatsapp_pricing import records_of
from whatsapp_pricing.cli import main
from whatsapp_pricing.domain import Account, Timeline
from whatsapp_pricing.markets import country_of
from whatsapp_pricing.reconcile import ReconcileOptions, reconcile
from whatsapp_pricing.reconcile.analytics import read_analytics
from whatsapp_pricing.reconcile.bill import Bill, Comparison
from whatsapp_pricing.reconcile.statement import summary
from whatsapp_pricing.vocabulary import VOCABULARY
from whatsapp_pricing.webhooks import read_log

DAY = 86400
PACIFIC = 7 * 3600
"""Meta's buckets in the documented examples begin at 07:00 UTC (midnight in California)."""
AUGUST = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
"""A Monday under per-message pricing, with service messages charged."""
INDIA = "+919812345678"
BRAZIL = "+5511987654321"
WABA = "1"
"""The account id of the test logs' entries (``tests.helpers.webhook_notification``)."""


def at(hours: float, start: datetime = AUGUST) -> str:
    return (start + timedelta(hours=hours)).isoformat()


def send(
    kind: str, message_id: str, hours: float, number: str = INDIA, **more: Any
) -> dict[str, Any]:
    return {"type": kind, "id": message_id, "at": at(hours), "customer": number, **more}


def wrote(hours: float, number: str = INDIA) -> dict[str, Any]:
    return {"type": "customer_message", "at": at(hours), "customer": number}


def make(*events: dict[str, Any], time_zone: str = "UTC", unconfirmed: bool = False) -> Timeline:
    account = {"time_zone": time_zone, "currency": "USD"}
    if unconfirmed:
        account["unconfirmed_free_service_messages"] = True  # type: ignore[assignment]
    return Timeline.model_validate({"account": account, "events": list(events)})


def daily(at: float, offset: int = PACIFIC) -> tuple[int, int]:
    start = (int(at) - offset) // DAY * DAY + offset
    return start, start + DAY


def half_hourly(at: float) -> tuple[int, int]:
    start = int(at) // 1800 * 1800
    return start, start + 1800


def monthly(at: float) -> tuple[int, int]:
    moment = datetime.fromtimestamp(at, ZoneInfo("America/Los_Angeles"))
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return int(first.timestamp()), int(following.timestamp())


def meta_figures(
    timeline: Timeline,
    bucket: Callable[[float], tuple[int, int]] = daily,
    spell: Callable[[str, str], tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Data points as Meta's ``pricing_analytics`` gives them, built from the engine's own
    charges for the timeline: what Meta bills when it follows the rules."""
    records = {record.id: record for record in records_of(timeline)[0]}
    points: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for event in timeline.events:
        record = records.get(getattr(event, "id", ""))
        if record is None or record.webhook is None or record.status != "delivered":
            continue
        category = VOCABULARY.reported[record.webhook.category].analytics[0]
        kind = VOCABULARY.pricing_type(str(record.webhook.type)).analytics
        if spell is not None:
            category, kind = spell(category, kind)
        key = (*bucket(event.at.timestamp()), country_of(record.customer), category, kind)
        points[key][0] += 1
        points[key][1] += record.charge.amount or Decimal(0)
    return [
        {
            "start": start,
            "end": end,
            "country": country,
            "pricing_category": category,
            "pricing_type": kind,
            "volume": volume,
            "cost": float(cost),
        }
        for (start, end, country, category, kind), (volume, cost) in sorted(points.items())
    ]


def response(points: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """One Graph API response in Meta's documented shape."""
    return {"pricing_analytics": {"data": [{"data_points": points}]}, "id": WABA, **more}


def compare(timeline: Timeline, analytics: object, log: list[str] | None = None) -> Bill:
    account = timeline.account
    options = ReconcileOptions(account=account)
    read = read_analytics(json.dumps(analytics).encode(), "analytics.json")
    comparison = Comparison(read, options)
    result = reconcile(read_log("\n".join(log or webhook_log(timeline))), account, now=2e9)
    for finding in result.findings:
        comparison.take(finding)
    [bill] = comparison.bills(result.category_changes)
    return bill


def causes(bill: Bill) -> dict[str, bool]:
    return {cause.code: cause.explains for b in bill.differing for cause in b.causes}


# A day of an Indian account under per-message pricing: marketing, utility, authentication and
# service, a reply inside the window, one free-form answer.
DAY_OF_TRAFFIC = make(
    send("template", "m1", 0, category="marketing"),
    send("template", "u1", 1, category="utility"),
    send("template", "a1", 2, category="authentication"),
    wrote(3),
    send("free_form", "s1", 3.5),
    send("template", "u2", 4, category="utility"),
    send("template", "m2", 30, category="marketing", number=BRAZIL),
)


def test_a_bill_that_follows_the_rules_is_quiet() -> None:
    bill = compare(DAY_OF_TRAFFIC, response(meta_figures(DAY_OF_TRAFFIC)))
    assert not bill.differing
    assert bill.meta_total == bill.rules_total > 0
    assert bill.messages == 6
    assert "Every bucket agrees" in summary(bill)[1]


@pytest.mark.parametrize("bucket", [daily, half_hourly, monthly], ids=["daily", "half", "month"])
def test_every_granularity_is_quiet_when_meta_follows_the_rules(
    bucket: Callable[[float], tuple[int, int]],
) -> None:
    bill = compare(DAY_OF_TRAFFIC, response(meta_figures(DAY_OF_TRAFFIC, bucket)))
    assert not bill.differing
    for length in {b.key.end - b.key.start for b in bill.buckets}:
        assert length in (1800, DAY) or 28 * DAY - 3600 <= length <= 31 * DAY + 3600


def test_pages_concatenated_or_in_an_array_read_the_same() -> None:
    points = meta_figures(DAY_OF_TRAFFIC)
    first, rest = points[:2], points[2:]
    page_one = response(first, paging={"cursors": {"before": "QVFI", "after": "QVFJ"}})
    # A paginating client follows paging.next: the next page is the field's body alone.
    page_two = {"data": [{"data_points": rest}], "paging": {"cursors": {"before": "QVFJ"}}}
    concatenated = (json.dumps(page_one) + "\n" + json.dumps(page_two)).encode()
    [read] = read_analytics(concatenated, "pages.json")
    assert read.account == WABA
    assert len(read.figures) == len(points)
    [as_array] = read_analytics(json.dumps([page_one, page_two]).encode(), "array.json")
    assert as_array.figures == read.figures


def test_metas_documented_example_reads_through_the_vocabulary() -> None:
    # The shape of Meta's Analytics page: a daily bucket from 07:00 UTC, an Indian
    # MARKETING_LITE message, the cost in the account's currency.
    documented = {
        "pricing_analytics": {
            "data": [
                {
                    "data_points": [
                        {
                            "start": 1748761200,
                            "end": 1748847600,
                            "country": "IN",
                            "pricing_type": "REGULAR",
                            "pricing_category": "MARKETING_LITE",
                            "volume": 1,
                            "cost": 10,
                        }
                    ]
                }
            ]
        },
        "id": "102290129340398",
    }
    [read] = read_analytics(json.dumps(documented).encode(), "meta.json")
    [figure] = read.figures
    assert figure.category is VOCABULARY.category("marketing")
    assert figure.spelling == "MARKETING_LITE"
    assert figure.cost == Decimal(10)
    assert figure.pricing_type.name == "regular"


def test_messages_meta_counted_that_the_log_lacks_are_missing_webhooks() -> None:
    timeline = make(
        send("template", "m1", 0, category="marketing"),
        send("template", "m2", 1, category="marketing"),
    )
    log = webhook_log(timeline)
    # The log lost m2's delivery: Meta still counted and billed it.
    kept = [line for line in log if not ('"m2"' in line and '"delivered"' in line)]
    bill = compare(timeline, response(meta_figures(timeline)), kept)
    [bucket] = bill.differing
    assert bucket.volume_difference == 1
    assert causes(bill) == {"missing_webhooks": True}
    assert bill.unexplained == 0
    assert bill.explained > 0


def test_a_count_meta_has_and_the_log_never_saw_is_unexplained() -> None:
    timeline = make(send("template", "m1", 0, category="marketing"))
    points = meta_figures(timeline)
    points[0]["volume"] += 2
    points[0]["cost"] *= 3
    bill = compare(timeline, response(points))
    assert causes(bill) == {"missing_webhooks": False}
    assert bill.unexplained > 0
    assert "is unexplained" in summary(bill)[1]


def test_a_lower_rate_with_the_same_volume_is_volume_tiers() -> None:
    timeline = make(*(send("template", f"u{i}", i, category="utility") for i in range(3)))
    points = meta_figures(timeline)
    points[0]["cost"] = round(points[0]["cost"] * 0.8, 4)
    points[0]["tier"] = "25000001:50000000"  # asked with the TIER dimension
    bill = compare(timeline, response(points))
    assert causes(bill) == {"volume_tiers": True}
    assert "tier 25000001:50000000" in str(bill.differing[0].causes[0])


def test_marketing_lite_cheaper_than_the_card_is_the_max_price() -> None:
    timeline = make(send("template", "m1", 0, category="marketing"))
    points = meta_figures(timeline, spell=lambda c, k: ("MARKETING_LITE", k))
    points[0]["cost"] = points[0]["cost"] / 2
    bill = compare(timeline, response(points))
    assert causes(bill) == {"max_price": True}


def test_a_message_near_the_buckets_edge_in_another_time_zone() -> None:
    # Delivered 06:30 UTC: the account's (UTC) day has begun, Meta's bucket (from 07:00 UTC)
    # has not; Meta counted it in the next bucket.
    timeline = make(send("template", "m1", 18.5, category="marketing"))
    points = meta_figures(timeline)
    points[0]["start"] += DAY
    points[0]["end"] += DAY
    before = {**points[0], "volume": 0, "cost": 0}
    before["start"], before["end"] = points[0]["start"] - DAY, points[0]["start"]
    bill = compare(timeline, response([*points, before]))
    assert causes(bill)["time_zone"] is True
    assert all(bucket.explained for bucket in bill.differing), summary(bill)


def test_a_recategorised_template_moves_volume_between_categories() -> None:
    timeline = make(send("template", "u1", 0, category="utility"))
    log = webhook_log(timeline)
    change = {
        "field": "template_category_update",
        "value": {
            "message_template_id": 1,
            "message_template_name": "order_update",
            "message_template_language": "en_US",
            "previous_category": "UTILITY",
            "new_category": "MARKETING",
        },
    }
    line = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": WABA, "time": int(AUGUST.timestamp()) - 3600, "changes": [change]}],
        }
    )
    # Meta billed it as marketing, the log's status still said utility.
    points = meta_figures(timeline, spell=lambda c, k: ("MARKETING", k))
    bill = compare(timeline, response(points), [line, *log])
    found = causes(bill)
    assert found.get("recategorised") is True, summary(bill)


def test_service_messages_meta_freed_settle_the_allowance() -> None:
    october = datetime(2026, 10, 5, 12, tzinfo=UTC)
    events = [{"type": "customer_message", "at": at(0, october), "customer": INDIA}]
    events += [
        send("free_form", f"s{i}", 0.1 * (i + 1), number=INDIA) | {"at": at(0.1 * (i + 1), october)}
        for i in range(3)
    ]
    timeline = make(*events)
    # Meta counted the three as free customer service: the reported allowance.
    points = meta_figures(timeline, spell=lambda c, k: (c, "FREE_CUSTOMER_SERVICE"))
    for point in points:
        point["cost"] = 0
    bill = compare(timeline, response(points))
    assert causes(bill)["free_service_allowance"] is True
    assert all(bucket.explained for bucket in bill.differing), summary(bill)
    assert "the reported allowance applies" in bill.allowance


def test_service_messages_meta_charged_say_the_allowance_does_not_apply() -> None:
    october = datetime(2026, 10, 5, 12, tzinfo=UTC)
    events = [{"type": "customer_message", "at": at(0, october), "customer": INDIA}]
    events += [
        send("free_form", f"s{i}", 0, number=INDIA) | {"at": at(0.1 * (i + 1), october)}
        for i in range(2)
    ]
    timeline = make(*events)
    bill = compare(timeline, response(meta_figures(timeline)))
    assert not bill.differing
    assert "does not apply" in bill.allowance


def test_an_unpriced_market_is_named() -> None:
    # A number of a market with no sourced rate on the card: the rules give no amount.
    # August 2025: the shipped card of that quarter is partial and lacks India.
    august = datetime(2025, 8, 4, 12, tzinfo=UTC)
    timeline = make(send("template", "m1", 0, category="marketing") | {"at": at(0, august)})
    assert records_of(timeline)[0][0].charge.amount is None
    points = meta_figures(timeline)
    points[0]["cost"] = 0.05
    bill = compare(timeline, response(points))
    assert causes(bill) == {"unpriced": True}


CONVERSATION_RESPONSE = {
    "conversation_analytics": {
        "data": [
            {
                "data_points": [
                    {
                        "start": 1728284400,
                        "end": 1728370800,
                        "conversation": 1,
                        "phone_number": "15550458206",
                        "country": "BR",
                        "conversation_type": "REGULAR",
                        "conversation_category": "MARKETING",
                        "cost": 0.0625,
                    }
                ]
            }
        ]
    },
    "id": WABA,
}


def test_conversation_analytics_compare_per_conversation() -> None:
    start = datetime(2024, 10, 7, 9, tzinfo=UTC)
    timeline = make(
        {
            "type": "template",
            "id": "m1",
            "at": at(0, start),
            "customer": BRAZIL,
            "category": "marketing",
        },
        {
            "type": "template",
            "id": "m2",
            "at": at(1, start),
            "customer": BRAZIL,
            "category": "marketing",
        },
    )
    bill = compare(timeline, CONVERSATION_RESPONSE)
    # Two messages, one conversation: Meta's one conversation is the rules' one.
    [bucket] = bill.buckets
    assert bucket.rules.volume == 1
    assert bucket.meta.volume == 1
    assert not bill.differing, summary(bill)


# The property: for a rule-following log and analytics built from the engine's own charges,
# the comparison is quiet, whatever the account's time zone and Meta's buckets.
ZONES = ["UTC", "Asia/Kolkata", "America/Sao_Paulo", "America/Los_Angeles", "Pacific/Kiritimati"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from(ZONES),
    plan=st.lists(
        st.tuples(
            st.sampled_from(["marketing", "utility", "authentication", "service"]),
            st.floats(min_value=0, max_value=24 * 40),
            st.sampled_from([INDIA, BRAZIL, "+27821234567"]),
        ),
        min_size=1,
        max_size=12,
    ),
    bucket=st.sampled_from([daily, half_hourly, monthly]),
)
def test_a_rule_following_log_is_quiet_in_any_time_zone(
    zone: str, plan: list[tuple[str, float, str]], bucket: Callable[[float], tuple[int, int]]
) -> None:
    events: list[dict[str, Any]] = []
    for number, (category, hours, customer) in enumerate(plan):
        if category == "service":
            events.append(wrote(hours, customer))
            events.append(send("free_form", f"x{number}", hours + 0.5, customer))
        else:
            events.append(send("template", f"x{number}", hours, customer, category=category))
    timeline = make(*events, time_zone=zone)
    bill = compare(timeline, response(meta_figures(timeline, bucket)))
    assert not bill.differing, summary(bill)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"this is not json", "not JSON"),
        (b'{"data": 3}', "data must be a list"),
        (b'{"id": "1", "name": "Acme"}', "neither pricing_analytics nor conversation_analytics"),
        (
            json.dumps(response([{"start": 1, "end": 2, "volume": 1, "cost": 1}])).encode(),
            "needs the dimensions",
        ),
        (json.dumps(response([], currency="EUR")).encode(), "costs in EUR"),
        (json.dumps({**response([]), "id": "999"}).encode(), "another account's figures"),
        (
            json.dumps({"error": {"message": "Invalid OAuth access token."}}).encode(),
            "Meta returned an error",
        ),
    ],
    ids=[
        "not-json",
        "wrong-shape",
        "no-field",
        "no-dimensions",
        "currency",
        "other-account",
        "graph-error",
    ],
)
def test_bad_analytics_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, says: str
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(webhook_log(DAY_OF_TRAFFIC)) + "\n")
    analytics = tmp_path / "analytics.json"
    analytics.write_bytes(content)
    code = main(["reconcile", str(log), "--time-zone", "UTC", "--analytics", str(analytics)])
    error = capsys.readouterr().err
    assert code == 2
    assert says in error, error
    assert len(error.strip().splitlines()) == 1, error


def test_the_command_leads_with_the_money_and_writes_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(webhook_log(DAY_OF_TRAFFIC)) + "\n")
    points = meta_figures(DAY_OF_TRAFFIC)
    points[0]["volume"] += 1
    analytics = tmp_path / "analytics.json"
    analytics.write_text(json.dumps(response(points)))
    out_json, out_csv = tmp_path / "out.json", tmp_path / "out.csv"
    code = main(
        [
            "reconcile",
            str(log),
            "--time-zone",
            "UTC",
            "--analytics",
            str(analytics),
            "--json",
            str(out_json),
            "--csv",
            str(out_csv),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert "Meta billed" in printed
    assert "is unexplained" in printed
    rows = json.loads(out_json.read_text())["analytics"]
    assert sum(row["status"] == "differs" for row in rows) == 1
    assert (tmp_path / "out.analytics.csv").read_text().startswith("account,start,end,country")
    assert not list(tmp_path.glob("*.partial"))


def test_a_provider_gives_one_file_per_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(webhook_log(DAY_OF_TRAFFIC)) + "\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("waba_id,time_zone\n1,UTC\n2,Asia/Kolkata\n")
    analytics = tmp_path / "analytics.json"
    analytics.write_text(json.dumps(response(meta_figures(DAY_OF_TRAFFIC))))
    code = main(["reconcile", str(log), "--accounts", str(accounts), "--analytics", str(analytics)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "for account 1" in out
    assert "Every bucket agrees" in out
    stranger = tmp_path / "stranger.json"
    stranger.write_text(json.dumps({**response([]), "id": "3"}))
    code = main(["reconcile", str(log), "--accounts", str(accounts), "--analytics", str(stranger)])
    assert code == 2
    assert "not in --accounts" in capsys.readouterr().err


def test_the_log_helpers_entry_is_the_analytics_account() -> None:
    # The builders above rely on it: every test log's entry is account WABA.
    assert json.loads(webhook_notification({}))["entry"][0]["id"] == WABA
    assert Account(time_zone="UTC").currency == "USD"


def test_the_browser_entry_point_answers_as_the_command_line() -> None:
    from whatsapp_pricing.in_browser import bill_json

    points = meta_figures(DAY_OF_TRAFFIC)
    points[0]["volume"] += 1
    log = "\n".join(webhook_log(DAY_OF_TRAFFIC))
    asked = {"log": log, "analytics": json.dumps(response(points)), "time_zone": "UTC"}
    [bill] = json.loads(bill_json(json.dumps(asked)))["bills"]
    expected = compare(DAY_OF_TRAFFIC, response(points))
    assert bill["summary"][1:] == summary(expected)[1:]
    assert [row["status"] for row in bill["rows"]] == [b.status for b in expected.buckets]
    broken = json.loads(bill_json(json.dumps({**asked, "analytics": "[1]"})))
    assert broken == {"error": "the analytics: each response must be a JSON object, not 1"}


def test_a_message_sent_before_the_edge_and_delivered_after_is_send_day() -> None:
    # Delivered at 07:00:30 UTC, just inside Meta's next day; sent at 06:59, in the day before,
    # where Meta counted it.
    timeline = make(send("template", "m1", 19 + 1 / 120, category="marketing"))
    delivered = int(AUGUST.timestamp()) + 19 * 3600 + 30
    log = [
        line.replace(f'"timestamp": "{delivered - 1}"', f'"timestamp": "{delivered - 90}"')
        for line in webhook_log(timeline)
    ]
    points = meta_figures(timeline)
    later = {**points[0], "volume": 0, "cost": 0}
    points[0]["start"] -= DAY
    points[0]["end"] -= DAY
    bill = compare(timeline, response([*points, later]), log)
    assert causes(bill) == {"send_day": True}
    assert all(bucket.explained for bucket in bill.differing), summary(bill)


def test_a_cost_meta_rounded_is_quiet() -> None:
    timeline = make(send("template", "m1", 0, category="marketing"))
    points = meta_figures(timeline)
    assert points[0]["cost"] == 0.0118
    points[0]["cost"] = 0.01  # Meta wrote two decimals: anything from 0.005 to 0.015
    assert not compare(timeline, response(points)).differing
    points[0]["cost"] = 0.0117  # four decimals: 0.0001 off is a difference
    assert compare(timeline, response(points)).differing


def test_a_free_tier_conversation_of_2022_in_metas_documented_shape() -> None:
    # Meta's reference example for conversation_analytics: the two categories of 2022 named by
    # conversation_direction, the free tier by conversation_type, a day from 21:00 UTC.
    may = datetime(2022, 5, 5, 12, tzinfo=UTC)
    opened = {"type": "template", "at": at(0, may), "customer": "+14155552671"}
    timeline = make({**opened, "id": "b1", "category": "marketing"})
    point = {
        "start": 1651698000,
        "end": 1651784400,
        "conversation": 1,
        "phone_number": "15550458206",
        "country": "US",
        "conversation_type": "FREE_TIER",
        "conversation_direction": "BUSINESS_INITIATED",
        "cost": 0,
    }
    documented = {"conversation_analytics": {"data": [{"data_points": [point]}]}, "id": WABA}
    bill = compare(timeline, documented)
    [bucket] = bill.buckets
    assert bucket.key.category == "business_initiated"
    assert bucket.key.pricing_type == "free_customer_service"
    assert not bill.differing, summary(bill)
    # Meta charging it instead: the free tier the rules apply is not what Meta did.
    charged = {**point, "conversation_type": "REGULAR", "cost": 0.0088}
    bill = compare(
        timeline, {**documented, "conversation_analytics": {"data": [{"data_points": [charged]}]}}
    )
    assert {b.key.pricing_type: b.volume_difference for b in bill.differing} == {
        "free_customer_service": -1,
        "regular": 1,
    }
    assert bill.unexplained == Decimal("0.0088")


def test_one_file_of_several_accounts_is_split_by_their_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = []
    for account in ("1", "2"):
        for line in webhook_log(DAY_OF_TRAFFIC):
            document = json.loads(line)
            document["entry"][0]["id"] = account
            value = document["entry"][0]["changes"][0]["value"]
            item = (value.get("statuses") or value.get("messages"))[0]
            item["id"] = f"{account}.{item['id']}"
            lines.append(json.dumps(document))
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("waba_id,time_zone\n1,UTC\n2,UTC\n")
    points = meta_figures(DAY_OF_TRAFFIC)
    both = tmp_path / "analytics.json"
    both.write_text(json.dumps([{**response(points), "id": "1"}, {**response(points), "id": "2"}]))
    code = main(["reconcile", str(log), "--accounts", str(accounts), "--analytics", str(both)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("Every bucket agrees") == 2
