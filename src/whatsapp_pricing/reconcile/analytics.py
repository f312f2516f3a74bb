"""Meta's own billing figures: what the Graph API returned for an account's ``pricing_analytics``
(or, for months under conversation-based pricing, ``conversation_analytics``), read into typed
:class:`Figure` rows.

A client saves what Meta returns as it comes: one response object, several concatenated as a
paginating client follows ``paging.next`` (a page it fetched that way is the bare
``{"data": [...], "paging": {...}}``), or a JSON array of them. Each data point is one bucket of
time (half an hour, a day or a month, by its ``start`` and ``end``) for one combination of the
dimensions asked for. Meta's spellings (``MARKETING_LITE``, ``FREE_CUSTOMER_SERVICE``,
``FREE_TIER``, ...) are read only through the :class:`~whatsapp_pricing.vocabulary.Vocabulary`:
a spelling no row has is refused, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.vocabulary import VOCABULARY, Category, PricingType, Vocabulary

PRICING = "pricing_analytics"
"""Per-message pricing: one data point counts delivered messages (``volume``)."""
CONVERSATIONS = "conversation_analytics"
"""Conversation-based pricing: one data point counts conversations (``conversation``)."""
FIELDS = (PRICING, CONVERSATIONS)
NEEDED = {
    PRICING: "COUNTRY, PRICING_CATEGORY and PRICING_TYPE",
    CONVERSATIONS: "COUNTRY, CONVERSATION_CATEGORY and CONVERSATION_TYPE",
}
"""The dimensions a comparison needs, per field, for the error that says one is missing."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One data point of Meta's analytics: what Meta counted and billed, in one bucket of time,
    for one country, category and pricing type (and number and tier, if asked for)."""

    start: int
    """The bucket's start, Unix time."""
    end: int
    country: str
    """ISO 3166 code, as Meta writes it (``IN``)."""
    category: Category
    pricing_type: PricingType
    spelling: str
    """The category as Meta wrote it (``MARKETING_LITE`` is marketing sent with a max price)."""
    volume: int
    """Messages delivered (``pricing_analytics``) or conversations opened."""
    cost: Decimal
    """In the account's currency."""
    phone: str = ""
    tier: str = ""


@dataclass(frozen=True, slots=True)
class Analytics:
    """Everything one file held for one account and one field."""

    field: str
    """``pricing_analytics`` or ``conversation_analytics``."""
    account: str
    """The WhatsApp Business Account's id, as the response's ``id`` gives it ("" if absent)."""
    currency: str | None
    """The currency the response names, if it does."""
    figures: tuple[Figure, ...]
    source: str
    """The file it came from, for messages."""

    @property
    def per_conversation(self) -> bool:
        return self.field == CONVERSATIONS


