"""A fast path for reading timeline events: msgspec structs generated from the pydantic models.

Validating a million events with pydantic takes seconds; msgspec decodes the same JSON into
typed structs several times faster. The structs are generated from the event models'
own fields (types, patterns, lengths, defaults), so the two cannot drift apart, and the fast
path only ever *accepts*: whatever it does not take as it stands (an unusual timestamp form, a
wrong field, a repeated id) goes to pydantic, which accepts it or gives the one error message
users see. A differential property test holds the two paths to the same events.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import annotated_types
import msgspec
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from whatsapp_pricing.domain import (
    AgentMessage,
    BusinessCall,
    CustomerCall,
    CustomerMessage,
    DirectSendMessage,
    EntryPoint,
    FreeFormMessage,
    TemplateMessage,
    route_problem,
)
from whatsapp_pricing.engine import Details, Event, Kind
from whatsapp_pricing.markets import is_customer_id
from whatsapp_pricing.simulation import call_details, template_details
from whatsapp_pricing.vocabulary import VOCABULARY

RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")
"""The common timestamp forms, on which ``datetime.fromisoformat`` and pydantic agree to the
microsecond; any other form pydantic may accept takes the slow path."""
CHECKED_HERE = ("at", "customer")
"""Fields decoded as plain strings and checked by :func:`engine_events` itself: a timestamp
once per event with one compiled pattern, a customer once per customer (msgspec would run a
pattern on every event, the slowest part of decoding by far)."""
ENTRY_POINTS = {entry_point.value: entry_point for entry_point in EntryPoint}


def _python_pattern(pattern: str) -> str:
    """Pydantic's pattern for Python's ``re``: there ``$`` also matches before a final newline."""
    return pattern.removesuffix("$") + r"\Z"


def _constraints(metadata: list[Any]) -> msgspec.Meta | None:
    """The msgspec form of a field's pydantic constraints (a pattern, a minimum length)."""
    pattern: str | None = None
    min_length: int | None = None
    gt: int | None = None
    ge: int | None = None
    for constraint in metadata:
        if isinstance(constraint, annotated_types.MinLen):
            min_length = constraint.min_length
        elif isinstance(constraint, annotated_types.Gt) and isinstance(constraint.gt, int):
            gt = constraint.gt
        elif isinstance(constraint, annotated_types.Ge) and isinstance(constraint.ge, int):
            ge = constraint.ge
        elif getattr(constraint, "strict", False):
            continue  # msgspec is always strict: a JSON integer, never "12", 12.0 or true
        elif getattr(constraint, "pattern", None) is not None:
            pattern = _python_pattern(constraint.pattern)
        else:
            raise TypeError(f"no msgspec form for the constraint {constraint!r}")
    if gt is not None:
        return msgspec.Meta(gt=gt)
    if ge is not None:
        return msgspec.Meta(ge=ge)
    if pattern is None and min_length is None:
        return None
    return msgspec.Meta(pattern=pattern, min_length=min_length)


def _struct_type(annotation: Any, metadata: list[Any]) -> Any:
    """The msgspec type that accepts no more than pydantic's type for a field does."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [_struct_type(member, []) for member in typing.get_args(annotation)]
        return typing.Union[tuple(members)]  # noqa: UP007 (built at run time)
    if typing.get_origin(annotation) is Annotated:
        base, *extra = typing.get_args(annotation)
        field = next(item for item in extra if isinstance(item, FieldInfo))
        return _struct_type(base, [*metadata, *field.metadata])
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return Literal[tuple(member.value for member in annotation)]
    if typing.get_origin(annotation) is Literal:
        return annotation
    if annotation in (str, int, bool, type(None)):
        meta = _constraints(metadata)
        return annotation if meta is None else Annotated[annotation, meta]
    raise TypeError(f"no msgspec form for {annotation!r}")


def struct_of(model: type[BaseModel]) -> type[msgspec.Struct]:
    """A struct with the model's fields, tagged by its ``type``, refusing unknown fields."""
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, field in model.model_fields.items():
        if name == "type":
            continue
        kind = str if name in CHECKED_HERE else _struct_type(field.annotation, field.metadata)
        fields.append((name, kind) if field.is_required() else (name, kind, field.default))
    (tag,) = typing.get_args(model.model_fields["type"].annotation)
    return msgspec.defstruct(
        model.__name__, fields, tag_field="type", tag=tag, forbid_unknown_fields=True
    )


