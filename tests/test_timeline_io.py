"""The command line's streaming path writes exactly what the in-memory API builds."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import customer, free_form, template, timeline
from tests.test_engine_properties import timelines
from whatsapp_pricing import simulate, timeline_io
from whatsapp_pricing.errors import InvalidTimeline, UnsupportedPeriod
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.simulation import price
from whatsapp_pricing.timeline_io import read_timeline, write_verdict


def streamed(document: dict[str, Any]) -> str:
    account, events = read_timeline(json.dumps(document).encode())
    out = io.BytesIO()
    write_verdict(price(account, events, shipped_rate_book()), out)
    return out.getvalue().decode()


@settings(max_examples=100, deadline=None)
@given(timelines())
def test_the_streamed_verdict_is_byte_for_byte_the_models_json(
    events: list[dict[str, Any]],
) -> None:
    document = {"account": {"time_zone": "Asia/Kolkata"}, "events": events}
    expected = simulate(timeline(*events, time_zone="Asia/Kolkata")).model_dump_json()
    assert streamed(document) == expected


def test_batches_and_chunks_join_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_io, "CHUNK", 3)
    events = [customer(0), *(free_form(f"m{index}", index / 10) for index in range(10))]
    events += [template("unpriced", 2, "utility", "+254712345678")]
    document = {"account": {"time_zone": "UTC"}, "events": events}
    assert streamed(document) == simulate(timeline(*events)).model_dump_json()


def test_an_error_in_a_later_chunk_names_the_event_by_its_place_in_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timeline_io, "CHUNK", 4)
    events = [free_form(f"m{index}", index) for index in range(10)]
    events[6]["at"] = "2024-10-07T10:00:00"
    with pytest.raises(InvalidTimeline, match=r"^events\[6\]\.at: the timestamp"):
        read_timeline(json.dumps({"account": {"time_zone": "UTC"}, "events": events}).encode())


def test_a_repeated_id_across_chunks_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_io, "CHUNK", 2)
    events = [free_form(f"m{index}", index) for index in range(5)] + [free_form("m1", 6)]
    with pytest.raises(InvalidTimeline, match=r"^events\[5\]\.id: 'm1' is also events\[1\]\.id$"):
        read_timeline(json.dumps({"account": {"time_zone": "UTC"}, "events": events}).encode())


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"[]", "Input should be a valid dictionary"),
        (b'{"account": {"time_zone": "UTC"}, "events": {}}', "events: Input should be a valid"),
        (b'{"account": {"time_zone": "UTC"}, "events": [], "x": 1}', "x: unknown field"),
        (b"\xff", "the timeline is not valid JSON"),
    ],
)
def test_documents_of_the_wrong_shape(document: bytes, message: str) -> None:
    with pytest.raises(InvalidTimeline, match=message):
        read_timeline(document)


@settings(max_examples=60, deadline=None)
@given(timelines(), st.booleans(), st.sampled_from([None, 0, 2]), st.booleans())
def test_any_layout_of_the_document_reads_the_same(
    events: list[dict[str, Any]], events_first: bool, indent: int | None, sort_keys: bool
) -> None:
    account = {"time_zone": "Asia/Kolkata"}
    document = (
        {"events": events, "account": account}
        if events_first
        else {"account": account, "events": events}
    )
    text = json.dumps(document, indent=indent, sort_keys=sort_keys)
    expected = read_timeline(json.dumps({"account": account, "events": events}).encode())
    assert read_timeline(text.encode()) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"account": {"time_zone": "UTC"}, "events": [] } x',
        '{"account": {"time_zone": "UTC"} "events": []}',
        '{"account": {"time_zone": "UTC"}, "events": [{"type": "free_form"} {}]}',
        '{"account": {"time_zone": "UTC"}, "events": [',
        '{"events": [], "account": {"time_zone": "UTC"}',
        '{"events": [], 1: 2}',
        "",
    ],
)
def test_malformed_json_is_reported_as_such(text: str) -> None:
    with pytest.raises(InvalidTimeline, match=r"^the timeline is not valid JSON: "):
        read_timeline(text.encode())


def test_members_after_the_events_are_read() -> None:
    text = '{"events": [], "account": {"time_zone": "UTC", "currency": "EUR"}}'
    account, events = read_timeline(text.encode())
    assert (account.currency, events) == ("EUR", [])


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"account": ' + "[" * 100_000 + "]" * 100_000 + ', "events": []}',
        '{"account": {"time_zone": "UTC"}, "events": [' + "[" * 100_000 + "]" * 100_000 + "]}",
    ],
    ids=["document", "account", "event"],
)
def test_a_document_nested_at_any_depth_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(InvalidTimeline, match="nested too deeply"):
        read_timeline(text.encode())


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("9999-12-31T23:59:59-14:00", r"events\[0\]\.at: 9999-12-31 is after 9999-12-27, the last"),
        ("9999-12-28T00:00:00+00:00", r"events\[0\]\.at: 9999-12-28 is after 9999-12-27, the last"),
        ("0001-01-01T00:00:00+14:00", r"events\[0\]\.at: 0001-01-01 is before 2022-02-01"),
    ],
)
def test_a_date_no_period_has_is_refused(at: str, message: str) -> None:
    event = {"type": "customer_message", "at": at, "customer": "+5511987654321"}
    document = {"account": {"time_zone": "UTC"}, "events": [event]}
    with pytest.raises(UnsupportedPeriod, match=message):
        read_timeline(json.dumps(document).encode())
