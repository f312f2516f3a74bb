"""Reading timeline files and writing verdicts, for timelines of any size.

:func:`~whatsapp_pricing.engine.simulate` builds the whole verdict as pydantic models, which is
what a program wants. A file of a million events would then sit in memory several times over, so
the command line takes this path instead: it validates events in chunks against the same models,
keeps each as a small tuple, and writes each message's verdict as soon as the engine gives it.
The JSON it writes, by msgspec straight from the engine's records, is byte for byte what
``simulate(...).model_dump_json()`` gives (a property test holds both to it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import msgspec
from pydantic import TypeAdapter, ValidationError

from whatsapp_pricing import typed_events
from whatsapp_pricing.domain import Account, Event, Timeline, check_unique_ids
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.engine import Event as EngineEvent
from whatsapp_pricing.errors import InvalidTimeline, PricingError, json_mistake
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.records import MessageRecord
from whatsapp_pricing.simulation import (
    conversation_fields,
    engine_event,
    in_opening_order,
    in_time_order,
    notices_for,
    run,
    total_of,
)

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


def write_verdict(
    account: Account,
    events: Iterable[EngineEvent],
    out: IO[bytes],
    rate_book: RateBook | None = None,
) -> None:
    """Prices the events and writes the verdict as compact JSON, messages as they come."""
    rate_book = rate_book or shipped_rate_book()
    engine = ConversationEngine(account, rate_book)
    conversations = []
    charges = []
    out.write(b'{"messages":[')
    batch: list[MessageRecord] = []
    separator = b""
    for record in run(engine, events):
        charges.append(record.charge)
        batch.append(record)
        if len(batch) == CHUNK:
            out.write(separator + _items(batch))
            separator = b","
            batch.clear()
            conversations.extend(engine.closed())
    if batch:
        out.write(separator + _items(batch))
    conversations.extend(engine.finish())
    out.write(b'],"conversations":[')
    out.write(_items([conversation_fields(record) for record in in_opening_order(conversations)]))
    out.write(b'],"total":' + _encode(total_of(charges, account.currency)))
    out.write(b',"notices":' + _encode(notices_for(account, rate_book)) + b"}")


def _items(items: list[Any]) -> bytes:
    """A JSON array's items, without the brackets."""
    return _encode(items)[1:-1]
