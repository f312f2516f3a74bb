"""The command line: ``whatsapp-pricing simulate TIMELINE.json`` and ``reconcile LOG``.

Bad input never ends in a traceback: it exits with status 2 and one line on standard error that
names the event and field at fault, so support staff can fix the file and try again.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, NoReturn, Protocol

from pydantic import ValidationError
from rich.console import Console
from rich.progress import wrap_file
from rich.table import Table

from whatsapp_pricing.domain import Account, Verdict
from whatsapp_pricing.engine import HOUR
from whatsapp_pricing.errors import PricingError, RateCardError, UsageError
from whatsapp_pricing.periods import REPORTED_FREE_SERVICE
from whatsapp_pricing.rate_cards import RateBook, RateCard, parse_rate_card, shipped_rate_book
from whatsapp_pricing.reconcile import (
    DEFAULT_WINDOW,
    Accounts,
    ErrorCode,
    Finding,
    ReconcileOptions,
    Summary,
    read_sent,
    statement,
)
from whatsapp_pricing.reconcile.analytics import read_analytics
from whatsapp_pricing.reconcile.bill import Bill, Comparison
from whatsapp_pricing.simulation import notices_for, price, verdict_from
from whatsapp_pricing.timeline_io import read_timeline, write_verdict
from whatsapp_pricing.vocabulary import VOCABULARY
from whatsapp_pricing.webhooks import CategoryChange, Skipped, read_logs

PROGRAM = "whatsapp-pricing"
DISTRIBUTION = "whatsapp-pricing"
"""The installed package whose version ``--version`` reports."""
BAD_INPUT = 2


def run() -> NoReturn:
    """The installed command: :func:`main`, then the process's exit.

    Everything a run kept to its end (a cache of every customer it met, among others) is frozen
    first (:func:`gc.freeze`): the interpreter's last collections at exit would otherwise walk
    it all to free nothing the exit does not, a few percent of a big log's run.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    arguments, unknown = _parser().parse_known_args(argv)
    if unknown:
        # Said by the command's own parser, whose help lists the options it does take.
        arguments.command_parser.error(f"unknown arguments: {' '.join(unknown)}")
    # A run over millions of acyclic objects: the cycle collector would only rescan them again
    # and again (a quarter to a third of the run time on a big file), and finds nothing to free.
    gc.disable()
    try:
        return _reconcile(arguments) if arguments.command == "reconcile" else _simulate(arguments)
    except PricingError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:
        # Whoever read the output stopped reading (``| head``): nothing is wrong with the input.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        gc.enable()


