"""Reading timeline files and writing verdicts, for timelines of any size.

:func:`~whatsapp_pricing.engine.simulate` builds the whole verdict as pydantic models, which is
what a program wants. A file of a million events would then sit in memory several times over, so
the command line takes this path instead: it validates events in chunks against the same models,
keeps each as a small tuple, and writes each message's verdict as soon as the engine gives it.
The JSON it writes is byte for byte what ``simulate(...).model_dump_json()`` gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import msgspec
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from whatsapp_pricing.domain import Account, Event, Timeline, check_unique_ids
from whatsapp_pricing.engine import (
    ConversationEngine,
    conversation_fields,
    engine_event,
    in_time_order,
    run,
    total_of,
)
from whatsapp_pricing.engine import Event as EngineEvent
from whatsapp_pricing.rate_cards import RateBook

CHUNK = 10_000
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
EVENTS = TypeAdapter(list[Event])
JSON = TypeAdapter(Any)
EVENT_TYPES = ("customer_message", "free_form", "template")


class InvalidTimeline(ValueError):
    """A timeline that cannot be priced; the message is one line naming the event and field."""


def read_timeline(data: bytes | str) -> tuple[Account, list[EngineEvent]]:
    """Validates a timeline document and returns its account and its events in time order.

    The document is only split at first (msgspec finds where each event starts and ends without
    building it); pydantic then parses and validates the events a chunk at a time, so only the
    engine's compact form of each event stays in memory, never the whole parsed document.
    """
    try:
        header, events = _split(data.encode("utf-8") if isinstance(data, str) else data)
    except msgspec.DecodeError as error:
        raise InvalidTimeline(f"the timeline is not valid JSON: {error}") from None
    account = _read_header(header)
    converted = _convert(events)
    try:
        return account, in_time_order(account, converted)
    except ValueError as error:
        raise InvalidTimeline(str(error)) from None


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
    """Validates events a chunk at a time and keeps only the engine's form of each."""
    converted: list[EngineEvent] = []
    seen_ids: dict[str, int] = {}
    checked_numbers: set[str] = set()
    for start in range(0, len(events), CHUNK):
        chunk = b"[" + b",".join(events[start : start + CHUNK]) + b"]"
        try:
            numbered = list(enumerate(EVENTS.validate_json(chunk), start))
            check_unique_ids(numbered, seen_ids)
            converted.extend(
                engine_event(order, event, checked_numbers) for order, event in numbered
            )
        except ValidationError as error:
            raise InvalidTimeline(describe(error.errors(), offset=start)) from None
        except ValueError as error:
            raise InvalidTimeline(str(error)) from None
    return converted


def _read_header(header: Any) -> Account:
    """Validates everything but the events, with the same model (and messages) as a timeline."""
    try:
        return Timeline.model_validate(header).account
    except ValidationError as error:
        raise InvalidTimeline(describe(error.errors())) from None


def write_verdict(
    account: Account,
    events: Iterable[EngineEvent],
    out: IO[bytes],
    rate_book: RateBook | None = None,
) -> None:
    """Prices the events and writes the verdict as compact JSON, messages as they come."""
    engine = ConversationEngine(account, rate_book)
    conversations = []
    charges = []
    out.write(b'{"messages":[')
    batch: list[dict[str, Any]] = []
    separator = b""
    for verdict in run(engine, events):
        charges.append(verdict["charge"])
        batch.append(verdict)
        if len(batch) == CHUNK:
            out.write(separator + _items(batch))
            separator = b","
            batch.clear()
            conversations.extend(engine.closed())
    if batch:
        out.write(separator + _items(batch))
    conversations.extend(engine.finish())
    conversations.sort(key=lambda conversation: int(conversation.id[1:]))
    out.write(b'],"conversations":[')
    out.write(_items([conversation_fields(conversation) for conversation in conversations]))
    out.write(b'],"total":' + JSON.dump_json(total_of(charges, account.currency)) + b"}")


def _items(items: list[dict[str, Any]]) -> bytes:
    """A JSON array's items, written by pydantic so decimals and times look as in the models."""
    return JSON.dump_json(items)[1:-1]


def describe(problems: list[ErrorDetails], offset: int = 0) -> str:
    """One line naming the first problem's event and field, and how many others there are.

    ``offset`` is the position of the first event of a chunk validated on its own.
    """
    line = _describe_one(problems[0], offset)
    if len(problems) > 1:
        line += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return line


def _describe_one(problem: ErrorDetails, offset: int) -> str:
    location = problem["loc"]
    if location and isinstance(location[0], int):  # validated as a chunk of the events
        location = ("events", location[0] + offset, *location[1:])
    where = _location(location)
    kind = problem["type"]
    if kind == "json_invalid":
        return f"the timeline is not valid JSON: {problem['ctx']['error']}"
    if kind == "extra_forbidden":
        return f"{where}: unknown field"
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "timezone_aware":
        return f"{where}: the timestamp {problem['input']!r} has no UTC offset"
    if kind == "union_tag_invalid":
        expected = ", ".join(EVENT_TYPES)
        return f"{where}.type: unknown event type {problem['ctx']['tag']!r} (expected {expected})"
    if kind == "string_pattern_mismatch" and where.endswith(".customer"):
        return f"{where}: {problem['input']!r} is not an E.164 number (+ and 7 to 15 digits)"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _location(location: tuple[int | str, ...]) -> str:
    """``('events', 3, 'template', 'at')`` becomes ``events[3].at``."""
    text = ""
    previous: int | str | None = None
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not (isinstance(previous, int) and part in EVENT_TYPES):
            text += f".{part}" if text else part
        previous = part
    return text
