"""Reading webhook logs: every line used or skipped with why, whatever its shape."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, webhook_notification
from tests.test_reconcile import SERVICE_REPLY, T, category_update, inbound
from whatsapp_pricing import webhooks
from whatsapp_pricing.webhooks import (
    CategoryChange,
    Inbound,
    Skipped,
    StatusUpdate,
    read_lines,
    read_log,
)

GOOD_STATUS = {"id": "wamid.1", "status": "sent", "timestamp": "1720179748", "recipient_id": "254"}


def skipped(value: dict[str, Any]) -> list[tuple[str, bool]]:
    items = read_log(webhook_notification(value))
    return [(item.why, item.bad) for item in items if isinstance(item, Skipped)]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"id": None}, "a status without a usable 'id'"),
        ({"timestamp": "yesterday"}, "a status without a usable 'timestamp'"),
        (
            {"recipient_id": None},
            "a status without a usable 'recipient_id', 'recipient_user_id' or "
            "'recipient_parent_user_id'",
        ),
        ({"recipient_id": 5.5}, "a status without a usable 'recipient_id'"),
        ({"recipient_user_id": ["x"]}, "a status without a usable 'recipient_user_id'"),
        ({"pricing": "free"}, "a status without a usable 'pricing'"),
        ({"conversation": ["c1"]}, "a status without a usable 'conversation'"),
    ],
)
def test_a_broken_status_names_its_field(change: dict[str, Any], why: str) -> None:
    assert skipped({"statuses": [{**GOOD_STATUS, **change}]}) == [(why, True)]


def test_a_broken_customer_message_names_its_field() -> None:
    message = {"from": "254751578687", "id": "in1", "type": "text"}
    assert skipped({"messages": [message]}) == [
        ("a customer message without a usable 'timestamp'", True)
    ]
    assert skipped({"messages": ["hello"]}) == [
        ("a customer message without a usable object (not a JSON object)", True)
    ]


def test_statuses_that_are_not_a_list_are_broken() -> None:
    assert skipped({"statuses": {"id": "wamid.1"}}) == [
        ("'messages' or 'statuses' is not a list", True)
    ]


@pytest.mark.parametrize(
    ("document", "why", "bad"),
    [
        ({"object": "page", "entry": []}, "object 'page' is not WhatsApp", False),
        (
            {"object": "whatsapp_business_account", "entry": []},
            "a notification with no entries",
            False,
        ),
        ({"object": "whatsapp_business_account", "entry": [{}]}, "an entry without changes", True),
        (
            {"object": "whatsapp_business_account"},
            "not a webhook notification (no 'entry' list)",
            True,
        ),
    ],
)
def test_every_notification_shape_is_used_or_said_why(
    document: dict[str, Any], why: str, bad: bool
) -> None:
    assert list(read_log(json.dumps(document))) == [Skipped(1, why, bad)]


def test_a_file_streams_line_by_line_and_an_array_file_reads_whole() -> None:
    lines = "\n".join(SERVICE_REPLY).encode()
    array = ("[" + ",".join(SERVICE_REPLY) + "]").encode()
    from_lines = list(read_log(io.BytesIO(lines)))
    assert [type(item) for item in from_lines] == [Inbound] + [StatusUpdate] * 5
    assert [item.line for item in from_lines] == [1, 2, 3, 4, 5, 6]
    assert list(read_log(io.BytesIO(array))) == from_lines
    cut = "not JSON: the line stops at column 2 before its notification is complete (}] missing)"
    assert list(read_log(b"[{")) == [Skipped(1, cut, True)]


def test_a_log_that_only_starts_like_an_array_is_read_line_by_line() -> None:
    log = "\n".join(["[1, 2", *SERVICE_REPLY]).encode()
    items = list(read_log(io.BytesIO(log)))
    cut = "not JSON: the line stops at column 5 before its notification is complete (] missing)"
    assert items[0] == Skipped(1, cut, True)
    assert [type(item) for item in items[1:]] == [Inbound] + [StatusUpdate] * 5


@pytest.mark.parametrize(
    "line",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"entry": [' + '{"a": ' * 5_000 + "1" + "}" * 5_000 + "]}",
    ],
    ids=["arrays", "objects"],
)
def test_a_line_nested_at_any_depth_is_skipped_with_why(line: str) -> None:
    log = "\n".join([SERVICE_REPLY[0], line, SERVICE_REPLY[1]])
    items = list(read_log(log))
    assert items[1] == Skipped(2, "nested too deeply to be a webhook notification", True)
    assert [type(item) for item in items] == [Inbound, Skipped, StatusUpdate]
    # An array too deep for the parser to split cannot be read notification by notification:
    # it is reported whole, as the one broken line it is.
    array = "[" + ",".join([SERVICE_REPLY[0], line]) + "]"
    assert list(read_log(array)) == [
        Skipped(1, "nested too deeply to be a webhook notification", True)
    ]


@pytest.mark.parametrize("timestamp", ["1e20", "-1", "nan", "inf", "253402300800", True])
def test_a_time_no_calendar_has_is_a_broken_line(timestamp: Any) -> None:
    status = {"id": "w", "recipient_id": "5511987654321", "status": "sent", "timestamp": timestamp}
    assert list(read_log(webhook_notification({"statuses": [status]}))) == [
        Skipped(1, "a status without a usable 'timestamp'", True)
    ]


def test_a_completed_category_change_takes_effect_when_meta_sent_it() -> None:
    value = {
        "message_template_name": "promo",
        "previous_category": "UTILITY",
        "new_category": "MARKETING",
    }
    [change] = read_log(category_update(value, 1746169200))
    assert change == CategoryChange("", "promo", "", "utility", "marketing", 1746169200.0, 1, "1")
    without_time = json.loads(category_update(value, 0))
    del without_time["entry"][0]["time"]
    assert list(read_log(json.dumps(without_time))) == [
        Skipped(1, "a template category update without a usable 'time'", True)
    ]


ODD = [None, "", "x", 0, -1, 1.5, True, [], {}, "1e20", "nan", "1720179748", 1720179748]


def places(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON document, outermost first."""
    keys = list(node) if isinstance(node, dict) else range(len(node))
    found = []
    for key in keys:
        found.append((node, key))
        if isinstance(node[key], dict | list):
            found += places(node[key])
    return found