def read_analytics(
    data: bytes, source: str, vocabulary: Vocabulary = VOCABULARY
) -> list[Analytics]:
    """Every account's figures in one file, one :class:`Analytics` per account and field.

    Anything that is not Meta's shape is a :class:`~whatsapp_pricing.errors.UsageError` naming
    ``source`` and what is wrong, in one line.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{source}: not JSON (not UTF-8 text)") from None
    pages: dict[tuple[str, str], list[Figure]] = {}
    currencies: dict[tuple[str, str], str | None] = {}
    for number, response in enumerate(_responses(text, source), start=1):
        where = f"{source}, response {number}"
        field, account, body = _field_of(response, where)
        key = (account, field)
        figures = pages.setdefault(key, [])
        currency = _currency(response, body)
        seen = currencies.setdefault(key, currency)
        if currency is not None and seen is not None and currency != seen:
            raise UsageError(f"{where}: currency {currency}, while an earlier page says {seen}")
        currencies[key] = seen or currency
        figures += _figures(field, body, where, vocabulary)
    if not pages:
        raise UsageError(f"{source}: holds no analytics response")
    # A bare page (account "") belongs to the one account the file names, if it names one.
    named = {account for account, _ in pages if account}
    if len(named) == 1:
        only = named.pop()
        for field in FIELDS:
            if ("", field) in pages:
                pages.setdefault((only, field), []).extend(pages.pop(("", field)))
                currencies[(only, field)] = currencies.get((only, field)) or currencies.pop(
                    ("", field)
                )
    return [
        Analytics(field, account, currencies.get((account, field)), tuple(figures), source)
        for (account, field), figures in pages.items()
    ]


def _responses(text: str, source: str) -> Iterator[Mapping[str, Any]]:
    """The response objects of a file: concatenated JSON values, each an object or an array."""
    decoder = json.JSONDecoder()
    position, length = 0, len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise UsageError(
                f"{source}: not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
            ) from None
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                raise UsageError(f"{source}: each response must be a JSON object, not {item!r:.40}")
            yield item


def _field_of(response: Mapping[str, Any], where: str) -> tuple[str, str, Mapping[str, Any]]:
    """Which field a response holds, for which account, and its ``{"data": [...]}`` body."""
    if "error" in response:
        error = response["error"]
        said = error.get("message", error) if isinstance(error, dict) else error
        raise UsageError(f"{where}: Meta returned an error, not analytics: {said}")
    account = str(response.get("id", ""))
    for field in FIELDS:
        if field in response:
            body = response[field]
            if not isinstance(body, dict):
                raise UsageError(f"{where}: {field} must be an object with data")
            return field, account, body
    if "data" in response:  # a page fetched from paging.next: the field's body itself
        return _bare_field(response, where), account, response
    raise UsageError(
        f"{where}: neither pricing_analytics nor conversation_analytics: is it the response "
        "of GET /<WABA_ID>?fields=pricing_analytics...?"
    )


def _bare_field(page: Mapping[str, Any], where: str) -> str:
    for point in _points(page, where):
        if "volume" in point or "pricing_category" in point:
            return PRICING
        if "conversation" in point or "conversation_type" in point:
            return CONVERSATIONS
    return PRICING


def _points(body: Mapping[str, Any], where: str) -> Iterator[Mapping[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list):
        raise UsageError(f"{where}: data must be a list of objects with data_points")
    for group in data:
        points = group.get("data_points") if isinstance(group, dict) else None
        if not isinstance(points, list):
            raise UsageError(f"{where}: each item of data needs a list of data_points")
        for point in points:
            if not isinstance(point, dict):
                raise UsageError(f"{where}: a data point must be an object, not {point!r:.40}")
            yield point


def _currency(response: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    said = body.get("currency", response.get("currency"))
    return str(said).upper() if said else None


def _figures(
    field: str, body: Mapping[str, Any], where: str, vocabulary: Vocabulary
) -> list[Figure]:
    figures = []
    for number, point in enumerate(_points(body, where), start=1):
        at = f"{where}, data point {number}"
        figures.append(_figure(field, point, at, vocabulary))
    return figures


def _figure(field: str, point: Mapping[str, Any], at: str, vocabulary: Vocabulary) -> Figure:
    start, end = _whole(point, "start", at), _whole(point, "end", at)
    if end <= start:
        raise UsageError(f"{at}: end {end} is not after start {start}")
    if field == PRICING:
        spelling = point.get("pricing_category")
        type_spelling = point.get("pricing_type")
        types = vocabulary.analytics_type
        volume_key = "volume"
    else:
        # Before June 2023 the two categories were the conversation's direction.
        spelling = point.get("conversation_category") or point.get("conversation_direction")
        type_spelling = point.get("conversation_type")
        types = vocabulary.conversation_analytics_type
        volume_key = "conversation"
    country = point.get("country")
    if not isinstance(country, str) or spelling is None or type_spelling is None:
        raise UsageError(f"{at}: needs the dimensions {NEEDED[field]} (request them)")
    category = vocabulary.analytics_category.get(str(spelling))
    if category is None:
        raise UsageError(f"{at}: category {spelling!r} is not one this project knows")
    pricing_type = types.get(str(type_spelling))
    if pricing_type is None:
        raise UsageError(f"{at}: type {type_spelling!r} is not one this project knows")
    if volume_key not in point or "cost" not in point:
        metrics = "COST and VOLUME" if field == PRICING else "COST and CONVERSATION"
        raise UsageError(f"{at}: needs {volume_key} and cost (request metric_types {metrics})")
    return Figure(
        start,
        end,
        country.upper(),
        category,
        pricing_type,
        str(spelling),
        _whole(point, volume_key, at),
        _money(point["cost"], at),
        str(point.get("phone_number", point.get("phone", ""))),
        str(point.get("tier", "")),
    )


def _whole(point: Mapping[str, Any], key: str, at: str) -> int:
    value = point.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageError(f"{at}: {key} must be a whole number, not {value!r:.40}")
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{at}: {key} must be a whole number, not {value!r:.40}") from None


def _money(value: Any, at: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UsageError(f"{at}: cost must be a number, not {value!r:.40}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise UsageError(f"{at}: cost must be a number, not {value!r:.40}") from None
    if not amount.is_finite():
        raise UsageError(f"{at}: cost must be a number, not {value!r:.40}")
    return amount
