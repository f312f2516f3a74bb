"""Reading timeline files and writing verdicts, for timelines of any size.

:func:`~whatsapp_pricing.engine.simulate` builds the whole verdict as pydantic models, which is
what a program wants. A file of a million events would then sit in memory several times over, so
the command line takes this path instead: it validates events in chunks against the same models,
keeps each as a small tuple, and writes each message's verdict as soon as the engine gives it.
The JSON it writes is byte for byte what ``simulate(...).model_dump_json()`` gives.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

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
DECODER = json.JSONDecoder()
WHITESPACE = re.compile(r"[ \t\n\r]*")
EVENTS = TypeAdapter(list[Event])
JSON = TypeAdapter(Any)
EVENT_TYPES = ("customer_message", "free_form", "template")


class InvalidTimeline(ValueError):
    """A timeline that cannot be priced; the message is one line naming the event and field."""


def read_timeline(data: bytes | str) -> tuple[Account, list[EngineEvent]]:
    """Validates a timeline document and returns its account and its events in time order.

    The events array is decoded one event at a time and validated a chunk at a time, so only
    the engine's compact form of each event stays in memory, never the whole parsed document.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        members, events = _decode_top_level(text)
        converted = _convert(events)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidTimeline(f"the timeline is not valid JSON: {error}") from None
    account = _read_header(members if events is None else {**members, "events": []})
    try:
        return account, in_time_order(account, converted)
    except ValueError as error:
        raise InvalidTimeline(str(error)) from None


def _convert(events: Iterator[Any] | None) -> list[EngineEvent]:
    """Validates events a chunk at a time and keeps only the engine's form of each."""
    converted: list[EngineEvent] = []
    if events is None:
        return converted
    seen_ids: dict[str, int] = {}
    checked_numbers: set[str] = set()
    while chunk := list(itertools.islice(events, CHUNK)):
        start = len(converted)
        try:
            numbered = list(enumerate(EVENTS.validate_python(chunk), start))
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


def _decode_top_level(text: str) -> tuple[Any, Iterator[Any] | None]:
    """The document's members other than an ``events`` array, and an iterator over that array.

    The iterator must be used up before the members are complete: it decodes the rest of the
    document as it goes.
    """
    position = _skip_space(text, 0)
    if not text.startswith("{", position):
        document, end = DECODER.raw_decode(text, position)
        _expect_end(text, end)
        return document, None
    members: dict[str, Any] = {}
    events: Iterator[Any] | None = None
    position = _skip_space(text, position + 1)
    if text.startswith("}", position):
        _expect_end(text, position + 1)
        return members, None
    while True:
        key, position = _key(text, position)
        if key == "events" and text.startswith("[", position):
            events = _array_items(text, position, members)
            return members, events
        members[key], position = DECODER.raw_decode(text, position)
        position = _skip_space(text, position)
        if text.startswith("}", position):
            _expect_end(text, position + 1)
            return members, None
        position = _expect(text, position, ",")


def _key(text: str, position: int) -> tuple[str, int]:
    """A member's name and the position of its value."""
    key, position = DECODER.raw_decode(text, position)
    if not isinstance(key, str):
        raise json.JSONDecodeError("Expecting property name", text, position)
    return key, _expect(text, position, ":")


def _array_items(text: str, position: int, members: dict[str, Any]) -> Iterator[Any]:
    """Yields the items of the array at ``position``, then decodes the members after it."""
    position = _skip_space(text, position + 1)
    if text.startswith("]", position):
        position += 1
    else:
        while True:
            item, position = DECODER.raw_decode(text, position)
            yield item
            position = _skip_space(text, position)
            if text.startswith("]", position):
                position += 1
                break
            position = _expect(text, position, ",")
    position = _skip_space(text, position)
    while text.startswith(",", position):
        key, position = _key(text, _skip_space(text, position + 1))
        members[key], position = DECODER.raw_decode(text, position)
        position = _skip_space(text, position)
    if not text.startswith("}", position):
        raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
    _expect_end(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    match = WHITESPACE.match(text, position)
    return match.end() if match else position


def _expect(text: str, position: int, character: str) -> int:
    position = _skip_space(text, position)
    if not text.startswith(character, position):
        raise json.JSONDecodeError(f"Expecting '{character}' delimiter", text, position)
    return _skip_space(text, position + 1)


def _expect_end(text: str, position: int) -> None:
    position = _skip_space(text, position)
    if position != len(text):
        raise json.JSONDecodeError("Extra data", text, position)


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
