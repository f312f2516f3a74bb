"""The command line: ``whatsapp-pricing simulate TIMELINE.json``.

Bad input never ends in a traceback: it exits with status 2 and one line on standard error that
names the event and field at fault, so support staff can fix the file and try again.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rich.console import Console
from rich.table import Table

from whatsapp_pricing.domain import Timeline, Verdict
from whatsapp_pricing.engine import simulate
from whatsapp_pricing.rate_cards import RateCard, RateCardError, parse_rate_card, shipped_rate_book

PROGRAM = "whatsapp-pricing"
BAD_INPUT = 2
EVENT_TYPES = {"customer_message", "template", "free_form"}


class BadInput(Exception):
    """Input the simulator cannot use; the message is the one line shown to the user."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        verdict = _simulate(arguments.timeline, arguments.rate_card)
    except BadInput as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return BAD_INPUT
    if arguments.table:
        _print_table(verdict)
    else:
        sys.stdout.write(verdict.model_dump_json(indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    simulate_command = commands.add_parser(
        "simulate",
        help="price a timeline and explain every message",
        description="Prints the verdict for a timeline (see the simulation contract) as JSON.",
    )
    simulate_command.add_argument("timeline", help="the timeline's JSON file, or - for stdin")
    simulate_command.add_argument(
        "--table", action="store_true", help="print readable tables instead of JSON"
    )
    simulate_command.add_argument(
        "--rate-card",
        action="append",
        default=[],
        metavar="CSV",
        help="a rate card to use as well, such as Meta's official CSV (repeatable)",
    )
    return parser


def _simulate(source: str, rate_cards: list[str]) -> Verdict:
    timeline = _read_timeline(source)
    book = shipped_rate_book()
    if rate_cards:
        book = book.with_cards(_read_rate_card(path) for path in rate_cards)
    try:
        return simulate(timeline, book)
    except ValueError as error:
        raise BadInput(str(error)) from None


def _read_timeline(source: str) -> Timeline:
    data = sys.stdin.buffer.read() if source == "-" else _read_bytes(source)
    try:
        return Timeline.model_validate_json(data)
    except ValidationError as error:
        raise BadInput(describe(error)) from None


def _read_rate_card(path: str) -> RateCard:
    try:
        return parse_rate_card(_read_bytes(path).decode("utf-8-sig"), source=path)
    except (RateCardError, UnicodeDecodeError) as error:
        raise BadInput(f"rate card {path}: {error}") from None


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None


def describe(error: ValidationError) -> str:
    """One line naming the first problem's event and field, and how many others there are."""
    problems = error.errors()
    line = _describe_one(problems[0])
    if len(problems) > 1:
        line += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return line


def _describe_one(problem: ErrorDetails) -> str:
    if problem["type"] == "json_invalid":
        return f"the timeline is not valid JSON: {problem['ctx']['error']}"
    where = _location(problem["loc"])
    if problem["type"] == "extra_forbidden":
        return f"{where}: unknown field"
    if problem["type"] == "union_tag_invalid":
        expected = ", ".join(sorted(EVENT_TYPES))
        return f"{where}.type: unknown event type {problem['ctx']['tag']!r} (expected {expected})"
    if problem["type"] == "missing":
        return f"{where}: required field is missing"
    if problem["type"] == "timezone_aware":
        return f"{where}: the timestamp {problem['input']!r} has no UTC offset"
    if problem["type"] == "string_pattern_mismatch" and where.endswith(".customer"):
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


def _print_table(verdict: Verdict) -> None:
    console = Console()
    messages = Table(title="Messages", show_lines=True)
    for column in ("id", "status", "customer", "market", "conversation", "charge", "why"):
        messages.add_column(column, overflow="fold")
    for message in verdict.messages:
        joined = message.conversation
        messages.add_row(
            message.id,
            message.status,
            message.customer,
            message.market,
            f"{joined.id} ({joined.category})" if joined else "none",
            _money(message.charge.amount, message.charge.currency),
            message.reason,
        )
    conversations = Table(title="Conversations")
    for column in ("id", "customer", "market", "category", "opened (UTC)", "ends (UTC)", "charge"):
        conversations.add_column(column)
    for conversation in verdict.conversations:
        conversations.add_row(
            conversation.id,
            conversation.customer,
            conversation.market,
            conversation.category,
            f"{conversation.opened_at:%Y-%m-%d %H:%M}",
            f"{conversation.expires_at:%Y-%m-%d %H:%M}",
            _money(conversation.charge.amount, conversation.charge.currency),
        )
    console.print(messages)
    console.print(conversations)
    total = verdict.total
    console.print(f"Total: {_money(total.amount, total.currency)}")
    if total.unpriced_charges:
        console.print(
            f"{total.unpriced_charges} charge(s) have no sourced rate; the priced ones add up "
            f"to {total.priced_amount} {total.currency}."
        )


def _money(amount: object, currency: str) -> str:
    return "unpriced" if amount is None else f"{amount} {currency}"


if __name__ == "__main__":
    sys.exit(main())
