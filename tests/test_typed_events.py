"""The fast path (msgspec structs) takes only what pydantic takes, and reads it the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.test_engine_properties import EVERY_KIND, timelines
from whatsapp_pricing import timeline_io, typed_events
from whatsapp_pricing.domain import CustomerMessage
from whatsapp_pricing.errors import PricingError
from whatsapp_pricing.timeline_io import read_timeline

ODD_VALUES = [
    None, "", "x", 0, 1.5, True, [], {}, "\ud800",
    "+5511987654321\n", "+05511987654321", "+1", "+1234567890123456", "5511987654321",
    "2024-10-07T10:00:00", "2024-10-07T10:00:00Z", "2024-10-07t10:00:00z",
    "2024-10-07 10:00:00+05:30", "2024-10-07T10:00:00.1234567Z", "2024-10-07T10:00:00.5+05:30",
    "2024-10-07T10:00:00+24:00", "2024-10-07T10:00:00+23:59", "2024-10-07T10:00:00-00:00",
    "2024-10-07T10:00:00+0530", "2024-10-07T10:00+05:30", "2024-10-07T10:00:00,5Z",
    "0000-01-01T00:00:00Z", "2024-02-30T10:00:00Z", "2024-10-07T24:00:00Z",
    "2024-10-07T23:59:60Z", "20241007T100000Z", "1728295200", 1728295200,
    "marketing", "MARKETING", "service", "click_to_whatsapp_ad", "facebook_page_cta",
    "customer_message", "template", "free_form", "agent_message",
    12.0, -1, 21000, "21000", 2**70, 0, False,
    "direct_send", "customer_call", "business_call", "cloud_api", "marketing_messages_api",
    "expired", "EXPIRED", 131049, "131049", "0", "0.0", "00", ".5", "5.", "50", "12.50", "-1",
    "1e3", " 5",
    "BR.1502576394655843", "US.ENT.118157", "XX.1", "+5215512345678",
]  # fmt: skip
FIELDS = [
    "type", "id", "at", "customer", "category", "entry_point", "business_number", "tokens", "extra",
    "via", "max_price", "failed", "seconds", "accepted",
]  # fmt: skip


@st.composite
def odd_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid events, a few of them changed: a field set to an odd value, removed or added."""
    events = draw(timelines(start=datetime(2026, 11, 2, tzinfo=UTC), kinds=EVERY_KIND))
    for _ in range(draw(st.integers(0, 3))):
        event = events[draw(st.integers(0, len(events) - 1))]
        field = draw(st.sampled_from(FIELDS))
        action = draw(st.sampled_from(["set", "delete", "copy id"]))
        if action == "delete":
            event.pop(field, None)
        elif action == "copy id":
            event["id"] = draw(st.sampled_from([other.get("id", "m0") for other in events]))
        else:
            event[field] = draw(st.sampled_from(ODD_VALUES) | st.text(max_size=30))
    return events


def slow_path(chunk: bytes) -> list[Any] | str:
    """The events as pydantic's path reads them, or its error."""
    try:
        validated = list(enumerate(timeline_io.EVENTS.validate_json(chunk)))
        timeline_io.check_unique_ids(validated, {})
        return [timeline_io.engine_event(order, event, set()) for order, event in validated]
    except (ValueError, PricingError) as error:
        return str(error)


@settings(max_examples=400, deadline=None)
@given(odd_events())
@example(
    [
        {
            "type": "free_form",
            "id": "a",
            "at": "2024-10-07T10:00:00.1234567Z",
            "customer": "+5511987654321",
        }
    ]
)
@example(
    [{"type": "customer_message", "at": "2024-10-07T10:00:00Z", "customer": "+5511987654321\n"}]
)
def test_the_fast_path_takes_only_what_pydantic_takes_and_reads_it_the_same(
    events: list[dict[str, Any]],
) -> None:  # fmt: skip
    chunk = json.dumps(events).encode()
    fast = typed_events.engine_events(chunk, 0, {}, set())
    if fast is not None:
        assert slow_path(chunk) == fast


