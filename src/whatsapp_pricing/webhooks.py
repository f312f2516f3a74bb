"""Reading a business's webhook log: the Cloud API's notifications, as Meta sends them.

A log is one notification per line, or one JSON array of notifications. Each notification is
Meta's envelope (``{"object": "whatsapp_business_account", "entry": [...]}``). Its ``messages``
changes carry customers' messages (with a ``referral`` when they came from an ad) and statuses of
the business's messages (with Meta's ``pricing`` and, in older API versions, ``conversation``);
its ``template_category_update`` changes say when Meta moved a template to another category.
While Meta Business Agent handles a conversation, the same messages and statuses come on the
``standby`` field instead, inside a ``standby`` object, and are read alike (the agent's own
replies, its ``message_echoes``, are listed, not read: their statuses are). A status that failed
keeps Meta's error codes. Nothing is dropped silently: every line is either read or reported as
skipped, with why.

A one-per-line log is read line by line, so it streams; an array has to be read whole. A line
may start with what a logger writes before the notification (``2026-11-03 10:00:01 INFO
webhook: {...}``): the notification is read from the line's first ``{``, by the command line
and the site's Check page alike. A line nested too deeply to parse, or a time no calendar has, is
reported like any other broken line, and a line that is not JSON says where it stops being JSON.

Most lines have the usual shape (one entry, one ``messages`` change, well-formed statuses or
messages); msgspec decodes those straight into typed structs, twice as fast as building dicts and
taking them apart. Any other line takes the generic reader, which reads every shape and says
what is wrong with a broken one; a differential test holds the two to the same items.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Final, NamedTuple, cast

import msgspec

from whatsapp_pricing.domain import EntryPoint
from whatsapp_pricing.errors import JSON_PROBLEMS, missing_closers
from whatsapp_pricing.webhook_shapes import (
    Change,
    CustomerMessage,
    Entry,
    Notification,
    ReportedConversation,
    ReportedPricing,
    Status,
)

# Inbound and StatusUpdate are said with the shapes they are read from, and offered here.
from whatsapp_pricing.webhook_shapes import Inbound as Inbound
from whatsapp_pricing.webhook_shapes import StatusUpdate as StatusUpdate

_decode = msgspec.json.Decoder().decode
"""Parses JSON like the standard library does, three to four times faster on notifications."""
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_decode_array = msgspec.json.Decoder(list[msgspec.Raw]).decode
"""Splits a JSON array into its notifications without parsing them yet."""
LATEST: Final = 253402300799.0
"""The last second of the year 9999 (UTC), the end of every calendar Python has."""
TOO_DEEP = "nested too deeply to be a webhook notification"


class CategoryChange(NamedTuple):
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
    account: str = ""
    """The WhatsApp Business Account of the template (the entry's ``id``)."""


class Skipped(NamedTuple):
    """A line, or part of one, that says nothing about messages, or that could not be read."""

    line: int
    why: str
    bad: bool
    """True for input that is broken (not JSON, unexpected shape), not merely irrelevant."""


LogItem = Inbound | StatusUpdate | CategoryChange | Skipped


def renumbered(item: LogItem, line: int) -> LogItem:
    """The same item, said on another line (a part of a log numbers its lines from 1)."""
    if isinstance(item, Inbound | StatusUpdate):
        return msgspec.structs.replace(item, line=line)
    return item._replace(line=line)


def read_log(log: str | bytes | IO[bytes]) -> Iterator[LogItem]:
    """Everything a log says, in log order, numbered by line (or by position in an array).

    A log as people keep it is read as it is: gzip-compressed, with a byte-order mark, in
    UTF-16, with Windows line endings.
    """
    if isinstance(log, str):
        log = log.encode("utf-8")
    if isinstance(log, bytes):
        log = io.BytesIO(log)
    lines = _lines_of(opened(log))
    first = next(lines, b"").removeprefix(UTF8_BOM)
    if first.lstrip().startswith(b"["):
        return _read_array(first + b"".join(lines))
    return read_lines(itertools.chain((first,), lines))


def read_logs(logs: Sequence[IO[bytes]]) -> Iterator[LogItem]:
    """Several logs read as one, their lines one after another and numbered on (as Spark reads
    them); a single log is read as :func:`read_log` reads it."""
    if len(logs) == 1:
        return read_log(logs[0])
    return read_lines(
        line.removeprefix(UTF8_BOM) for log in logs for line in _lines_of(opened(log))
    )


def opened(log: IO[bytes]) -> IO[bytes]:
    """The log's bytes, decompressed if it is gzip (told by its first bytes, not its name)."""
    head = _peek(log, len(GZIP_MAGIC))
    if head == GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=log))
    return log