class _Parser(argparse.ArgumentParser):
    """argparse, saying a usage mistake in one line like every other error, and exiting 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM,
        description="Prices WhatsApp Business messages under Meta's rules, and checks the "
        "charges in a webhook log against them.",
        epilog=f"Run {PROGRAM} simulate --help or {PROGRAM} reconcile --help for what each reads.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {metadata.version(DISTRIBUTION)}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    simulate_command = commands.add_parser(
        "simulate",
        help="price a timeline and explain every message",
        description="Prints the verdict for a timeline as JSON: for each business message, the "
        "conversation it opened or joined, what it cost and why. The timeline format and every "
        "field of the verdict are described in docs/timeline-format.md (the site's page "
        "'The timeline format'), with their JSON schemas.",
    )
    simulate_command.set_defaults(command_parser=simulate_command)
    simulate_command.add_argument("timeline", help="the timeline's JSON file, or - for stdin")
    simulate_command.add_argument(
        "--table", action="store_true", help="print readable tables instead of JSON"
    )
    _add_rate_card_option(simulate_command)
    reconcile_command = commands.add_parser(
        "reconcile",
        help="check a webhook log's charges against the rules",
        description=(
            "Reads Meta's webhook notifications (one per line, or a JSON array), rebuilds the "
            "timeline, and compares what Meta reported for each message with what the rules "
            "predict. Exits 0 when everything agrees and every line was usable, 1 otherwise. "
            "What it compares: docs/webhook-log.md (the site's page 'Check your charges')."
        ),
    )
    reconcile_command.set_defaults(command_parser=reconcile_command)
    reconcile_command.add_argument(
        "log",
        nargs="+",
        help="the webhook log, or - for stdin; several logs, or a folder of them, are read one "
        "after another (lines numbered on)",
    )
    reconcile_command.add_argument(
        "--time-zone",
        help="the WhatsApp Business Account's time zone (IANA), for every account in the log",
    )
    reconcile_command.add_argument(
        "--accounts",
        metavar="CSV",
        help="each account's settings instead (columns waba_id, time_zone and optionally "
        "currency): a provider's log of many accounts",
    )
    reconcile_command.add_argument(
        "--currency", type=str.upper, default="USD", help="the rate card currency"
    )
    reconcile_command.add_argument(
        "--window",
        type=float,
        default=DEFAULT_WINDOW / HOUR,
        metavar="HOURS",
        help="how late (in hours) a line may arrive after later ones and still be placed "
        "in time order (default %(default)g)",
    )
    reconcile_command.add_argument(
        "--sent",
        metavar="CSV",
        help="your record of templates sent (columns message_id, template, and optionally "
        "category), to flag messages Meta billed at another category",
    )
    reconcile_command.add_argument(
        "--unconfirmed-free-service-messages",
        action="store_true",
        help=f"apply the {REPORTED_FREE_SERVICE.reported_free_service_messages:,} free service "
        "messages a month that some providers report per business number from "
        f"{REPORTED_FREE_SERVICE.starts} (Meta has not confirmed them)",
    )
    _add_rate_card_option(reconcile_command)
    reconcile_command.add_argument(
        "--spark",
        metavar="MASTER",
        help="run on Apache Spark at this master URL, such as local[4] or yarn, or 'submitted' "
        "for the master spark-submit gives (same findings; needs pip install "
        "whatsapp-pricing[spark] and Java)",
    )
    reconcile_command.add_argument(
        "--analytics",
        action="append",
        default=[],
        metavar="FILE",
        help="what Meta's Graph API returned for the account's pricing_analytics (or "
        "conversation_analytics): compare Meta's billed volume and cost with the rules', bucket "
        "by bucket (repeatable: one file per account, matched by its id)",
    )
    reconcile_command.add_argument(
        "--json",
        metavar="FILE",
        help="write every finding as JSON (and, with --analytics, every bucket)",
    )
    reconcile_command.add_argument(
        "--csv",
        metavar="FILE",
        help="write every finding as CSV (with --analytics, every bucket to FILE's name with "
        ".analytics before its suffix)",
    )
    return parser


def _add_rate_card_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--rate-card",
        action="append",
        default=[],
        metavar="CSV",
        help="a rate card to use as well, such as Meta's official CSV (repeatable)",
    )


def _rate_book(arguments: argparse.Namespace) -> RateBook:
    """The shipped rate cards, with any the user brought (which win on their days)."""
    book = shipped_rate_book()
    if arguments.rate_card:
        book = book.with_cards(_read_rate_card(path) for path in arguments.rate_card)
    return book


def _reconcile(arguments: argparse.Namespace) -> int:
    unconfirmed = arguments.unconfirmed_free_service_messages
    if arguments.accounts:
        accounts = _read_accounts(arguments.accounts, unconfirmed)
    elif arguments.time_zone is None:
        raise UsageError("give the account's --time-zone, or --accounts for a log of many")
    else:
        accounts = None
    default = None
    if arguments.time_zone is not None:
        default = _account(arguments.time_zone, arguments.currency, unconfirmed)
    if not arguments.window > 0:
        raise UsageError(f"--window must be a positive number of hours, not {arguments.window:g}")
    sent = read_sent(_read_bytes(arguments.sent), arguments.sent) if arguments.sent else {}
    book = _rate_book(arguments)
    read = [default, *(accounts or {}).values()]
    _say_notices(n for account in read if account for n in notices_for(account, book))
    options = ReconcileOptions(
        account=default,
        accounts=accounts,
        rate_book=book,
        window=arguments.window * HOUR,
        sent=sent,
    )
    comparison = _comparison(arguments.analytics, options)
    paths = _log_paths(arguments.log)
    if arguments.spark:
        return _reconcile_on_spark(arguments, paths, options, comparison)
    reconciler = Accounts(options)
    with ExitStack() as stack:
        logs = [_open_log(path, stack) for path in paths]
        try:
            settled = reconciler.read(read_logs(logs))
            return _report(arguments, settled, reconciler.category_changes, comparison)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            # A read that fails, or a compressed or UTF-16 log cut short or corrupt.
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise UsageError(f"cannot read {' '.join(arguments.log)}: {reason}") from None


def _comparison(paths: list[str], options: ReconcileOptions) -> Comparison | None:
    """Meta's own figures to compare with, read before the log so bad ones stop the run early."""
    if not paths:
        return None
    vocabulary = options.rate_book.vocabulary if options.rate_book else VOCABULARY
    read = [each for path in paths for each in read_analytics(_read_bytes(path), path, vocabulary)]
    return Comparison(read, options, vocabulary)


