"""Reading timeline files into events and writing verdicts, for timelines of any size.

:func:`~whatsapp_pricing.simulation.simulate` builds the whole verdict as pydantic models, which
is what a program wants. A file of a million events would then sit in memory several times over,
so the command line reads and writes here instead: :func:`read_timeline` validates events in
chunks against the same models and keeps each as the engine's small tuple, and
:func:`write_verdict` writes each batch of messages as soon as the pipeline
(:func:`~whatsapp_pricing.simulation.price`) gives it. This module prices nothing and assembles
no verdict: the JSON it writes, by msgspec straight from the pipeline's pieces, is byte for byte
what ``simulate(...).model_dump_json()`` gives (a property test holds both to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import msgspec
from pydantic import TypeAdapter, ValidationError

from whatsapp_pricing import typed_events
from whatsapp_pricing.domain import Account, Event, Timeline, check_unique_ids
from whatsapp_pricing.engine import Event as EngineEvent
from whatsapp_pricing.errors import InvalidTimeline, PricingError, json_mistake
from whatsapp_pricing.simulation import Pricing, engine_event, in_time_order

CHUNK = 10_000
READABLE_SIZE = 10_000_000
"""Up to this size a broken timeline is read again to say where it breaks (line and column)."""
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_encode = msgspec.json.Encoder().encode
EVENTS = TypeAdapter(list[Event])


def read_timeline(data: bytes | str) -> tuple[Account, list[EngineEvent]]:
    """Validates a timeline document and returns its account and its events in time order.

    The document is only split at first (msgspec finds where each event starts and ends without
    building it); the events are then parsed and validated a chunk at a time, so only the
    engine's compact form of each event stays in memory, never the whole parsed document.
    """
    try:
        header, events = _split(data.encode("utf-8") if isinstance(data, str) else data)
    except msgspec.DecodeError as error:
        if len(data) <= READABLE_SIZE:
            text = data if isinstance(data, str) else data.decode("utf-8", "replace")
            raise InvalidTimeline(json_mistake(text, "the timeline")) from None
        raise InvalidTimeline(f"the timeline is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidTimeline("the timeline is nested too deeply to be a timeline") from None
    account = _read_header(header)
    return account, in_time_order(account, _convert(events))


def _split(data: bytes) -> tuple[Any, list[msgspec.Raw]]:
    """The document without its events (which stand in as ``[]``), and the events, still raw.

    Anything but an object with an ``events`` array is decoded whole, for pydantic to judge.
    """
    try:
        members = _MEMBERS.decode(data)
    except msgspec.ValidationError:  # valid JSON, but not an object
        return msgspec.json.decode(data), []
    header = {
        name: msgspec.json.decode(value) for name, value in members.items() if name != "events"
    }
    events = members.get("events")
    if events is None:
        return header, []
    if not bytes(events).startswith(b"["):
        return {**header, "events": msgspec.json.decode(events)}, []
    return {**header, "events": []}, _ITEMS.decode(events)


def _convert(events: list[msgspec.Raw]) -> list[EngineEvent]:
    """Validates events a chunk at a time and keeps only the engine's form of each.

    A chunk goes through msgspec's typed structs (:mod:`~whatsapp_pricing.typed_events`) when
    it can, and through pydantic, which gives every error message, when it cannot.
    """
    converted: list[EngineEvent] = []
    seen_ids: dict[str, int] = {}
    checked_numbers: set[str] = set()
    for start in range(0, len(events), CHUNK):
        chunk = b"[" + b",".join(events[start : start + CHUNK]) + b"]"
        fast = typed_events.engine_events(chunk, start, seen_ids, checked_numbers)
        if fast is not None:
            converted.extend(fast)
            continue
        try:
            numbered = list(enumerate(EVENTS.validate_json(chunk), start))
            check_unique_ids(numbered, seen_ids)
            converted.extend(
                engine_event(order, event, checked_numbers) for order, event in numbered
            )
        except ValidationError as error:
            raise InvalidTimeline.from_problems(error.errors(), offset=start) from None
        except PricingError:
            raise
        except ValueError as error:  # a repeated id
            raise InvalidTimeline(str(error)) from None
    return converted


def _read_header(header: Any) -> Account:
    """Validates everything but the events, with the same model (and messages) as a timeline."""
    try:
        return Timeline.model_validate(header).account
    except ValidationError as error:
        raise InvalidTimeline.from_problems(error.errors()) from None


def write_verdict(pricing: Pricing, out: IO[bytes]) -> None:
    """Writes the pipeline's verdict as compact JSON, each batch of messages as it comes."""
    out.write(b'{"messages":[')
    separator = b""
    for batch in pricing.batches(CHUNK):
        out.write(separator + _items(batch))
        separator = b","
    summary = pricing.summary()
    out.write(b'],"conversations":[' + _items(summary.verdict_conversations()))
    out.write(b'],"total":' + summary.total.model_dump_json().encode())
    out.write(b',"notices":' + _encode(pricing.notices) + b"}")


def _items(items: Sequence[Any]) -> bytes:
    """A JSON array's items, without the brackets."""
    return _encode(items)[1:-1]
