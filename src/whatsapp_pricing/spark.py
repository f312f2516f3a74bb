"""Reconciling a provider's month on Apache Spark, with the same findings as one process.

Everything that decides which window or conversation a message belongs to depends on one
customer's lines in time order; only the engine's counters (:class:`~whatsapp_pricing.engine.
Counters`: the account's conversation ids, the free tier, the volume tiers) reach across
customers, and they set an id or a price, never a decision. So:

1. the log is read as text and each line parsed once, where it lies, into columns (with
   ``mapInArrow``): its items, the customer each names, and the latest time before it in its
   stretch of the log; the driver learns only how many lines each stretch has, the latest
   times in it, and the few items that name no customer (broken lines, category changes);
2. *pass 1* deals the customers into buckets (names that lines link, and the statuses of one
   message, are one customer) and runs the project's own :class:`~whatsapp_pricing.reconcile.
   Accounts` once per bucket, in log order, told each item's place and the clocks of the whole
   log before it. The counters hand out placeholders: a conversation's id is a token, and a
   free tier's count is taken to be past the allowance. Each count is noted;
3. *pass 2* ranks the counts with a window function, by account and key, in time and log order,
   which is the order in which the engine of a whole run meets them, and patches the findings:
   a token becomes the conversation's id. Only a customer with a count whose position changes
   the price (inside a free tier, or a volume tier's count that differs) is run again, with the
   positions, which then gives exactly what the run over the whole log gives.

Imported only for ``--spark``: the single-process run needs neither Spark nor Java.
"""

from __future__ import annotations

import contextlib
import copyreg
import gc
import io
import itertools
import json
import math
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import unquote

import msgspec
import pyarrow  # type: ignore[import-untyped]
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as f
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from whatsapp_pricing import spark_classes
from whatsapp_pricing.engine import CONVERSATIONS, Key, Tally
from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.markets import e164
from whatsapp_pricing.reconcile import (
    CLOCK_SKEW,
    Accounts,
    Finding,
    Place,
    ReconcileOptions,
)
from whatsapp_pricing.webhooks import (
    GZIP_MAGIC,
    UTF8_BOM,
    UTF16_BOMS,
    CategoryChange,
    Inbound,
    LogItem,
    Skipped,
    StatusUpdate,
    read_lines,
    renumbered,
)

ITEMS_PER_LINE = 1 << 20
"""An item's place in the log is its line times this, plus its position on the line."""
ITEMS_PER_TASK = 20_000
"""About how many lines one call of each pass reconciles: customers are dealt into buckets of
about this many (one call per customer would cost more than the rules do)."""


class Role:
    """What a row of the parsed log is (its ``role`` column)."""

    NAMED = 0
    """An item that names a customer: reconciled in the passes."""
    UNNAMED = 1
    """An item that names none (a broken line, a category change): read on the driver."""
    LINES = 2
    """A stretch's end: ``order`` is how many lines it had."""
    LATEST = 3
    """The latest time in the stretch of the counted lines of ``account`` ("" for all)."""


PARSED = StructType(
    [
        StructField("file", StringType()),
        StructField("block", LongType()),
        StructField("role", LongType()),
        StructField("order", LongType()),
        StructField("name", StringType()),
        StructField("account", StringType()),
        StructField("at", DoubleType()),
        StructField("clock", DoubleType()),
        StructField("account_clock", DoubleType()),
        StructField("links", ArrayType(StringType())),
        StructField("tokens", BooleanType()),
        StructField("item", BinaryType()),
    ]
)
"""The log parsed once: a stretch of it is a file's block (``file``, ``block``), in which
``order`` is an item's place and ``clock``, ``account_clock`` the latest times before it."""


class Kind:
    """What a row of pass 1's output is."""

    RESULT = 0
    CLAIM = 1


class Alike:
    """What a count's position changes (a claim's ``alike`` column, unless a free tier's
    allowance, after which every position prices alike)."""

    EVERY = -1
    """Any other position may price otherwise: run again unless the placeholder was right."""
    NAME = -2
    """A conversation's id: a name only, patched in the findings' words."""
    NONE = -3
    """Not a count: the customer's lines use words that look like a token; always run again."""