def _report(
    arguments: argparse.Namespace,
    settled: Iterable[Finding | Skipped],
    category_changes: list[CategoryChange],
    comparison: Comparison | None = None,
) -> int:
    """Writes the findings as they settle and prints the summary; the exit status."""
    summary = Summary()
    bills: list[Bill] = []
    with ExitStack() as stack:
        writers = _finding_writers(arguments, stack)
        for each in settled:
            summary.take(each)
            if comparison is not None:
                comparison.take(each)
            for writer in writers:
                writer.write(each)
        codes = summary.error_codes.listed()
        if comparison is not None:
            bills = comparison.bills(category_changes)
            if arguments.csv:
                _write_bucket_csv(_sibling(arguments.csv), bills, stack)
        for writer in writers:
            writer.close(category_changes, codes, bills)
    _print_summary(summary, category_changes)
    for bill in bills:
        print("\n".join(statement.summary(bill)))
    differs = any(bill.differing for bill in bills)
    return 0 if summary.clean and not differs else 1


def _sibling(path: str) -> str:
    """Where the buckets' CSV goes: ``out.csv`` gives ``out.analytics.csv``."""
    file = Path(path)
    return str(file.with_name(f"{file.stem}.analytics{file.suffix or '.csv'}"))


def _write_bucket_csv(path: str, bills: list[Bill], stack: ExitStack) -> None:
    rows = csv.DictWriter(stack.enter_context(_complete_or_partial(path)), statement.COLUMNS)
    rows.writeheader()
    for bill in bills:
        rows.writerows(statement.row(bill, bucket) for bucket in bill.buckets)


def _say_notices(notices: Iterable[str]) -> None:
    """Prints, once each, what the accounts should know of the rate cards (an unknown
    currency), before the output they are about."""
    for notice in dict.fromkeys(notices):
        print(f"{PROGRAM}: notice: {notice}", file=sys.stderr)


def _reconcile_on_spark(
    arguments: argparse.Namespace,
    paths: list[str],
    options: ReconcileOptions,
    comparison: Comparison | None = None,
) -> int:
    if "-" in paths:
        raise UsageError("--spark reads files or folders, not standard input")
    try:
        from whatsapp_pricing import spark
    except ImportError:
        raise UsageError(
            "--spark needs Apache Spark: pip install 'whatsapp-pricing[spark]' (and a Java "
            "runtime, such as the package default-jre-headless)"
        ) from None
    result = spark.reconcile_on_spark(spark.session(arguments.spark, paths), paths, options)
    # The comparison is small: it runs here, on the driver, over the findings Spark settled.
    return _report(arguments, result.settled, result.category_changes, comparison)


def _log_paths(sources: list[str]) -> list[str]:
    """The logs to read, in order: a folder stands for its files, by name."""
    paths = []
    for source in sources:
        if os.path.isdir(source):
            folder = Path(source)
            files = sorted(
                p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
            )
            paths += [str(file) for file in files]
        else:
            paths.append(source)
    if "-" in paths and len(paths) > 1:
        raise UsageError("standard input (-) can only be the one log")
    return paths


def _account(time_zone: str, currency: str, unconfirmed: bool, where: str = "") -> Account:
    try:
        return Account(
            time_zone=time_zone,
            currency=currency,
            unconfirmed_free_service_messages=unconfirmed,
        )
    except ValidationError as error:
        problem = UsageError.from_problems(error.errors())
        raise UsageError(f"{where}{problem}") from None


def _read_accounts(path: str, unconfirmed: bool) -> dict[str, Account]:
    """A provider's accounts: ``waba_id,time_zone[,currency]``, one row each."""
    text = _read_bytes(path).decode("utf-8-sig", errors="replace")
    rows = csv.DictReader(text.splitlines())
    if not {"waba_id", "time_zone"} <= set(rows.fieldnames or ()):
        raise UsageError(f"{path}: needs the columns waba_id and time_zone (currency optional)")
    accounts = {}
    for number, row in enumerate(rows, start=2):
        waba_id = (row["waba_id"] or "").strip()
        if not waba_id:
            raise UsageError(f"{path}, line {number}: waba_id must not be empty")
        currency = (row.get("currency") or "USD").strip().upper()
        where = f"{path}, line {number}: "
        accounts[waba_id] = _account((row["time_zone"] or "").strip(), currency, unconfirmed, where)
    return accounts