DECEMBER_2026 = (FIXTURES / "december-2026.jsonl").read_text(encoding="utf-8").splitlines()
"""A log in Meta's format of December 2026: contacts, business-scoped and parent user ids,
business numbers, two accounts, a Mexican id in the old form."""
PUBLIC = (FIXTURES / "real" / "public-statuses.jsonl").read_text(encoding="utf-8").splitlines()
"""Statuses, standby lines and failures as public sources published them (see its README)."""
META_SHAPES = (FIXTURES / "real" / "meta-shapes.jsonl").read_text(encoding="utf-8").splitlines()
"""Meta's documented shapes: ``marketing_lite``, a max price's ``cost``, failures, a withheld
number."""


@st.composite
def odd_notifications(draw: st.DrawFn) -> bytes:
    """A real-shaped notification, perhaps with one value somewhere in it changed or removed."""
    shapes = [*SERVICE_REPLY, inbound(T, referral=True), *DECEMBER_2026, *PUBLIC, *META_SHAPES]
    notification = json.loads(draw(st.sampled_from(shapes)))
    if draw(st.booleans()):
        container, key = draw(st.sampled_from(places(notification)))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(st.sampled_from(ODD) | st.text(max_size=8))
    return json.dumps(notification).encode()


@settings(max_examples=500, deadline=None)
@given(odd_notifications())
def test_the_usual_shape_reads_as_the_generic_reader_reads_it(line: bytes) -> None:
    usual = webhooks.usual_notification(line, 7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks, "usual_notification", lambda *_: None)
        generic = list(read_lines([b""] * 6 + [line]))
    if usual is not None:
        assert usual == generic


def test_the_usual_shape_is_read_by_the_typed_decoder() -> None:
    lines = [*SERVICE_REPLY, *DECEMBER_2026]
    assert all(webhooks.usual_notification(line.encode(), 1) for line in lines)


