"""The command line: ``whatsapp-pricing simulate TIMELINE.json``.

Bad input never ends in a traceback: it exits with status 2 and one line on standard error that
names the event and field at fault, so support staff can fix the file and try again.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import track
from rich.table import Table

from whatsapp_pricing.domain import Account, Verdict
from whatsapp_pricing.engine import verdict_of
from whatsapp_pricing.rate_cards import RateCard, RateCardError, parse_rate_card, shipped_rate_book
from whatsapp_pricing.reconcile import Reconciliation, reconcile
from whatsapp_pricing.timeline_io import InvalidTimeline, describe, read_timeline, write_verdict
from whatsapp_pricing.webhooks import read_log

PROGRAM = "whatsapp-pricing"
BAD_INPUT = 2


class BadInput(Exception):
    """Input the simulator cannot use; the message is the one line shown to the user."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "reconcile":
        try:
            return _reconcile(arguments)
        except BadInput as error:
            print(f"{PROGRAM}: error: {error}", file=sys.stderr)
            return BAD_INPUT
    # A short-lived run over millions of acyclic objects: the cycle collector would only rescan
    # them again and again (a third of the run time on a big file), and finds nothing to free.
    gc.disable()
    try:
        _simulate(arguments)
    except BadInput as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return BAD_INPUT
    finally:
        gc.enable()
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
    reconcile_command = commands.add_parser(
        "reconcile",
        help="check a webhook log's charges against the rules",
        description=(
            "Reads Meta's webhook notifications (one per line, or a JSON array), rebuilds the "
            "timeline, and compares what Meta reported for each message with what the rules "
            "predict. Exits 0 when everything agrees and every line was usable, 1 otherwise."
        ),
    )
    reconcile_command.add_argument("log", help="the webhook log, or - for stdin")
    reconcile_command.add_argument(
        "--time-zone", required=True, help="the WhatsApp Business Account's time zone (IANA)"
    )
    reconcile_command.add_argument("--currency", default="USD", help="the rate card currency")
    reconcile_command.add_argument("--json", metavar="FILE", help="write every finding as JSON")
    reconcile_command.add_argument("--csv", metavar="FILE", help="write every finding as CSV")
    return parser


def _reconcile(arguments: argparse.Namespace) -> int:
    try:
        account = Account(time_zone=arguments.time_zone, currency=arguments.currency)
    except ValidationError as error:
        raise BadInput(describe(error.errors())) from None
    source: str = arguments.log
    data = sys.stdin.buffer.read() if source == "-" else _read_bytes(source)
    text = data.decode("utf-8", errors="replace")
    progress = _progress_bar if sys.stdout.isatty() else iter
    result = reconcile(read_log(text, progress), account)
    rows = [asdict(finding) for finding in result.findings]
    if arguments.json:
        skipped = [asdict(skip) for skip in result.skipped]
        payload = {"findings": rows, "skipped": skipped}
        Path(arguments.json).write_text(json.dumps(payload, indent=2, default=str) + "\n")
    if arguments.csv:
        with open(arguments.csv, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=["message", "outcome", "detail"])
            writer.writeheader()
            writer.writerows({key: row[key] for key in writer.fieldnames} for row in rows)
    _print_summary(result)
    return 0 if result.clean else 1


def _progress_bar(lines: list[str]) -> Iterable[str]:
    return track(lines, description="Reading the log", transient=True)


def _print_summary(result: Reconciliation) -> None:
    counts = ", ".join(
        f"{result.count(outcome)} {outcome}"
        for outcome in ("agrees", "disagrees", "failed", "undelivered", "unknown")
    )
    broken = sum(skip.bad for skip in result.skipped)
    print(f"messages: {len(result.findings)} ({counts})")
    print(f"lines skipped: {len(result.skipped)} ({broken} broken)")
    for finding in result.findings:
        if finding.outcome not in ("agrees",):
            print(f"  {finding.message}: {finding.outcome}: {finding.detail}")
    for skip in result.skipped:
        print(f"  line {skip.line}: {skip.why}")


def _simulate(arguments: argparse.Namespace) -> None:
    source: str = arguments.timeline
    book = shipped_rate_book()
    if arguments.rate_card:
        book = book.with_cards(_read_rate_card(path) for path in arguments.rate_card)
    try:
        account, events = read_timeline(
            sys.stdin.buffer.read() if source == "-" else _read_bytes(source)
        )
    except InvalidTimeline as error:
        raise BadInput(str(error)) from None
    if arguments.table:
        _print_table(verdict_of(account, events, book))
    else:
        write_verdict(account, events, sys.stdout.buffer, book)
        sys.stdout.buffer.write(b"\n")


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