BASE_EVENTS = [
    {"type": "customer_message", "at": "2024-10-07T10:00:00+05:30", "customer": "+5511987654321",
     "entry_point": "click_to_whatsapp_ad"},
    {"type": "template", "id": "t", "at": "2024-10-07T10:00:00Z", "customer": "+919812345678",
     "category": "utility", "business_number": "+5511987654000"},
    {"type": "free_form", "id": "f", "at": "2024-10-07 10:00:00-03:00",
     "customer": "+27821234567"},
    {"type": "agent_message", "id": "a", "at": "2026-11-02T09:00:00Z",
     "customer": "BR.1502576394655843", "tokens": 1200},
    {"type": "template", "id": "mm", "at": "2026-11-02T09:00:00Z", "customer": "+919812345678",
     "category": "marketing", "via": "marketing_messages_api", "max_price": "12.50"},
    {"type": "template", "id": "failed", "at": "2026-11-02T09:00:00Z",
     "customer": "+919812345678", "category": "marketing", "failed": 131049},
    {"type": "direct_send", "id": "d", "at": "2026-11-02T09:00:00Z", "customer": "+27821234567",
     "category": "utility"},
    {"type": "customer_call", "at": "2026-11-02T09:00:00Z", "customer": "+27821234567"},
    {"type": "business_call", "id": "c", "at": "2026-11-02T09:00:00Z",
     "customer": "+27821234567", "seconds": 56, "accepted": True},
]  # fmt: skip


@pytest.mark.parametrize("base", BASE_EVENTS, ids=lambda event: event.get("id", event["type"]))
def test_every_odd_value_in_every_field_is_read_as_pydantic_reads_it(base: dict[str, Any]) -> None:
    for field in FIELDS:
        for value in ODD_VALUES:
            chunk = json.dumps([{**base, field: value}]).encode()
            fast = typed_events.engine_events(chunk, 0, {}, set())
            if fast is not None:
                assert slow_path(chunk) == fast, (field, value)
    assert typed_events.engine_events(json.dumps([base]).encode(), 0, {}, set()) is not None


@settings(max_examples=200, deadline=None)
@given(odd_events())
def test_a_timeline_reads_the_same_with_or_without_the_fast_path(
    events: list[dict[str, Any]],
) -> None:
    document = json.dumps({"account": {"time_zone": "Asia/Kolkata"}, "events": events}).encode()

    def read(fast: bool) -> Any:
        with pytest.MonkeyPatch.context() as patch:
            if not fast:
                patch.setattr(typed_events, "engine_events", lambda *_: None)
            try:
                return read_timeline(document)
            except PricingError as error:
                return f"{type(error).__name__}: {error}"

    assert read(fast=True) == read(fast=False)


@settings(max_examples=100, deadline=None)
@given(timelines(start=datetime(2026, 11, 2, tzinfo=UTC)))
def test_the_fast_path_takes_every_ordinary_timeline(events: list[dict[str, Any]]) -> None:
    assert typed_events.engine_events(json.dumps(events).encode(), 0, {}, set()) is not None


@settings(max_examples=100, deadline=None)
@given(timelines(start=datetime(2026, 11, 2, tzinfo=UTC), kinds=EVERY_KIND))
def test_the_fast_path_takes_calls_direct_send_and_the_marketing_messages_api(
    events: list[dict[str, Any]],
) -> None:
    chunk = json.dumps(events).encode()
    fast = typed_events.engine_events(chunk, 0, {}, set())
    assert fast is not None
    assert slow_path(chunk) == fast


@pytest.mark.parametrize("model", typed_events.MODELS, ids=lambda model: model.__name__)
def test_the_structs_have_the_models_fields(model: Any) -> None:
    struct = next(struct for struct in typed_events.STRUCTS if struct.__name__ == model.__name__)
    assert [field.name for field in msgspec.structs.fields(struct)] == [
        name for name in model.model_fields if name != "type"
    ]


def test_a_model_field_with_no_msgspec_form_fails_loudly() -> None:
    class Unknown(CustomerMessage):
        ratio: float = 0.0

    with pytest.raises(TypeError, match="no msgspec form"):
        typed_events.struct_of(Unknown)