def _open_log(source: str, stack: ExitStack) -> IO[bytes]:
    """The log as a binary stream, with a progress bar when a person is watching."""
    if source == "-":
        return sys.stdin.buffer
    try:
        file = stack.enter_context(open(source, "rb"))  # noqa: SIM115 (closed by the stack)
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror}") from None
    if not sys.stdout.isatty():
        return file
    size = os.fstat(file.fileno()).st_size
    return stack.enter_context(wrap_file(file, size, description="Reading the log", transient=True))


class _FindingWriter(Protocol):
    """Writes the detail of every finding (and skipped line) to a file as it settles."""

    def write(self, settled: Finding | Skipped) -> None: ...

    def close(
        self, category_changes: list[CategoryChange], codes: list[ErrorCode], bills: list[Bill]
    ) -> None: ...


class _CsvWriter:
    FIELDS = (
        "message",
        "outcome",
        "detail",
        "flag",
        "customer",
        "user_id",
        "account",
        "business_number",
    )

    def __init__(self, file: IO[str]) -> None:
        self._rows = csv.writer(file)
        self._rows.writerow(self.FIELDS)

    def write(self, settled: Finding | Skipped) -> None:
        if isinstance(settled, Skipped):
            outcome = "broken line" if settled.bad else "skipped line"
            blank = [""] * (len(self.FIELDS) - 3)
            self._rows.writerow([f"line {settled.line}", outcome, settled.why, *blank])
        else:
            self._rows.writerow([getattr(settled, name) for name in self.FIELDS])

    def close(
        self, category_changes: list[CategoryChange], codes: list[ErrorCode], bills: list[Bill]
    ) -> None:
        """Every finding's row is written as it settles; then one row for each of Meta's error
        codes, with how many messages carried it and its meaning. Category changes are in the
        summary, the analytics buckets in their own CSV."""
        blank = [""] * (len(self.FIELDS) - 3)
        for code in codes:
            described = f"{code.messages} failed message(s): {code.meaning}"
            self._rows.writerow([f"error {code.code}", "error code", described, *blank])


class _JsonWriter:
    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._file.write('{"findings": [')
        self._separator = "\n"
        self._skipped: list[Skipped] = []

    def write(self, settled: Finding | Skipped) -> None:
        if isinstance(settled, Skipped):
            self._skipped.append(settled)
            return
        self._file.write(self._separator + json.dumps(asdict(settled), default=str))
        self._separator = ",\n"

    def close(
        self, category_changes: list[CategoryChange], codes: list[ErrorCode], bills: list[Bill]
    ) -> None:
        rest: dict[str, object] = {
            "skipped": [skip._asdict() for skip in self._skipped],
            "category_changes": [change._asdict() for change in category_changes],
            "error_codes": [asdict(code) for code in codes],
        }
        if bills:
            rest["analytics"] = [
                statement.row(bill, bucket) for bill in bills for bucket in bill.buckets
            ]
        self._file.write("\n], " + json.dumps(rest, indent=2)[1:] + "\n")


def _finding_writers(arguments: argparse.Namespace, stack: ExitStack) -> list[_FindingWriter]:
    writers: list[_FindingWriter] = []
    for path, writer in ((arguments.json, _JsonWriter), (arguments.csv, _CsvWriter)):
        if path:
            writers.append(writer(stack.enter_context(_complete_or_partial(path))))
    return writers