def test_the_contacts_entry_gives_the_names_a_line_leaves_out() -> None:
    """A message names its sender by number, its ``contacts`` entry by every name."""
    kenya, mexico, brazil, to_kenya, *_, to_parent, _ = read_log("\n".join(DECEMBER_2026))
    assert (kenya.customer, kenya.user_id, kenya.parent_user_id) == (
        "+254751578687",
        "KE.1502576394655843",
        "KE.ENT.9081726354",
    )
    assert (mexico.customer, mexico.user_id) == ("+5215512345678", "")
    assert (brazil.customer, brazil.user_id) == ("BR.1502576394655843",) * 2
    assert (to_kenya.customer, to_kenya.user_id) == ("KE.1502576394655843",) * 2
    assert (to_parent.customer, to_parent.parent_user_id) == ("KE.ENT.9081726354",) * 2
    assert {(item.account, item.business_number) for item in (kenya, to_parent)} == {
        ("102290129340398", "106540352242922"),
        ("204081632640128", "309876543210987"),
    }


def test_a_contact_of_another_customer_gives_no_names() -> None:
    other = {"wa_id": "27821234567", "user_id": "ZA.1"}
    message = {"from": "254751578687", "id": "in1", "timestamp": "1720179000", "type": "text"}
    [item] = read_log(webhook_notification({"contacts": [other], "messages": [message]}))
    assert (item.customer, item.user_id) == ("+254751578687", "")


def test_without_a_phone_number_id_the_display_number_names_the_business() -> None:
    metadata = {"display_phone_number": "15550783881"}
    [item] = read_log(webhook_notification({"metadata": metadata, "statuses": [GOOD_STATUS]}))
    assert item.business_number == "15550783881"


def test_a_customer_with_a_username_is_read_by_business_scoped_user_id() -> None:
    bsuid = "BR.1502576394655843"
    message = {"from_user_id": bsuid, "id": "in1", "timestamp": "1720179000", "type": "text"}
    both = {"id": "w1", "status": "sent", "timestamp": "1720179100",
            "recipient_id": "5511987654321", "recipient_user_id": bsuid}  # fmt: skip
    withheld = {"id": "w1", "status": "delivered", "timestamp": "1720179101",
                "recipient_user_id": bsuid}  # fmt: skip
    lines = [
        webhook_notification({"messages": [message]}),
        webhook_notification({"statuses": [both]}),
        webhook_notification({"statuses": [withheld]}),
    ]
    inbound, sent, delivered = read_log("\n".join(lines))
    assert (inbound.customer, inbound.user_id) == (bsuid, bsuid)
    assert (sent.customer, sent.user_id) == ("+5511987654321", bsuid)
    assert (delivered.customer, delivered.user_id) == (bsuid, bsuid)


def test_a_volume_tier_update_is_listed_with_what_it_says() -> None:
    value = {
        "event": "VOLUME_BASED_PRICING_TIER_UPDATE",
        "volume_tier_info": {"tier_update_time": 1761955200, "pricing_category": "UTILITY",
                             "tier": "25000001:50000000", "effective_month": "2025-11",
                             "region": "India"},
    }  # fmt: skip
    change = {"field": "account_update", "value": value}
    line = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "1", "changes": [change]}]})  # fmt: skip
    [skipped] = read_log(line)
    assert skipped == Skipped(
        1,
        "a volume tier update (region India, pricing_category UTILITY, tier 25000001:50000000, "
        "effective_month 2025-11), listed, not used",
        False,
    )


def test_standby_lines_are_read_as_the_messages_field_is() -> None:
    """Meta's standby reference: the customer's message and the agent's status receipt count;
    the agent's echo is listed, not priced."""
    inbound_line, echo, receipt = read_log("\n".join(PUBLIC[6:9]))
    assert isinstance(inbound_line, Inbound)
    assert (inbound_line.customer, inbound_line.at) == ("+16505551234", 1750101000.0)
    assert (inbound_line.account, inbound_line.business_number) == (
        "102290129340398",
        "106540352242922",
    )
    assert isinstance(echo, Skipped)
    assert not echo.bad
    assert "echo of what Meta Business Agent sent" in echo.why
    assert isinstance(receipt, StatusUpdate)
    assert (receipt.status, receipt.customer, receipt.business_number) == (
        "delivered",
        "+16505551234",
        "106540352242922",
    )
    assert receipt.pricing == webhooks.ReportedPricing(
        billable=True, pricing_model="PMP", category="utility", type="regular"
    )


