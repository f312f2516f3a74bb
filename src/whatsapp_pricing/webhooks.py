"""Reading a business's webhook log: the Cloud API's notifications, as Meta sends them.

A log is one notification per line, or one JSON array of notifications. Each notification is
Meta's envelope (``{"object": "whatsapp_business_account", "entry": [...]}``). Its ``messages``
changes carry customers' messages (with a ``referral`` when they came from an ad) and statuses of
the business's messages (with Meta's ``pricing`` and, in older API versions, ``conversation``);
its ``template_category_update`` changes say when Meta moved a template to another category.
Nothing is dropped silently: every line is either read or reported as skipped, with why.

A one-per-line log is read line by line, so it streams; an array has to be read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import msgspec

from whatsapp_pricing.domain import EntryPoint

T = TypeVar("T")

_decode = msgspec.json.Decoder().decode
"""Parses JSON like the standard library does, three to four times faster on notifications."""
_decode_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
"""Splits a JSON array into its notifications without parsing them yet."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """A customer's message to the business."""

    customer: str
    at: float
    entry_point: EntryPoint | None
    line: int


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One status of one of the business's messages, with Meta's pricing if it carried any."""

    message: str
    customer: str
    status: str
    at: float
    pricing: dict[str, Any] | None
    conversation: dict[str, Any] | None
    line: int


@dataclass(frozen=True, slots=True)
class CategoryChange:
    """Meta moved a template to another category, or announced that it will."""

    template_id: str
    template: str
    """The template's name."""
    language: str
    before: str
    """The category it had (lower case, as ``pricing.category`` spells it)."""
    after: str
    at: float
    """When the change takes effect: announced for later, or the notification's own time."""
    line: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line, or part of one, that says nothing about messages, or that could not be read."""

    line: int
    why: str
    bad: bool
    """True for input that is broken (not JSON, unexpected shape), not merely irrelevant."""


LogItem = Inbound | StatusUpdate | CategoryChange | Skipped


def read_log(log: str | bytes | IO[bytes]) -> Iterator[LogItem]:
    """Everything a log says, in log order, numbered by line (or by position in an array)."""
    if isinstance(log, str):
        log = log.encode("utf-8")
    if isinstance(log, bytes):
        if log.lstrip().startswith(b"["):
            return _read_array(log)
        return read_lines(log.splitlines())
    first = log.readline()
    if first.lstrip().startswith(b"["):
        return _read_array(first + log.read())
    return read_lines(_chained(first, log))


def _chained(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _read_array(document: bytes) -> Iterator[LogItem]:
    try:
        notifications = _decode_array(document)
    except msgspec.DecodeError as error:
        yield Skipped(1, f"the log is not a valid JSON array: {error}", bad=True)
        return
    for position, raw in enumerate(notifications, start=1):
        yield from _notification(_decode(raw), position)


def read_lines(lines: Iterable[bytes]) -> Iterator[LogItem]:
    """A log with one notification per line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            notification = _decode(line)
        except msgspec.DecodeError as error:
            yield Skipped(number, f"not JSON: {error}", bad=True)
            continue
        yield from _notification(notification, number)


def _notification(notification: Any, line: int) -> Iterator[LogItem]:
    if not isinstance(notification, dict) or not isinstance(notification.get("entry"), list):
        yield Skipped(line, "not a webhook notification (no 'entry' list)", bad=True)
        return
    if notification.get("object") != "whatsapp_business_account":
        yield Skipped(line, f"object {notification.get('object')!r} is not WhatsApp", bad=False)
        return
    if not notification["entry"]:
        yield Skipped(line, "a notification with no entries", bad=False)
    for entry in notification["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list) or not changes:
            yield Skipped(line, "an entry without changes", bad=not isinstance(changes, list))
            continue
        for change in changes:
            yield from _change(change, entry, line)


def _change(change: Any, entry: dict[str, Any], line: int) -> Iterator[LogItem]:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        yield Skipped(line, "an entry change without a value", bad=True)
    elif change.get("field") == "messages":
        yield from _value(change["value"], line)
    elif change.get("field") == "template_category_update":
        yield _category_change(change["value"], entry.get("time"), line)
    else:
        yield Skipped(line, f"field {change.get('field')!r} is not about messages", bad=False)


def _value(value: dict[str, Any], line: int) -> Iterator[LogItem]:
    messages, statuses = value.get("messages") or [], value.get("statuses") or []
    if not isinstance(messages, list) or not isinstance(statuses, list):
        yield Skipped(line, "'messages' or 'statuses' is not a list", bad=True)
        return
    if not messages and not statuses:
        yield Skipped(line, "a messages change with neither messages nor statuses", bad=False)
    for message in messages:
        try:
            yield Inbound(
                customer="+" + _field(message, "from", str),
                at=_field(message, "timestamp", float),
                entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD if "referral" in message else None,
                line=line,
            )
        except _Unusable as error:
            yield Skipped(line, f"a customer message without a usable {error}", bad=True)
    for status in statuses:
        try:
            yield StatusUpdate(
                message=_field(status, "id", str),
                customer="+" + _field(status, "recipient_id", str),
                status=_field(status, "status", str),
                at=_field(status, "timestamp", float),
                pricing=_optional_object(status, "pricing"),
                conversation=_optional_object(status, "conversation"),
                line=line,
            )
        except _Unusable as error:
            yield Skipped(line, f"a status without a usable {error}", bad=True)


_UPDATE_TIME = {True: "category_update_timestamp", False: "time"}
"""Where each kind of category update says when it takes effect (the entry's own time)."""


def _category_change(value: dict[str, Any], sent: Any, line: int) -> LogItem:
    """A completed change (``previous_category`` to ``new_category``) or an announced one.

    An announcement names the template's current category ``new_category`` and the one it
    will get ``correct_category``, at ``category_update_timestamp``.
    """
    announced = "correct_category" in value
    try:
        return CategoryChange(
            template_id=str(value.get("message_template_id", "")),
            template=_field(value, "message_template_name", str),
            language=str(value.get("message_template_language", "")),
            before=_field(value, "new_category" if announced else "previous_category", str).lower(),
            after=_field(value, "correct_category" if announced else "new_category", str).lower(),
            at=_field(value if announced else {"time": sent}, _UPDATE_TIME[announced], float),
            line=line,
        )
    except _Unusable as error:
        return Skipped(line, f"a template category update without a usable {error}", bad=True)


class _Unusable(Exception):
    """A field that is missing or of the wrong type; the message is the field's name."""


def _field(source: dict[str, Any], key: str, convert: Callable[[Any], T]) -> T:
    try:
        return convert(source[key])
    except (KeyError, TypeError, ValueError):
        raise _Unusable(repr(key)) from None


def _optional_object(source: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = source.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise _Unusable(repr(key))