def _peek(log: IO[bytes], size: int) -> bytes:
    peek = getattr(log, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    if log.seekable():
        start = log.tell()
        head = log.read(size)
        log.seek(start)
        return head
    return b""


def _lines_of(log: IO[bytes]) -> Iterator[bytes]:
    """The log's lines as UTF-8 bytes; a UTF-16 log (told by its byte-order mark) is recoded.

    A UTF-8 log is its own iterator of lines: no generator stands between it and the reader.
    """
    if _peek(log, 2) in UTF16_BOMS:
        return _recoded(log)
    return iter(log)


def _recoded(log: IO[bytes]) -> Iterator[bytes]:
    """A UTF-16 log's lines, as UTF-8 bytes."""
    text = io.TextIOWrapper(log, encoding="utf-16", newline="")
    try:
        for line in text:
            yield line.encode("utf-8")
    finally:
        text.detach()  # the log is closed by whoever opened it


def _read_array(document: bytes) -> Iterator[LogItem]:
    """A log that is one JSON array; if it is not one, it is read as lines after all."""
    try:
        notifications = _decode_array(document)
    except (msgspec.DecodeError, RecursionError):
        yield from read_lines(document.splitlines())
        return
    for position, raw in enumerate(notifications, start=1):
        usual = usual_notification(raw, position)
        if usual is not None:
            yield from usual
            continue
        try:
            notification = _decode(raw)
        except RecursionError:
            yield Skipped(position, TOO_DEEP, bad=True)
            continue
        yield from _notification(notification, position)


def read_lines(lines: Iterable[bytes]) -> Iterator[LogItem]:
    """A log with one notification per line (its line ending is no part of it, so a line cut
    short reads the same wherever it was split into lines)."""
    for number, raw in enumerate(lines, start=1):
        # JSON reads a line ending as whitespace: a usual line is decoded as it came, without a
        # copy of it made to leave its ending out.
        usual = usual_notification(raw, number)
        if usual is not None:
            # A loop over the list, not ``yield from``: compiled, the loop is native, where
            # ``yield from`` goes through an iterator's protocol for each line.
            for item in usual:  # noqa: UP028 (native, see above)
                yield item
            continue
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        logged = without_logger_prefix(line)
        if logged is not line:
            usual = usual_notification(logged, number)
            if usual is not None:
                yield from usual
                continue
        try:
            notification = _decode(logged)
        except msgspec.DecodeError:
            yield Skipped(number, not_json(line), bad=True)
            continue
        except RecursionError:
            yield Skipped(number, TOO_DEEP, bad=True)
            continue
        yield from _notification(notification, number)


def without_logger_prefix(line: bytes) -> bytes:
    """The notification on a log line, without what a logger wrote before it (its time, level
    and name): the line from its first ``{``. A line that starts as JSON, or holds no ``{``, is
    returned as it is (the same object)."""
    start = line.find(b"{")
    if start <= 0 or line[:start].lstrip().startswith(b"["):
        return line
    return line[start:]


def not_json(line: bytes) -> str:
    """Why a log line is not a notification, in words: where its JSON breaks (the column counts
    the logger's prefix too), or that it holds none."""
    text = line.decode("utf-8", errors="replace")
    start = len(text) - len(without_logger_prefix(line).decode("utf-8", errors="replace"))
    if "{" not in text and not text.lstrip().startswith("["):
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:57] + "..."
        return f'not JSON: the line holds no notification ("{shown}")'
    try:
        json.loads(text[start:])
    except json.JSONDecodeError as error:
        missing = missing_closers(text[start:])
        if missing:
            return (
                f"not JSON: the line stops at column {len(text.rstrip())} before its "
                f"notification is complete ({missing} missing)"
            )
        meaning = next(
            (said for begins, said in JSON_PROBLEMS.items() if error.msg.startswith(begins)),
            error.msg,
        )
        return f"not JSON: at column {start + error.colno}, {meaning}"
    except RecursionError:
        return TOO_DEEP
    return "not JSON"