MODELS = (
    CustomerMessage,
    TemplateMessage,
    FreeFormMessage,
    AgentMessage,
    DirectSendMessage,
    CustomerCall,
    BusinessCall,
)
"""The event models, one for each kind of the vocabulary."""
KIND_OF = {
    struct_of(model): VOCABULARY.kind(
        typing.get_args(model.model_fields["type"].annotation)[0]
    ).code
    for model in MODELS
}
STRUCTS = tuple(KIND_OF)
(_CUSTOMER_CONSTRAINT,) = CustomerMessage.model_fields["customer"].metadata
CUSTOMER_ID = re.compile(_python_pattern(_CUSTOMER_CONSTRAINT.pattern))
_new_event = tuple.__new__
"""Builds an :class:`Event` without the NamedTuple's Python-level ``__new__`` (a third faster)."""
_decode = msgspec.json.Decoder(list[typing.Union[STRUCTS]]).decode  # type: ignore[valid-type]  # noqa: UP007


def engine_events(
    chunk: bytes, offset: int, seen_ids: dict[str, int], checked_numbers: set[str]
) -> list[Event] | None:
    """A JSON array of events as the engine reads them, or ``None`` if pydantic must judge it.

    ``offset`` numbers the events; ``seen_ids`` and ``checked_numbers`` carry over chunks (an
    event judged here only adds what pydantic's path would add too).
    """
    try:
        decoded = _decode(chunk)
    except (msgspec.DecodeError, RecursionError):
        return None
    events = []
    is_time, from_iso = RFC3339.fullmatch, datetime.fromisoformat
    for order, event in enumerate(decoded, offset):
        fields: Any = event
        customer, at = fields.customer, fields.at
        if customer not in checked_numbers:
            if not (CUSTOMER_ID.match(customer) and is_customer_id(customer)):
                return None
            checked_numbers.add(customer)
        if is_time(at) is None:
            return None
        try:
            moment = from_iso(at).timestamp()
        except ValueError:
            return None
        kind = KIND_OF[type(event)]
        if kind == Kind.CUSTOMER_MESSAGE:
            entry_point = None if fields.entry_point is None else ENTRY_POINTS[fields.entry_point]
            row: tuple[Any, ...] = (
                moment,
                order,
                kind,
                customer,
                "",
                None,
                entry_point,
                "",
                0,
                None,
            )
            events.append(_new_event(Event, row))
            continue
        if kind == Kind.CUSTOMER_CALL:
            row = (moment, order, kind, customer, "", None, None, "", 0, None)
            events.append(_new_event(Event, row))
            continue
        message_id = fields.id
        if seen_ids.setdefault(message_id, order) != order:
            return None
        details = _details(kind, fields)
        if details is False:
            return None
        category = fields.category if kind in CATEGORISED else None
        tokens = fields.tokens if kind == Kind.AGENT else 0
        business_number = "" if kind == Kind.BUSINESS_CALL else fields.business_number or ""
        row = (
            moment,
            order,
            kind,
            customer,
            message_id,
            category,
            None,
            business_number,
            tokens,
            details,
        )
        events.append(_new_event(Event, row))
    return events


CATEGORISED = frozenset({Kind.TEMPLATE, Kind.DIRECT_SEND})
"""The kinds of business message that carry a ``category``."""


def _details(kind: int, fields: Any) -> Details | Literal[False] | None:
    """What a business message carries beyond the common fields (``None`` for most), or
    ``False`` where the models' checks across fields must judge it."""
    if kind == Kind.TEMPLATE:
        if route_problem(fields.via, fields.category, fields.max_price is not None) is not None:
            return False
        return template_details(fields.via, fields.max_price, fields.failed)
    if kind == Kind.BUSINESS_CALL:
        return call_details(fields.seconds, fields.accepted) or False
    failed = fields.failed
    return None if failed is None else Details(failed=failed)