COUNTED = StructType(
    [
        StructField("kind", LongType()),
        StructField("bucket", LongType()),
        StructField("group", StringType()),
        StructField("order", LongType()),
        StructField("settled", BinaryType()),
        StructField("detail", StringType()),
        StructField("account", StringType()),
        StructField("key", StringType()),
        StructField("at", DoubleType()),
        StructField("provisional", LongType()),
        StructField("alike", LongType()),
    ]
)
SETTLED = StructType(
    [
        StructField("order", LongType()),
        StructField("settled", BinaryType()),
        StructField("detail", StringType()),
    ]
)
TOKEN = 9 * 10**17
"""Placeholder conversation ids are ``c`` and a number from here: 19 characters no id the
engine gives, and no word of the findings, has (a log whose lines have such words has its
customers run again)."""
TOKENS_PER_BUCKET = 10**9
"""Each bucket's tokens start this far apart, so that a token names one conversation in the
whole run (a bucket opens fewer conversations than this)."""
TOKENS = re.compile(r"\bc(9\d{17})\b")
RAW_TOKENS = re.compile(rb"c9\d{17}")


Changes = Sequence[tuple[int, CategoryChange]]
"""The log's template category changes of known accounts, with their places: every customer's
findings may depend on them, so every task is given them all."""


@dataclass
class SparkReconciliation:
    """What the run found, in log order as far as it has one."""

    settled: list[Finding | Skipped]
    category_changes: list[CategoryChange]


