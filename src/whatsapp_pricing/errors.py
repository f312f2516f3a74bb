"""One exception hierarchy: everything the package refuses is a :class:`PricingError`.

Each error's message is one line that says what is wrong and where (the event and field, the
line of a file, the fence on a page), so that the command line can show it as it is and a
caller can catch the whole family with one ``except PricingError`` (or ``except ValueError``).
"""

from __future__ import annotations

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
