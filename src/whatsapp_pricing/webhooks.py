"""Reading a business's webhook log: the Cloud API's ``messages`` notifications, as Meta sends them.

A log is one notification per line, or one JSON array of notifications. Each notification is
Meta's envelope (``{"object": "whatsapp_business_account", "entry": [...]}``); its ``messages``
changes carry customers' messages (with a ``referral`` when they came from an ad) and statuses of
the business's messages (with Meta's ``pricing`` and, in older API versions, ``conversation``).
Nothing is dropped silently: every line is either read or reported as skipped, with why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from whatsapp_pricing.domain import EntryPoint


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
class Skipped:
    """A line, or part of one, that says nothing about messages, or that could not be read."""

    line: int
    why: str
    bad: bool
    """True for input that is broken (not JSON, unexpected shape), not merely irrelevant."""


LogItem = Inbound | StatusUpdate | Skipped


def read_log(text: str, progress: Callable[[list[str]], Iterable[str]] = iter) -> Iterator[LogItem]:
    """Everything a log says, in log order, numbered by line (or array position).

    ``progress`` wraps the lines of a one-per-line log, for instance in a progress bar.
    """
    if text.lstrip().startswith("["):
        try:
            notifications = json.loads(text)
        except json.JSONDecodeError as error:
            yield Skipped(error.lineno, f"the log is not valid JSON: {error.msg}", bad=True)
            return
        for position, notification in enumerate(notifications, start=1):
            yield from _notification(notification, position)
        return
    yield from read_lines(progress(text.splitlines()))


def read_lines(lines: Iterable[str]) -> Iterator[LogItem]:
    """A log with one notification per line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            notification = json.loads(line)
        except json.JSONDecodeError as error:
            yield Skipped(number, f"not JSON: {error.msg}", bad=True)
            continue
        yield from _notification(notification, number)


def _notification(notification: Any, line: int) -> Iterator[LogItem]:
    if not isinstance(notification, dict) or not isinstance(notification.get("entry"), list):
        yield Skipped(line, "not a webhook notification (no 'entry' list)", bad=True)
        return
    if notification.get("object") != "whatsapp_business_account":
        yield Skipped(line, f"object {notification.get('object')!r} is not WhatsApp", bad=False)
        return
    for entry in notification["entry"]:
        for change in entry.get("changes", []) if isinstance(entry, dict) else [None]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                yield Skipped(line, "an entry change without a value", bad=True)
            elif change.get("field") != "messages":
                yield Skipped(line, f"field {change.get('field')!r} is not about messages", False)
            else:
                yield from _value(change["value"], line)


def _value(value: dict[str, Any], line: int) -> Iterator[LogItem]:
    if not value.get("messages") and not value.get("statuses"):
        yield Skipped(line, "a messages change with neither messages nor statuses", bad=False)
    for message in value.get("messages", []):
        try:
            yield Inbound(
                customer="+" + str(message["from"]),
                at=float(message["timestamp"]),
                entry_point=EntryPoint.CLICK_TO_WHATSAPP_AD if "referral" in message else None,
                line=line,
            )
        except (KeyError, TypeError, ValueError) as error:
            yield Skipped(line, f"a customer message without a usable {error}", bad=True)
    for status in value.get("statuses", []):
        try:
            yield StatusUpdate(
                message=str(status["id"]),
                customer="+" + str(status["recipient_id"]),
                status=str(status["status"]),
                at=float(status["timestamp"]),
                pricing=status.get("pricing"),
                conversation=status.get("conversation"),
                line=line,
            )
        except (KeyError, TypeError, ValueError) as error:
            yield Skipped(line, f"a status without a usable {error}", bad=True)