_decode_usual: Final = msgspec.json.Decoder(Notification).decode


def usual_notification(line: bytes | msgspec.Raw, number: int) -> list[LogItem] | None:
    """What a notification of the usual shape says, or ``None`` for the generic reader.

    Each struct decoded is taken apart with :data:`_fields`, in the order its class declares
    them (:mod:`.webhook_shapes`; a differential test holds this reader to the generic one).
    """
    try:
        notification = _decode_usual(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    # Typed, so that compiled code walks the lists as lists.
    entries: list[Entry]
    changes: list[Change]
    messages: list[CustomerMessage] | None
    statuses: list[Status] | None
    # Its object is WhatsApp's and each change's field "messages" (the shapes say so: a line
    # of any other is not of the usual shape, and is left to the generic reader).
    _, entries = _fields(notification)
    if not entries:
        return None
    items: list[LogItem] = []
    try:
        for entry in entries:
            changes, account = _fields(entry)
            if not changes:
                return None
            for change in changes:
                _, value = _fields(change)
                messages, statuses, contacts, metadata = _fields(value)
                if not (messages or statuses):
                    return None
                names = (
                    [Names(*_fields(contact)) for contact in contacts] if contacts else _NO_NAMES
                )
                business = "" if metadata is None else _business_number(*_fields(metadata))
                for message in messages if messages else _NO_MESSAGES:
                    timestamp, sender, user_id, parent, referral = _fields(message)
                    at = float(timestamp)  # a string, as decoded: _time's checks but one
                    if not 0 <= at <= LATEST:
                        return None
                    customer, user_id, parent = _customer(sender, user_id, parent, names)
                    entry_point = None if referral is msgspec.UNSET else _AD
                    items.append(
                        Inbound(
                            customer, at, entry_point, number, user_id, account, parent, business
                        )
                    )
                for status in statuses if statuses else _NO_STATUSES:
                    (
                        message_id,
                        said,
                        timestamp,
                        recipient,
                        user_id,
                        parent,
                        pricing,
                        conversation,
                        errors,
                    ) = _fields(status)
                    at = float(timestamp)  # a string, as decoded: _time's checks but one
                    if not 0 <= at <= LATEST:
                        return None
                    customer, user_id, parent = _customer(recipient, user_id, parent, names)
                    codes = _NO_ERRORS if errors is None else tuple(error.code for error in errors)
                    items.append(
                        StatusUpdate(
                            message_id,
                            customer,
                            said,
                            at,
                            pricing,
                            conversation,
                            number,
                            user_id,
                            account,
                            parent,
                            business,
                            codes,
                        )
                    )
    except (ValueError, KeyError):  # a time no calendar has, or no customer: said generically
        return None
    return items


_fields: Final = msgspec.structs.astuple
"""A struct's fields as a tuple: one call, where compiled code looks each attribute up by name."""
_AD: Final = EntryPoint.CLICK_TO_WHATSAPP_AD
_NO_NAMES: Final[list[Names]] = []
_NO_MESSAGES: Final[list[CustomerMessage]] = []
_NO_STATUSES: Final[list[Status]] = []
"""Nothing to read (a list, not ``()``: compiled, a loop over a list, known to be one, is
native; over a list or a tuple, it goes through an iterator)."""
_NO_ERRORS: Final[tuple[int, ...]] = ()


def _notification(notification: Any, line: int) -> list[LogItem]:
    """What one notification says (a list, not a generator: this runs once a line)."""
    if not isinstance(notification, dict) or not isinstance(notification.get("entry"), list):
        return [Skipped(line, "not a webhook notification (no 'entry' list)", bad=True)]
    if notification.get("object") != "whatsapp_business_account":
        return [Skipped(line, f"object {notification.get('object')!r} is not WhatsApp", bad=False)]
    if not notification["entry"]:
        return [Skipped(line, "a notification with no entries", bad=False)]
    items: list[LogItem] = []
    for entry in notification["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list) or not changes:
            items.append(
                Skipped(line, "an entry without changes", bad=not isinstance(changes, list))
            )
            continue
        for change in changes:
            _change(change, entry, line, items)
    return items


def _change(change: Any, entry: dict[str, Any], line: int, items: list[LogItem]) -> None:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        items.append(Skipped(line, "an entry change without a value", bad=True))
    elif change.get("field") == "messages":
        _value(change["value"], line, items, _account_of(entry))
    elif change.get("field") == "standby":
        _standby(change["value"], line, items, _account_of(entry))
    elif change.get("field") == "account_update":
        items.append(_account_update(change["value"], line))
    elif change.get("field") == "template_category_update":
        items.append(_category_change(change["value"], entry.get("time"), line, _account_of(entry)))
    else:
        items.append(Skipped(line, f"field {change.get('field')!r} is not about messages", False))


def _account_of(entry: dict[str, Any]) -> str:
    """The entry's WhatsApp Business Account id ("" when the entry does not say)."""
    account = entry.get("id")
    return "" if account is None or isinstance(account, bool) else str(account)


def _standby(value: dict[str, Any], line: int, items: list[LogItem], account: str) -> None:
    """A ``standby`` change: what Meta Business Agent's conversation carried, the change's
    ``metadata`` outside the ``standby`` object and everything else inside it."""
    standby = value.get("standby")
    if not isinstance(standby, dict):
        items.append(Skipped(line, "a standby change without a 'standby' object", bad=True))
        return
    echoes = standby.get("message_echoes")
    if echoes:
        said = "echoes" if not isinstance(echoes, list) or len(echoes) > 1 else "an echo"
        items.append(
            Skipped(
                line,
                f"{said} of what Meta Business Agent sent, on standby: listed, not priced (the "
                "agent's messages are read from their statuses)",
                bad=not isinstance(echoes, list),
            )
        )
    if standby.get("messages") or standby.get("statuses") or not echoes:
        inner = {name: given for name, given in standby.items() if name != "message_echoes"}
        _value({**inner, "metadata": value.get("metadata")}, line, items, account)


def _value(value: dict[str, Any], line: int, items: list[LogItem], account: str) -> None:
    messages, statuses = value.get("messages") or [], value.get("statuses") or []
    if not isinstance(messages, list) or not isinstance(statuses, list):
        items.append(Skipped(line, "'messages' or 'statuses' is not a list", bad=True))
        return
    if not messages and not statuses:
        items.append(Skipped(line, "a messages change with neither messages nor statuses", False))
    contacts = _contacts(value.get("contacts"))
    metadata = value.get("metadata")
    business = ""
    if isinstance(metadata, dict):
        business = _business_number(
            metadata.get("phone_number_id"), metadata.get("display_phone_number")
        )
    for message in messages:
        try:
            entry_point = EntryPoint.CLICK_TO_WHATSAPP_AD if "referral" in message else None
            at = _time(message["timestamp"])
            said = _names(message, "from", "from_user_id", "from_parent_user_id")
            customer, user_id, parent = _customer(*said, contacts)
            items.append(
                Inbound(customer, at, entry_point, line, user_id, account, parent, business)
            )
        except (KeyError, TypeError, ValueError):
            unusable = _unusable(message, INBOUND_FIELDS)
            items.append(Skipped(line, f"a customer message without a usable {unusable}", True))
    for status in statuses:
        try:
            said = _names(status, "recipient_id", "recipient_user_id", "recipient_parent_user_id")
            customer, user_id, parent = _customer(*said, contacts)
            items.append(
                StatusUpdate(
                    _text(status["id"]),
                    customer,
                    _text(status["status"]),
                    _time(status["timestamp"]),
                    _pricing(status.get("pricing")),
                    _conversation(status.get("conversation")),
                    line,
                    user_id,
                    account,
                    parent,
                    business,
                    _error_codes(status.get("errors")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            unusable = _unusable(status, STATUS_FIELDS)
            items.append(Skipped(line, f"a status without a usable {unusable}", bad=True))


class Names(NamedTuple):
    """How a line, or an entry of its ``contacts``, names a customer: each may be missing."""

    number: Any
    """The WhatsApp id (``from``, ``recipient_id``, ``wa_id``): the number, without ``+``."""
    user_id: Any
    parent_user_id: Any

    def overlaps(self, other: Names) -> bool:
        return any(
            mine is not None and mine == theirs for mine, theirs in zip(self, other, strict=True)
        )


def _names(source: dict[str, Any], number: str, user_id: str, parent_user_id: str) -> Names:
    """How a message or status of the generic reader names its customer, as text."""
    return Names(*(_optional_text(source.get(name)) for name in (number, user_id, parent_user_id)))


def _contacts(contacts: Any) -> list[Names]:
    """The ``contacts`` entries of a change, as names; one that is not an object names no one."""
    if not isinstance(contacts, list):
        return []
    return [
        Names(
            *(_text_or_none(contact.get(name)) for name in ("wa_id", "user_id", "parent_user_id"))
        )
        for contact in contacts
        if isinstance(contact, dict)
    ]


def _customer(
    number: str | None, user_id: str | None, parent: str | None, contacts: list[Names]
) -> tuple[str, str, str]:
    """Who a line is about: the number if Meta gave one, else the business-scoped user id, else
    the parent id; and the two ids, where the line carries them.

    Since April 2026 Meta may withhold the number of a customer who adopted a username, and
    writes ``from`` or ``recipient_id`` empty then: an empty name is no name. What the line
    leaves out, the change's ``contacts`` entry for the same customer (one sharing a name with
    it) may give, as Meta's contact book does: that is how a number and an id link.
    """
    number, user_id, parent = number or None, user_id or None, parent or None
    if contacts:
        number, user_id, parent = _named(_completed(Names(number, user_id, parent), contacts))
    if number is not None:
        return "+" + number, user_id or "", parent or ""
    if not (user_id or parent):
        raise KeyError("no number and no business-scoped user id")
    return user_id or parent or "", user_id or "", parent or ""


def _named(names: Names) -> Names:
    """Names with the empty ones left out: Meta writes a withheld number as ``""``."""
    return Names(*(name or None for name in names))


def _completed(said: Names, contacts: list[Names]) -> Names:
    """A line's names, with what the contacts entries that share one of them add."""
    for contact in contacts:
        if contact.overlaps(said):
            said = Names(
                *(
                    mine if mine is not None else theirs
                    for mine, theirs in zip(said, contact, strict=True)
                )
            )
    return said


def _business_number(phone_number_id: Any, display_phone_number: Any) -> str:
    """The business number a change is for: its id, or its display number ("" if neither)."""
    for name in (phone_number_id, display_phone_number):
        text = _text_or_none(name)
        if text:
            return text
    return ""


def _text_or_none(value: Any) -> str | None:
    """An id where there may be none; a value that is no id is taken as none."""
    try:
        return None if value is None else _text(value)
    except TypeError:
        return None


def _text(value: Any) -> str:
    """An id or a name: Meta sends strings; a number is taken as its digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(value)


def _time(value: Any) -> float:
    """A Unix time, as Meta sends it (a string of digits); one no calendar has is refused."""
    if isinstance(value, bool):
        raise TypeError(value)
    at = float(value)
    if not 0 <= at <= LATEST:  # also refuses NaN
        raise ValueError(value)
    return at


def _error_codes(errors: Any) -> tuple[int, ...]:
    """The codes of a status's ``errors``: Meta sends integers; digits as text are read too,
    and an error without a code adds none."""
    if errors is None:
        return ()
    if not isinstance(errors, list):
        raise TypeError(errors)
    codes = (error.get("code") for error in errors if isinstance(error, dict))
    return tuple(
        int(code)
        for code in codes
        if (isinstance(code, int) and not isinstance(code, bool))
        or (isinstance(code, str) and code.isdecimal())
    )


def _object(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise TypeError(value)


def _pricing(value: Any) -> ReportedPricing | None:
    given = _object(value)
    return None if given is None else msgspec.convert(given, ReportedPricing)


def _conversation(value: Any) -> ReportedConversation | None:
    given = _object(value)
    return None if given is None else msgspec.convert(given, ReportedConversation)


Reader = Callable[[Any], object]
CUSTOMER_FIELDS = (
    "from",
    "from_user_id",
    "from_parent_user_id",
    "recipient_id",
    "recipient_user_id",
    "recipient_parent_user_id",
)
"""Where a line names its customer: by number, by business-scoped user id, by parent id."""


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


INBOUND_FIELDS: dict[str, Reader] = {
    "from": _optional_text,
    "from_user_id": _optional_text,
    "from_parent_user_id": _optional_text,
    "timestamp": _time,
}
STATUS_FIELDS: dict[str, Reader] = {
    "id": _text,
    "recipient_id": _optional_text,
    "recipient_user_id": _optional_text,
    "recipient_parent_user_id": _optional_text,
    "status": _text,
    "timestamp": _time,
    "pricing": _pricing,
    "conversation": _conversation,
    "errors": _error_codes,
}


def _unusable(source: Any, fields: dict[str, Reader]) -> str:
    """The first field that is missing or cannot be read (the slow path, for broken input)."""
    if not isinstance(source, dict):
        return "object (not a JSON object)"
    for name, read in fields.items():
        try:
            read(source.get(name))
        except (TypeError, ValueError):
            return repr(name)
    names = [name for name in fields if name in CUSTOMER_FIELDS]
    if not any(source.get(name) for name in names):  # a withheld number is ""
        return ", ".join(map(repr, names[:-1])) + f" or {names[-1]!r}"
    return "field"


def _account_update(value: dict[str, Any], line: int) -> Skipped:
    """An ``account_update``: listed with what it says (a volume tier reached is not yet used
    to check the rate applied)."""
    tier = value.get("volume_tier_info")
    if value.get("event") == "VOLUME_BASED_PRICING_TIER_UPDATE" and isinstance(tier, dict):
        said = ", ".join(
            f"{name} {tier[name]}"
            for name in ("region", "pricing_category", "tier", "effective_month")
            if name in tier
        )
        return Skipped(line, f"a volume tier update ({said}), listed, not used", bad=False)
    return Skipped(line, f"an account update ({value.get('event')!r}), not about messages", False)


def _category_change(value: dict[str, Any], sent: Any, line: int, account: str) -> LogItem:
    """A completed change (``previous_category`` to ``new_category``) or an announced one.

    An announcement names the template's current category ``new_category`` and the one it
    will get ``correct_category``, at ``category_update_timestamp``; a completed change takes
    effect when Meta sent it (the entry's ``time``).
    """
    announced = "correct_category" in value
    before, after = (
        ("new_category", "correct_category") if announced else ("previous_category", "new_category")
    )
    when = "category_update_timestamp" if announced else "time"
    source = value if announced else {**value, "time": sent}
    try:
        return CategoryChange(
            str(value.get("message_template_id", "")),
            _text(value["message_template_name"]),
            str(value.get("message_template_language", "")),
            _text(value[before]).lower(),
            _text(value[after]).lower(),
            _time(source[when]),
            line,
            account,
        )
    except (KeyError, TypeError, ValueError):
        fields: dict[str, Reader] = {
            "message_template_name": _text,
            before: _text,
            after: _text,
            when: _time,
        }
        unusable = _unusable(source, fields)
        return Skipped(line, f"a template category update without a usable {unusable}", bad=True)