@contextmanager
def _complete_or_partial(path: str) -> Iterator[IO[str]]:
    """A file written as ``PATH.partial`` and renamed to ``PATH`` only once the run succeeds.

    A run that stops with an error never leaves a file that looks complete: what it wrote so
    far stays in ``PATH.partial``, and ``PATH`` is not touched.
    """
    partial = f"{path}.partial"
    try:
        file = open(partial, "w", newline="", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    with file:
        yield file
    try:
        os.replace(partial, path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}; it is in {partial}") from None


def _print_summary(summary: Summary, category_changes: list[CategoryChange]) -> None:
    """What a reconciliation found, told on the console."""
    counts = ", ".join(f"{number} {outcome}" for outcome, number in summary.outcomes.items())
    print(f"messages: {sum(summary.outcomes.values())} ({counts})")
    billable = sum(cost.billable for cost in summary.costs.by_category.values())
    print(f"Meta marked {billable} of them billable")
    print(f"lines skipped: {summary.skipped} ({summary.broken} broken)")
    if category_changes or summary.flagged:
        print(
            f"template category changes: {len(category_changes)}; messages billed at "
            f"another category than sent as: {summary.flagged}"
        )
    for change in category_changes:
        print(
            f"  {change.template} ({change.language}): {change.before} to {change.after} "
            f"from {datetime.fromtimestamp(change.at, UTC):%Y-%m-%d %H:%M} UTC "
            f"(line {change.line})"
        )
    heading = None
    for (account, currency, category), cost in sorted(summary.costs.by_category.items()):
        if (account, currency) != heading:
            heading = account, currency
            of = f" for account {account}" if account else ""
            print(f"what the rules charge{of}, by category ({currency}):")
        unpriced = f" ({cost.unpriced} unpriced)" if cost.unpriced else ""
        print(
            f"  {category}: {cost.messages} message{'' if cost.messages == 1 else 's'}, "
            f"{cost.amount} {currency}{unpriced}; "
            f"Meta marked {cost.billable} billable; {cost.disagreements} disagree "
            f"({cost.disagreeing_amount} {currency})"
        )
    codes = summary.error_codes.listed()
    if codes:
        print("error codes Meta reported on failed messages:")
    for code in codes:
        many = "" if code.messages == 1 else "s"
        print(f"  {code.code} ({code.messages} message{many}): {code.meaning}")
    if summary.unknown or summary.notes:
        # Without a heading of their own, these lines read as part of the list above them
        # (an account's categories, or Meta's error codes).
        print("worth a look:")
    for why, number in summary.unknown.most_common():
        print(f"  unknown ({number} message{'s' if number > 1 else ''}): {why}")
    for note in summary.notes:
        print(f"  {note}")
    if summary.hidden:
        print(f"  ... and {summary.hidden} more; --json or --csv writes them all")


def _simulate(arguments: argparse.Namespace) -> int:
    """The command line's door to the one pipeline: the rate book resolved once, the file read
    into events, then the pipeline's verdict printed as tables or written as JSON."""
    source: str = arguments.timeline
    book = _rate_book(arguments)
    account, events = read_timeline(
        sys.stdin.buffer.read() if source == "-" else _read_bytes(source)
    )
    pricing = price(account, events, book)
    _say_notices(pricing.notices)
    if arguments.table:
        _print_table(verdict_from(pricing))
    else:
        write_verdict(pricing, sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n")
    return 0


def _read_rate_card(path: str) -> RateCard:
    try:
        return parse_rate_card(_read_bytes(path).decode("utf-8-sig"), source=path)
    except (RateCardError, UnicodeDecodeError) as error:
        raise RateCardError(f"rate card {path}: {error}") from None


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _print_table(verdict: Verdict) -> None:
    console = Console()
    messages = Table(title="Messages", show_lines=True)
    # The rule code and period are what a support ticket quotes (the Rule codes page's anchors).
    for column in ("id", "status", "customer", "market", "conversation", "charge", "rule", "why"):
        messages.add_column(column, overflow="fold")
    for message in verdict.messages:
        joined = message.conversation
        messages.add_row(
            message.id,
            message.status,
            message.customer,
            message.market,
            f"{joined.id} ({joined.category})" if joined else "none",
            _money(message.charge.amount, message.charge.currency, message.charge.at_most),
            f"{message.rule}\n{message.period}",
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
    if verdict.conversations:  # none under per-message pricing: no empty table to puzzle over
        console.print(conversations)
    total = verdict.total
    console.print(f"Total: {_money(total.amount, total.currency, total.at_most)}")
    if total.unpriced_charges:
        console.print(
            f"{_count(total.unpriced_charges, 'charge')} without a sourced rate; the priced "
            f"ones add up to {total.priced_amount} {total.currency}."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _money(amount: object, currency: str, at_most: bool | None = None) -> str:
    """An amount as the table shows it; a max price's charge is an upper bound."""
    if amount is None:
        return "unpriced"
    return f"{'at most ' if at_most else ''}{amount} {currency}"


if __name__ == "__main__":
    run()