SUBMITTED = "submitted"
"""The master for a run started by ``spark-submit``, which chose the master and settings."""
LOCAL_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""The JVM of a local run: start-up is most of a small run, and the JVM mostly waits for the
Python workers, so it compiles with the quick compiler only and collects on one thread (and
maps the class archive :mod:`~whatsapp_pricing.spark_classes`, where ``make install`` built
one)."""


@dataclass(frozen=True)
class _Stretch:
    """What the driver learns of one stretch of the log (a file's block)."""

    lines: int
    latest: dict[str, float]
    """The latest time of its counted lines: in the log (key "") and per account (" " + id)."""


def session(master: str) -> SparkSession:
    """A Spark session on ``master``, whose Python workers run this interpreter (so they have
    this package) unless the cluster says otherwise."""
    # Spark starts its Python workers with this variable's interpreter ("python3" if unset).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("whatsapp-pricing reconcile")
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    if master == SUBMITTED:
        return builder.getOrCreate()  # spark-submit's master and settings, as given
    builder = builder.master(master)
    if master.startswith("local"):
        # One machine: a shuffle partition a core, not the cluster default of 200 (each is a
        # task that starts a Python worker's function).
        builder = builder.config("spark.sql.shuffle.partitions", str(_local_cores(master)))
        java = f"{LOCAL_JVM} {spark_classes.java_options()}".strip()
        builder = builder.config("spark.driver.extraJavaOptions", java)
        # The findings come to the driver, which writes them: no cap on what the tasks send.
        builder = builder.config("spark.driver.maxResultSize", "0")
    builder = builder.config("spark.ui.enabled", "false")  # no web UI to serve while it runs
    return builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()


def _local_cores(master: str) -> int:
    """The cores of ``local``, ``local[N]``, ``local[*]`` (or ``local[N,F]``)."""
    cores = master.removeprefix("local").strip("[]").split(",")[0] or "1"
    return os.cpu_count() or 1 if cores == "*" else int(cores)


def reconcile_on_spark(
    spark: SparkSession,
    paths: Sequence[str],
    options: ReconcileOptions,
    items_per_task: int = ITEMS_PER_TASK,
) -> SparkReconciliation:
    """Reconciles the logs at ``paths`` (JSON Lines, plain or gzip), read one after another;
    customers are dealt into buckets of about ``items_per_task`` lines."""
    for path in paths:
        _check_format(path)
    text = spark.read.text(list(paths)).select(
        f.col("value").cast("binary").alias("value"),
        f.col("_metadata.file_path").alias("file"),
        f.col("_metadata.file_block_start").alias("block"),
    )
    parsed = text.mapInArrow(_parsing(options), PARSED).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _reconcile(parsed, paths, options, items_per_task)
    finally:
        parsed.unpersist()


def _reconcile(
    parsed: DataFrame, paths: Sequence[str], options: ReconcileOptions, items_per_task: int
) -> SparkReconciliation:
    # One look at the parsed log: each stretch's lines and latest times, and the few items
    # that concern no customer (broken lines, category changes), read where they stand.
    unnamed = parsed.where(f.col("role") != Role.NAMED).drop("links", "name").toArrow()
    stretches, unnamed_items = _stretches(unnamed)
    places = _places(stretches, paths)
    whole = Accounts(options, lambda account: Tally())
    early: list[Finding | Skipped] = []
    changes = []
    for stretch, local, blob in unnamed_items:
        order, item = _moved(local, pickle.loads(blob), places[stretch][0])
        early += whole.add(item, Place(order))
        if isinstance(item, CategoryChange) and options.knows(item.account):
            changes.append((order, item))
    lines = sum(stretch.lines for stretch in stretches.values())
    buckets = max(1, lines // items_per_task)
    # A shuffle partition a bucket at least, which adaptive execution merges up to its target
    # size: one partition per core would make a task of a large log's whole findings, which
    # the driver then receives in one piece.
    spark = parsed.sparkSession
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions") or 1)
    spark.conf.set("spark.sql.shuffle.partitions", str(max(partitions, buckets)))
    named = parsed.where(f.col("role") == Role.NAMED)
    items = _grouped(named).withColumn(
        "bucket", f.pmod(f.hash("group"), f.lit(buckets)).cast("long")
    )
    counted = (
        items.groupBy("bucket")
        .applyInArrow(_counting(options, changes, places), COUNTED)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        found = _settled(items, counted, options, changes, places)
    finally:
        counted.unpersist()
    return SparkReconciliation(early + found, whole.category_changes)


def _settled(
    items: DataFrame,
    counted: DataFrame,
    options: ReconcileOptions,
    changes: Changes,
    places: Places,
) -> list[Finding | Skipped]:
    """Pass 2: the counts ranked; the findings, with their conversations' ids in place of the
    tokens, but for the customers whose positions change a price, which run again with the
    positions. In log order (put so here, not with an ``orderBy``, for which Spark would
    sample, and so compute, the last stage once more)."""
    ranked = Window.partitionBy("account", "key").orderBy("at", "order")
    claims = counted.where(f.col("kind") == Kind.CLAIM)
    positioned = claims.withColumn("position", f.row_number().over(ranked))
    positioned = positioned.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        changed = (f.col("alike") == Alike.EVERY) | (f.col("position") <= f.col("alike"))
        again = (
            positioned.where(
                (f.col("alike") == Alike.NONE)
                | ((f.col("position") != f.col("provisional")) & changed)
            )
            .select("bucket", "group")
            .distinct()
        )
        tokens = positioned.where(f.col("alike") == Alike.NAME).select("provisional", "position")
        named = tokens.toArrow()
        ids = dict(
            zip(
                map(str, named["provisional"].to_pylist()),
                (f"c{position}" for position in named["position"].to_pylist()),
                strict=True,
            )
        )
        run_again = {(row["bucket"], row["group"]) for row in again.toArrow().to_pylist()}
        reran = None
        if run_again:
            positions = positioned.join(again, ["bucket", "group"], "left_semi")
            reran = (
                items.join(again, ["bucket", "group"], "left_semi")
                .groupBy("bucket")
                .cogroup(positions.groupBy("bucket"))
                .applyInArrow(_running_again(options, changes, places), SETTLED)
                .toArrow()
            )
    finally:
        positioned.unpersist()
    results = counted.where(f.col("kind") == Kind.RESULT)
    kept = results.select("bucket", "group", "order", "settled", "detail").toArrow()

    def patched(match: re.Match[str]) -> str:
        return ids.get(match.group(1), match.group(0))

    rows: list[tuple[int, bytes, str | None]] = [
        (order, blob, None if detail is None else TOKENS.sub(patched, detail))
        for bucket, group, order, blob, detail in zip(
            *(kept.column(name).to_pylist() for name in kept.column_names), strict=True
        )
        if (bucket, group) not in run_again
    ]
    if reran is not None:
        rows += zip(*(reran.column(name).to_pylist() for name in reran.column_names), strict=True)
    return [_found(blob, detail) for _, blob, detail in sorted(rows, key=lambda row: row[0])]


def _found(blob: bytes, detail: str | None) -> Finding | Skipped:
    settled: Finding | Skipped = pickle.loads(blob)
    if detail is not None:
        assert isinstance(settled, Finding)
        settled.detail = detail
    return settled


def _check_format(path: str) -> None:
    """Spark reads a log line by line: a JSON array, or UTF-16, must be converted first."""
    if "://" in path:
        return  # a cluster's storage: not opened from here
    with open(path, "rb") as file:
        head = file.read(64)
    if head.startswith(GZIP_MAGIC) != path.endswith(".gz"):
        raise UsageError(
            f"{path}: Spark tells gzip by the name's .gz, which does not fit its bytes"
        )
    if head[:2] in UTF16_BOMS or head.removeprefix(UTF8_BOM).lstrip().startswith(b"["):
        raise UsageError(
            f"{path}: with --spark a log must be JSON Lines in UTF-8 (one notification a line)"
        )


Stretch = tuple[str, int]
"""A stretch of the log: a file (as Spark names it) and the start of its block."""


def _parsing(
    options: ReconcileOptions,
) -> Callable[[Iterable[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]:
    def parsing(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        rows: list[tuple[Any, ...]] = []
        for stretch, lines in _stretches_of(batches):
            rows += _parsed(stretch, lines, options)
            if len(rows) >= 10_000:
                yield _batch(rows, PARSED)
                rows = []
        yield _batch(rows, PARSED)

    return parsing


def _stretches_of(
    batches: Iterable[pyarrow.RecordBatch],
) -> Iterator[tuple[Stretch, Iterator[bytes]]]:
    """A partition's lines, stretch by stretch (a partition may hold several files' blocks)."""
    rows = (
        row
        for batch in batches
        for row in zip(
            batch.column(0).to_pylist(),
            batch.column(1).to_pylist(),
            batch.column(2).to_pylist(),
            strict=True,
        )
    )
    for stretch, lines in itertools.groupby(rows, key=lambda row: (row[1], row[2])):
        yield stretch, (line for line, _, _ in lines)


def _parsed(
    stretch: Stretch, lines: Iterator[bytes], options: ReconcileOptions
) -> Iterator[tuple[Any, ...]]:
    """One stretch's rows (:data:`PARSED`): each item, with the latest times before it."""
    file, block = stretch
    latest: dict[str, float] = {}
    linked: set[tuple[str, str]] = set()
    """The links already given in the stretch: each once is enough to join names."""
    number = 0
    for number, text in enumerate(lines, start=1):
        tokens = RAW_TOKENS.search(text) is not None
        for position, item in enumerate(read_lines([text.removeprefix(UTF8_BOM)])):
            item = renumbered(item, number)
            order = number * ITEMS_PER_LINE + position
            if not isinstance(item, Inbound | StatusUpdate):
                yield file, block, Role.UNNAMED, order, None, None, None, None, None, None, \
                    None, _dumps(item)  # fmt: skip
                continue
            account = " " + item.account
            clock, account_clock = latest.get("", -math.inf), latest.get(account, -math.inf)
            name = e164(item.customer)
            links = [link for link in _links(item) if (link, name) not in linked]
            linked.update((link, name) for link in links)
            yield file, block, Role.NAMED, order, name, item.account, item.at, clock, \
                account_clock, links, tokens, _dumps(item)  # fmt: skip
            if _counted(item, options):
                latest[""] = max(clock, item.at)
                latest[account] = max(account_clock, item.at)
    yield file, block, Role.LINES, number, None, None, None, None, None, None, None, None
    for account, at in latest.items():
        yield file, block, Role.LATEST, 0, None, account, at, None, None, None, None, None


def _stretches(
    unnamed: pyarrow.Table,
) -> tuple[dict[Stretch, _Stretch], list[tuple[Stretch, int, bytes]]]:
    """Each stretch's lines and latest times; the items that name no customer."""
    columns = ("file", "block", "role", "order", "account", "at", "item")
    lines: dict[Stretch, int] = {}
    latest: dict[Stretch, dict[str, float]] = {}
    items = []
    for file, block, role, order, account, at, item in zip(
        *(unnamed.column(name).to_pylist() for name in columns), strict=True
    ):
        stretch = (file, block)
        if role == Role.LINES:
            lines[stretch] = order
        elif role == Role.LATEST:
            latest.setdefault(stretch, {})[account] = at
        else:
            items.append((stretch, order, item))
    stretches = {each: _Stretch(count, latest.get(each, {})) for each, count in lines.items()}
    return stretches, items


Places = Mapping[Stretch, tuple[int, dict[str, float]]]
"""Each stretch's lines before it in the whole log, and the latest times before it."""


def _places(stretches: Mapping[Stretch, _Stretch], paths: Sequence[str]) -> Places:
    """Each stretch's place: the logs in the order given (a folder's files by name), each
    file's blocks in order."""
    sources = [_uri(path).rstrip("/") for path in paths]

    def source(stretch: Stretch) -> tuple[int, str, int]:
        file = unquote(stretch[0])
        given = (i for i, s in enumerate(sources) if file == s or file.startswith(s + "/"))
        return next(given, len(sources)), file, stretch[1]

    places: dict[Stretch, tuple[int, dict[str, float]]] = {}
    lines, running = 0, dict[str, float]()
    for stretch in sorted(stretches, key=source):
        places[stretch] = (lines, dict(running))
        lines += stretches[stretch].lines
        for key, at in stretches[stretch].latest.items():
            running[key] = max(running.get(key, -math.inf), at)
    return places


def _uri(path: str) -> str:
    """A path as Spark names the files under it (unquoted): ``file:/...`` for a local one."""
    if "://" in path or path.startswith("file:"):
        return unquote(path)
    return "file:" + os.path.abspath(path)


def _moved(order: int, item: LogItem, start: int) -> tuple[int, LogItem]:
    """An item's place and line in the whole log, from those in its stretch."""
    return order + start * ITEMS_PER_LINE, renumbered(item, item.line + start)


def _links(item: Inbound | StatusUpdate) -> list[str]:
    names = {e164(item.customer), item.user_id, item.parent_user_id}
    if isinstance(item, StatusUpdate):
        names.add(f"message {item.account} {item.message}")
    return sorted(name for name in names if name)


def _grouped(named: DataFrame) -> DataFrame:
    """The named items with their customer's group: names a line links, and the statuses of
    one message, are one customer's (over-joining costs time, never correctness)."""
    linked = named.select(f.explode("links").alias("link"), "name").distinct()
    shared = (
        linked.groupBy("link")
        .agg(f.collect_set("name").alias("names"))
        .where(f.size("names") > 1)
        .select("names")
        .toArrow()
    )
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.get(name, name) != name:
            parent[name] = parent.get(parent[name], parent[name])
            name = parent[name]
        return name

    for names in shared.column("names").to_pylist():
        names = sorted(names)
        first = root(names[0])
        for other in names[1:]:
            parent[root(other)] = first
    if not parent:
        return named.withColumn("group", f.col("name"))
    roots = named.sparkSession.createDataFrame(
        [(name, root(name)) for name in parent], "name string, root string"
    )
    joined = named.join(f.broadcast(roots), "name", "left")
    return joined.withColumn("group", f.coalesce("root", "name")).drop("root")


def _counted(item: LogItem, options: ReconcileOptions) -> TypeGuard[Inbound | StatusUpdate]:
    """Whether an item moves the clocks: a named line of a known account, not in the future."""
    return (
        isinstance(item, Inbound | StatusUpdate)
        and options.knows(item.account)
        and item.at <= options.now + CLOCK_SKEW
    )


Claim = tuple[str, str, float, int, int, int]
"""A count: account, key, time, place, the placeholder given, and what the position changes
(:class:`Alike`, or a free tier's allowance)."""


class _Claims(Tally):
    """Counts with placeholders, and notes each count for pass 2: a conversation's id is a
    token, a free tier's count is past the allowance, any other count is the bucket's own."""

    def __init__(self, account: str, claims: list[Claim], tokens: Iterator[int]) -> None:
        super().__init__()
        self._account, self._claims, self._tokens = account, claims, tokens

    def next(self, key: Key, at: float, order: int, free: int | None = None) -> int:
        if key == CONVERSATIONS:
            number, alike = next(self._tokens), Alike.NAME
        elif free is not None:
            number, alike = free + 1, free
        else:
            number, alike = super().next(key, at, order), Alike.EVERY
        self._claims.append((self._account, _key(key), at, order, number, alike))
        return number


class _Positions(Tally):
    """The positions pass 2 ranked, for the events of one bucket's account."""

    def __init__(self, account: str, positions: Mapping[tuple[str, str, int], int]) -> None:
        super().__init__()
        self._account, self._positions = account, positions

    def next(self, key: Key, at: float, order: int, free: int | None = None) -> int:
        return self._positions[self._account, _key(key), order]


def _key(key: Key) -> str:
    return json.dumps(key, default=str)


@dataclass(frozen=True)
class _Item:
    """A named item of a bucket, at its place in the whole log."""

    group: str
    place: Place
    item: Inbound | StatusUpdate
    tokens: bool


def _items(bucket: pyarrow.Table, places: Places) -> list[_Item]:
    """The bucket's items at their places in the whole log."""
    columns = ("group", "file", "block", "order", "clock", "account_clock", "account",
               "tokens", "item")  # fmt: skip
    items = []
    for group, file, block, local, clock, account_clock, account, tokens, blob in zip(
        *(bucket.column(name).to_pylist() for name in columns), strict=True
    ):
        start, before = places[file, block]
        order, item = _moved(local, pickle.loads(blob), start)
        assert isinstance(item, Inbound | StatusUpdate)
        clock = max(clock, before.get("", -math.inf))
        account_clock = max(account_clock, before.get(" " + account, -math.inf))
        items.append(_Item(group, Place(order, clock, account_clock), item, tokens))
    return items


def _run(
    items: list[_Item],
    options: ReconcileOptions,
    changes: Changes,
    counters: Callable[[str], Tally],
) -> Iterator[tuple[str, int, Finding | Skipped]]:
    """The project's reconciler over one bucket's items in log order, with the category changes
    among them; each result with its customer's group and the place of the item that settled
    it.

    One reconciler takes the whole bucket: it keeps each customer apart as the run over the
    whole log does, and starting one per customer would cost more than the rules."""
    reconciler = Accounts(options, counters)
    accounts = {each.item.account for each in items}
    message_groups = {
        (each.item.account, each.item.message): each.group
        for each in items
        if isinstance(each.item, StatusUpdate)
    }
    placed: list[tuple[int, Place, LogItem, str]] = [
        (each.place.order, each.place, each.item, each.group) for each in items
    ]
    placed += [(order, Place(order), change, "") for order, change in changes
               if change.account in accounts]  # fmt: skip
    order = 0
    for order, place, item, group in sorted(placed, key=lambda entry: entry[0]):
        results = reconciler.add(item, place)
        if not isinstance(item, CategoryChange):  # a change's own verdict is the driver's
            yield from ((_group(each, group, message_groups), order, each) for each in results)
    for settled in reconciler.finish():
        yield _group(settled, "", message_groups), order, settled


def _group(settled: Finding | Skipped, group: str, groups: Mapping[tuple[str, str], str]) -> str:
    """The group a result is of: a finding's message's; a skipped line is the item's own."""
    if isinstance(settled, Finding):
        return groups[settled.account, settled.message]
    return group


def _results(
    results: Iterable[tuple[str, int, Finding | Skipped]],
) -> Iterator[tuple[str, int, bytes, str | None]]:
    """Each result pickled, with a finding's words apart (pass 2 patches them)."""
    for group, order, settled in results:
        detail = None
        if isinstance(settled, Finding):
            detail, settled.detail = settled.detail, ""
        yield group, order, _dumps(settled), detail


def _counting(
    options: ReconcileOptions, changes: Changes, places: Places
) -> Callable[[pyarrow.Table], pyarrow.Table]:
    def counting(bucket: pyarrow.Table) -> pyarrow.Table:
        with _no_cycle_collection():
            return _counted_bucket(bucket, options, changes, places)

    return counting


def _counted_bucket(
    bucket: pyarrow.Table, options: ReconcileOptions, changes: Changes, places: Places
) -> pyarrow.Table:
    number = bucket.column("bucket")[0].as_py()
    items = _items(bucket, places)
    claims: list[Claim] = []
    tokens = itertools.count(TOKEN + number * TOKENS_PER_BUCKET + 1)
    groups = {each.place.order: each.group for each in items}
    results = _run(items, options, changes, lambda account: _Claims(account, claims, tokens))
    rows: list[tuple[Any, ...]] = [
        (Kind.RESULT, number, group, order, blob, detail, None, None, None, None, None)
        for group, order, blob, detail in _results(results)
    ]
    rows += [(Kind.CLAIM, number, groups[order], order, None, None, account, key, at,
              provisional, alike)
             for account, key, at, order, provisional, alike in claims]  # fmt: skip
    rows += [(Kind.CLAIM, number, each.group, each.place.order, None, None, None, None, None,
              None, Alike.NONE)
             for each in items if each.tokens]  # fmt: skip
    return _table(rows, COUNTED)


def _running_again(
    options: ReconcileOptions, changes: Changes, places: Places
) -> Callable[[pyarrow.Table, pyarrow.Table], pyarrow.Table]:
    def running_again(bucket: pyarrow.Table, positioned: pyarrow.Table) -> pyarrow.Table:
        """The customers of a bucket whose counts change a price, run with the positions."""
        with _no_cycle_collection():
            columns = ("account", "key", "order", "position")
            rows = zip(*(positioned.column(name).to_pylist() for name in columns), strict=True)
            positions = {(account, key, order): position for account, key, order, position in rows}
            counters = lambda account: _Positions(account, positions)  # noqa: E731
            ran = _results(_run(_items(bucket, places), options, changes, counters))
            return _table([(order, blob, detail) for _, order, blob, detail in ran], SETTLED)

    return running_again


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A bucket's items, results and counts are all alive until its call ends: Python's cycle
    collector would walk them again and again (a third of pass 1's time) and find nothing to
    free, so it waits until the call is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _unset() -> Any:
    return msgspec.UNSET


_PICKLED = copyreg.dispatch_table | {type(msgspec.UNSET): lambda _: (_unset, ())}
"""How items are pickled: msgspec's ``UNSET`` by a function of this module, since pickle would
otherwise look for its name in every module loaded (some 75 us an item, 13 times the rest)."""


def _dumps(value: object) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _PICKLED
    pickler.dump(value)
    return buffer.getvalue()


def _table(rows: Sequence[tuple[Any, ...]], schema: StructType) -> pyarrow.Table:
    """An Arrow table of ``rows`` with the Spark ``schema``, as the Arrow functions return."""
    return pyarrow.Table.from_batches([_batch(rows, schema)])


def _batch(rows: Sequence[tuple[Any, ...]], schema: StructType) -> pyarrow.RecordBatch:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) or [() for _ in schema]
    return pyarrow.RecordBatch.from_arrays(
        [pyarrow.array(column, _ARROW[field.dataType.simpleString()])
         for column, field in zip(columns, schema, strict=True)],
        names=[field.name for field in schema],
    )  # fmt: skip


_ARROW = {
    "bigint": pyarrow.int64(),
    "double": pyarrow.float64(),
    "string": pyarrow.string(),
    "binary": pyarrow.binary(),
    "boolean": pyarrow.bool_(),
    "array<string>": pyarrow.list_(pyarrow.string()),
}
