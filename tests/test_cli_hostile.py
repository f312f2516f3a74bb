"""Whatever the input, both commands end with status 0, 1 or 2, and never with a traceback."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, webhook_notification
from whatsapp_pricing.cli import main

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
DEEP = ("[" * 100_000 + "]" * 100_000).encode()
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
ANY_TIME = st.datetimes(timezones=OFFSETS)
"""Any instant from year 1 to 9999, with any UTC offset Meta or a person could write."""
SIMULATE = ["simulate", "-"]
RECONCILE = ["reconcile", "-", "--time-zone", "Pacific/Auckland"]


def run(arguments: list[str], stdin: bytes) -> tuple[int, str]:
    """Runs the command in this process (fast enough for hypothesis); its status and stderr."""
    stderr = io.StringIO()
    with (
        mock.patch.object(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin))),
        mock.patch.object(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8")),
        mock.patch.object(sys, "stderr", stderr),
    ):
        status = main(arguments)
    return status, stderr.getvalue()


def assert_ends_cleanly(arguments: list[str], stdin: bytes) -> None:
    status, stderr = run(arguments, stdin)
    assert status in (0, 1, 2)
    if status == 2:
        assert stderr.endswith("\n")
        assert stderr.count("\n") == 1, stderr
        assert stderr.startswith("whatsapp-pricing: error: ")


def timeline_at(moments: list[datetime]) -> bytes:
    events: list[dict[str, Any]] = []
    for index, moment in enumerate(moments):
        at = moment.isoformat()
        events.append({"type": "customer_message", "at": at, "customer": "+5511987654321"})
        events.append(
            {"type": "free_form", "id": f"m{index}", "at": at, "customer": "+5511987654321"}
        )
    return json.dumps({"account": {"time_zone": "Pacific/Kiritimati"}, "events": events}).encode()


def status_at(timestamp: Any) -> str:
    pricing = {"pricing_model": "PMP", "category": "service", "billable": True, "type": "regular"}
    status = {
        "id": "wamid.1",
        "recipient_id": "5511987654321",
        "status": "delivered",
        "timestamp": timestamp,
        "pricing": pricing,
    }
    return webhook_notification({"statuses": [status]})


@pytest.mark.parametrize("arguments", [SIMULATE, RECONCILE], ids=["simulate", "reconcile"])
@settings(max_examples=150, deadline=None)
@given(document=JSON_VALUES)
@example(document={"account": {"time_zone": "UTC"}, "events": [{"type": "template"}]})
def test_any_json_value(arguments: list[str], document: Any) -> None:
    assert_ends_cleanly(arguments, json.dumps(document).encode())


@pytest.mark.parametrize("arguments", [SIMULATE, RECONCILE], ids=["simulate", "reconcile"])
@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300))
@example(data=DEEP)
@example(data=b'{"account": {"time_zone": "UTC"}, "events": [' + DEEP + b"]}")
@example(data=b"\xef\xbb\xbf{}\r\n")
def test_any_bytes(arguments: list[str], data: bytes) -> None:
    assert_ends_cleanly(arguments, data)


@settings(max_examples=150, deadline=None)
@given(moments=st.lists(ANY_TIME, min_size=1, max_size=3))
@example(moments=[datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))])
@example(moments=[datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))])
@example(moments=[datetime(9999, 12, 27, 9, 59, tzinfo=UTC)])
def test_simulate_at_any_time(moments: list[datetime]) -> None:
    assert_ends_cleanly(SIMULATE, timeline_at(moments))


@settings(max_examples=150, deadline=None)
@given(
    timestamps=st.lists(
        st.one_of(
            st.integers(),
            st.floats(),
            st.integers(-(10**12), 10**12).map(str),
            st.floats().map(str),
            ANY_TIME.map(lambda moment: str(int(moment.timestamp()))),
        ),
        min_size=1,
        max_size=4,
    )
)
@example(timestamps=["253402300799", "1"])
def test_reconcile_at_any_time(timestamps: list[Any]) -> None:
    assert_ends_cleanly(RECONCILE, "\n".join(status_at(value) for value in timestamps).encode())


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: each object's member and each list's item, at any depth."""
    inner: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        inner = list(value.items())
    elif isinstance(value, list):
        inner = list(enumerate(value))
    return [path] + [deeper for key, child in inner for deeper in _paths(child, (*path, key))]


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


REAL_LINES = [
    json.loads(line)
    for name in ("meta-shapes.jsonl", "public-statuses.jsonl")
    for line in (FIXTURES / "real" / name).read_text().splitlines()
    if line.strip()
]
REAL_PLACES = [(index, path) for index, line in enumerate(REAL_LINES) for path in _paths(line)]


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(REAL_PLACES), value=JSON_VALUES)
def test_any_value_anywhere_in_metas_real_shapes(
    place: tuple[int, tuple[Any, ...]], value: Any
) -> None:
    """One field of Meta's real notifications (the fixtures' lines) given any JSON value, the
    other lines as they are: a status's ``conversation.origin`` as a bare string once ended in a
    traceback."""
    index, path = place
    lines = [
        _replaced(line, path, value) if at == index else line for at, line in enumerate(REAL_LINES)
    ]
    assert_ends_cleanly(RECONCILE, "\n".join(json.dumps(line) for line in lines).encode())


@pytest.mark.parametrize(
    "value", ["service", "", 0, -1.5, 10**30, True, None, [], {}, [{}]], ids=repr
)
def test_every_place_in_metas_real_shapes_takes_a_value_of_another_type(value: Any) -> None:
    """Every field of every fixture line, one at a time, given ``value``: hypothesis above
    samples the places, this walks them all."""
    for index, path in REAL_PLACES:
        lines = [
            _replaced(line, path, value) if at == index else line
            for at, line in enumerate(REAL_LINES)
        ]
        assert_ends_cleanly(RECONCILE, "\n".join(json.dumps(line) for line in lines).encode())