@pytest.mark.parametrize(
    ("standby", "why", "bad"),
    [
        ({}, "a messages change with neither messages nor statuses", False),
        (None, "a standby change without a 'standby' object", True),
        ({"message_echoes": "x"}, "echoes of what Meta Business Agent sent", True),
    ],
)
def test_an_empty_or_broken_standby_change_is_said_why(standby: Any, why: str, bad: bool) -> None:
    line = json.loads(PUBLIC[8])
    line["entry"][0]["changes"][0]["value"]["standby"] = standby
    (item,) = read_log(json.dumps(line))
    assert isinstance(item, Skipped)
    assert why in item.why
    assert item.bad is bad


def test_an_empty_number_is_no_number_the_user_id_names_the_customer() -> None:
    """Meta writes a withheld number as an empty ``from`` or ``recipient_id``: never ``+``."""
    message, status = read_log("\n".join(META_SHAPES[:2]))
    for item in (message, status):
        assert isinstance(item, Inbound | StatusUpdate)
        assert item.customer == "US.13491208655302741918"
        assert item.user_id == "US.13491208655302741918"
        assert item.parent_user_id == "US.ENT.11815799212886844830"


def test_an_empty_number_with_no_user_id_is_a_broken_status() -> None:
    status = {**GOOD_STATUS, "recipient_id": ""}
    assert skipped({"statuses": [status]}) == [
        (
            "a status without a usable 'recipient_id', 'recipient_user_id' or "
            "'recipient_parent_user_id'",
            True,
        )
    ]


def test_a_failed_status_keeps_metas_error_codes_on_either_reader() -> None:
    lines = [PUBLIC[9], PUBLIC[10], *META_SHAPES[4:]]
    codes = [item.errors for item in read_log("\n".join(lines)) if isinstance(item, StatusUpdate)]
    assert codes == [(131049,), (131049,), (131047,), (131026,), (131042,)]
    for line in lines:
        assert webhooks.usual_notification(line.encode(), 1) is not None


@pytest.mark.parametrize(
    ("errors", "codes"),
    [
        ([{"code": 131026}, {"code": "131049"}], (131026, 131049)),
        ([{"title": "no code"}, "not an object", {"code": True}], ()),
        ([], ()),
    ],
)
def test_error_codes_are_read_as_meta_sends_them(errors: Any, codes: tuple[int, ...]) -> None:
    status = {**GOOD_STATUS, "status": "failed", "errors": errors}
    (item,) = read_log(webhook_notification({"statuses": [status]}))
    assert isinstance(item, StatusUpdate)
    assert item.errors == codes


def test_a_loggers_prefix_is_read_past_as_the_check_page_reads_it() -> None:
    """Lines as a service's logger writes them (time, level, name, then Meta's notification)
    read as the bare lines do; a line of the logger's own says it holds no notification."""
    bare = list(read_log("\n".join(SERVICE_REPLY)))
    prefixed = [
        f"2026-11-03 10:00:0{n} INFO webhook: {line}" for n, line in enumerate(SERVICE_REPLY)
    ]
    assert list(read_log("\n".join(prefixed))) == bare
    with_chatter = list(read_log("\n".join([prefixed[0], "2026-11-03 10:00:09 INFO worker up"])))
    assert with_chatter[1:] == [
        Skipped(
            2,
            'not JSON: the line holds no notification ("2026-11-03 10:00:09 INFO worker up")',
            True,
        )
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # Cut short by a log rotation: the column counts the prefix too.
        (
            b'2026-11-03 INFO webhook: {"object": "whats',
            "the line stops at column 42 before its notification is complete (} missing)",
        ),
        (b'INFO x: {"object": tru}', "at column 20, a value is missing here"),
        (b'{"object": "x",}', "at column 16, a field's name must be in double quotes"),
    ],
)
def test_a_line_that_is_not_json_says_where_it_breaks(line: bytes, why: str) -> None:
    [item] = read_log(line)
    assert isinstance(item, Skipped)
    assert item.bad
    assert item.why.startswith(f"not JSON: {why}"), item.why
