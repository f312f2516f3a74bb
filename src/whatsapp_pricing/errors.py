"""One exception hierarchy: everything the package refuses is a :class:`PricingError`.

Each error's message is one line that says what is wrong and where (the event and field, the
line of a file, the fence on a page), so that the command line can show it as it is and a
caller can catch the whole family with one ``except PricingError`` (or ``except ValueError``).
"""

from __future__ import annotations

import json
from typing import Self

from pydantic_core import ErrorDetails

from whatsapp_pricing.vocabulary import VOCABULARY

EVENT_TYPES = VOCABULARY.event_types


class PricingError(ValueError):
    """Input the rules cannot be applied to; the message is one line naming what and where."""

    @classmethod
    def from_problems(cls, problems: list[ErrorDetails], *, offset: int = 0) -> Self:
        """The error for pydantic's problems: the first one named, and how many more there are.

        ``offset`` is the position of the first event of a chunk validated on its own.
        """
        line = _describe(problems[0], offset)
        if len(problems) > 1:
            line += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        return cls(line)


class InvalidTimeline(PricingError):
    """A timeline that cannot be priced: bad JSON, an unknown field, an impossible value."""


class UnsupportedPeriod(InvalidTimeline):
    """An event falls on a date whose pricing rules are not modelled."""


class RateCardError(PricingError):
    """A rate card that cannot be read; the message names the line at fault."""


class UsageError(PricingError):
    """A command given something it cannot use: a missing file, a bad option, a bad record."""


def _describe(problem: ErrorDetails, offset: int) -> str:
    location = problem["loc"]
    if location and isinstance(location[0], int):  # validated as a chunk of the events
        location = ("events", location[0] + offset, *location[1:])
    where = _location(location)
    kind = problem["type"]
    if kind == "json_invalid":
        return f"the timeline is not valid JSON: {problem['ctx']['error']}"
    if kind == "recursion_loop":
        return f"{where or 'the timeline'}: nested too deeply to be a timeline"
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
        return (
            f"{where}: {problem['input']!r} is neither an E.164 number (+ and 7 to 15 digits) "
            "nor a business-scoped user id (a country code, a period and the id)"
        )
    if kind == "string_pattern_mismatch" and where.endswith(".max_price"):
        return (
            f"{where}: {problem['input']!r} is not a positive decimal number in a string, "
            'such as "40" or "12.5"'
        )
    if "failed" in location[:-1]:  # one of the union's members refused it
        where = _location(location[: location.index("failed") + 1])
        return (
            f"{where}: {problem['input']!r} is neither an error code (a whole number such as "
            '131049) nor "expired"'
        )
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


JSON_PROBLEMS = {
    "Expecting ',' delimiter": "a comma is missing between two items, or a quote or bracket "
    "before this point is",
    "Expecting ':' delimiter": "a colon is missing after the field's name",
    "Expecting property name enclosed in double quotes": "a field's name must be in double "
    "quotes, and JSON allows no comma before a closing brace",
    "Expecting value": "a value is missing here, or is not JSON (text takes double quotes; "
    "true, false and null are lower case; JSON allows no comma before a closing bracket)",
    "Extra data": "there is more after the end of the JSON: keep one document, or put one per line",
    "Unterminated string starting at": "a text opened here is never closed with a double quote",
    "Invalid control character at": "a line break or tab inside a text: JSON writes them "
    "\\n and \\t",
    "Invalid \\escape": "a backslash starts an escape JSON does not have: write \\\\ for one "
    "backslash",
}
"""What each of the standard library's JSON errors means, and what to do, in plain words."""
CLOSING = {"{": "}", "[": "]"}


def json_mistake(text: str, what: str) -> str:
    """Where a text stops being JSON (line and column, as an editor counts them) and what to do.

    msgspec, which reads timelines and logs, says only "Input data was truncated" or a byte
    offset; the standard library's error has the place, and the brackets still open say what an
    unfinished paste is missing.
    """
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"{what} is not valid JSON: {_json_problem(text, error)}"
    except RecursionError:
        return f"{what} is nested too deeply to be read"
    return f"{what} is not valid JSON"


def _json_problem(text: str, error: json.JSONDecodeError) -> str:
    where = f"line {error.lineno}, column {error.colno}"
    if not text.strip():
        return "it is empty"
    if text[error.pos :].strip():
        meaning = next(
            (said for start, said in JSON_PROBLEMS.items() if error.msg.startswith(start)),
            error.msg,
        )
        return f"at {where}, {meaning}"
    still_open = _open_brackets(text)
    if not still_open:
        return f"it stops at {where} before it is complete; paste the whole text again"
    bracket, line, column = still_open[-1]
    missing = "".join(CLOSING[opened] for opened, _, _ in reversed(still_open))
    return (
        f"it stops at {where} before it is complete: the {bracket} opened at line {line}, "
        f"column {column} is never closed ({missing} missing); add what is missing, or paste "
        "the whole text again"
    )


def _open_brackets(text: str) -> list[tuple[str, int, int]]:
    """The brackets still open at the end of a text, outside strings, with line and column."""
    still_open: list[tuple[str, int, int]] = []
    line, column, in_string, escaped = 1, 0, False, False
    for character in text:
        column += 1
        if character == "\n":
            line, column = line + 1, 0
        elif in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in CLOSING:
            still_open.append((character, line, column))
        elif character in "]}" and still_open:
            still_open.pop()
    return still_open


def missing_closers(text: str) -> str:
    """The brackets a text cut short still needs, innermost first (``"}]}"``); empty when every
    bracket it opens is closed."""
    return "".join(CLOSING[opened] for opened, _, _ in reversed(_open_brackets(text)))
