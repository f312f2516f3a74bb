"""Reconciling a provider's month on Apache Spark, with the same findings as one process.

Everything that decides which window or conversation a message belongs to depends on one
customer's lines in time order; only the engine's counters (:class:`~whatsapp_pricing.engine.
Counters`: the account's conversation ids, the free tier, the volume tiers) reach across
customers, and they set an id or a price, never a decision. So:

1. every line is parsed where it lies and given its place in the log and the clocks of the
   lines before it (the latest time in the whole log and in its account), which is all a
   :class:`~whatsapp_pricing.reconcile.Reconciler` learns from other customers' lines;
2. *pass 1* groups the items by customer (names that lines link, and the statuses of one
   message, are one group) and runs the project's own :class:`~whatsapp_pricing.reconcile.
   Accounts` on each group in log order, counting with placeholders and noting each count;
3. *pass 2* ranks what was counted with window functions, by account and key, in time and log
   order, which is the order the engine of a whole run meets them in;
4. each group is run again with those positions: the engine then names and prices exactly as
   the run over the whole log, and its findings are the findings.

Imported only for ``--spark``: the single-process run needs neither Spark nor Java.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeGuard

import pyarrow  # type: ignore[import-untyped]
from pyspark import StorageLevel
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as f
from pyspark.sql.types import (
    BinaryType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from whatsapp_pricing.engine import Key, Tally
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
)

ITEMS_PER_LINE = 1 << 20
"""An item's place in the log is its line times this, plus its position on the line."""
ITEMS = StructType(
    [
        StructField("group", StringType()),
        StructField("order", LongType()),
        StructField("clock", DoubleType()),
        StructField("account_clock", DoubleType()),
        StructField("item", BinaryType()),
    ]
)
ITEMS_PER_TASK = 20_000
"""About how many items one task of each pass reconciles: customers are dealt into buckets of
about this many items (one Spark group per customer would cost more than the rules do)."""
CLAIMS = StructType(
    [
        StructField("bucket", LongType()),
        StructField("account", StringType()),
        StructField("key", StringType()),
        StructField("at", DoubleType()),
        StructField("order", LongType()),
    ]
)
POSITIONS = StructType([*CLAIMS.fields, StructField("position", LongType())])
SETTLED = StructType([StructField("order", LongType()), StructField("settled", BinaryType())])


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
    builder = builder.config("spark.ui.enabled", "false")  # no web UI to serve while it runs
    return builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()


def _local_cores(master: str) -> int:
    """The cores of ``local``, ``local[N]``, ``local[*]`` (or ``local[N,F]``)."""
    cores = master.removeprefix("local").strip("[]").split(",")[0] or "1"
    return os.cpu_count() or 1 if cores == "*" else int(cores)


def reconcile_on_spark(
    spark: SparkSession, paths: Sequence[str], options: ReconcileOptions
) -> SparkReconciliation:
    """Reconciles the logs at ``paths`` (JSON Lines, plain or gzip), read one after another."""
    for path in paths:
        _check_format(path)
    lines = spark.sparkContext.textFile(",".join(paths), use_unicode=False)
    # Lines as bytes (use_unicode=False), whatever pyspark's type hints say.
    parsed = lines.mapPartitionsWithIndex(_parse).persist(StorageLevel.MEMORY_AND_DISK)  # type: ignore[arg-type]
    try:
        return _reconcile(spark, parsed, options)
    finally:
        parsed.unpersist()


def _reconcile(spark: SparkSession, parsed: Any, options: ReconcileOptions) -> SparkReconciliation:
    # One look at every partition: its lines, clocks and what concerns no customer.
    parts = parsed.mapPartitions(lambda rows: [_summary(rows, options)]).collect()
    starts, clocks = _starts(parts)
    # What concerns no customer (broken lines, category changes) is read where it stands.
    whole = Accounts(options, lambda account: Tally())
    early: list[Finding | Skipped] = []
    changes = []
    for part, start in zip(parts, starts, strict=True):
        for order, item in part.unnamed:
            order, item = _moved(order, item, start)
            early += whole.add(item, Place(order))
            if isinstance(item, CategoryChange) and options.knows(item.account):
                changes.append((order, item))
    named = parsed.filter(lambda row: row.name is not None)
    groups = _groups(named)
    buckets = max(1, sum(part.named for part in parts) // ITEMS_PER_TASK)
    items = (
        spark.createDataFrame(
            named.mapPartitionsWithIndex(
                lambda index, rows: _placed(
                    rows, starts[index], clocks[index], groups.value, options
                )
            ),
            ITEMS,
        )
        .withColumn("bucket", f.pmod(f.hash("group"), f.lit(buckets)).cast("long"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    claims = items.groupBy("bucket").applyInArrow(_counting(options, changes), CLAIMS)
    ranked = Window.partitionBy("account", "key").orderBy("at", "order")
    positions = claims.withColumn("position", f.row_number().over(ranked))
    settled = (
        items.groupBy("bucket")
        .cogroup(positions.groupBy("bucket"))
        .applyInArrow(_settling(options, changes), SETTLED)
        .toArrow()
    )
    # Put in log order here, not with an orderBy: Spark would sample (and so compute) the
    # settling stage once more to choose its ranges.
    found = [
        pickle.loads(blob)
        for _, blob in sorted(
            zip(settled["order"].to_pylist(), settled["settled"].to_pylist(), strict=True),
            key=lambda pair: pair[0],
        )
    ]
    items.unpersist()
    return SparkReconciliation(early + found, whole.category_changes)


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


class _Row(NamedTuple):
    """An item of a partition of the log, at its place in the partition (line numbers and
    places are the partition's own until the lines before it are counted); or, with no item,
    the partition's end, whose ``order`` is how many lines it had."""

    partition: int
    order: int
    name: str | None
    item: LogItem | None


@dataclass(frozen=True)
class _Part:
    """What the driver learns of one partition of the log in one pass."""

    lines: int
    named: int
    """How many items name a customer."""
    clocks: dict[str, float]
    """The latest time of its lines that move the clocks: in the log (key "") and per account."""
    unnamed: list[tuple[int, LogItem]]
    """The items that name no customer (broken lines, category changes), at their places."""


def _parse(partition: int, lines: Iterable[bytes]) -> Iterator[_Row]:
    """Each line's items with their places, and the customer names of those that have some."""
    number = 0
    for number, text in enumerate(lines, start=1):
        line = text.removeprefix(UTF8_BOM)
        for position, item in enumerate(read_lines([line])):
            item = item._replace(line=number)
            yield _Row(partition, number * ITEMS_PER_LINE + position, _name(item), item)
    yield _Row(partition, number, None, None)


def _summary(rows: Iterable[_Row], options: ReconcileOptions) -> _Part:
    lines = named = 0
    clocks: dict[str, float] = {}
    unnamed = []
    for row in rows:
        if row.item is None:
            lines = row.order
        elif row.name is None:
            unnamed.append((row.order, row.item))
        else:
            named += 1
            if _counted(row.item, options):
                for key in ("", " " + row.item.account):
                    clocks[key] = max(clocks.get(key, -math.inf), row.item.at)
    return _Part(lines, named, clocks, unnamed)


def _starts(parts: Sequence[_Part]) -> tuple[list[int], list[dict[str, float]]]:
    """Each partition's lines before it, and the clocks at its start."""
    starts, before = [], []
    lines, running = 0, dict[str, float]()
    for part in parts:
        starts.append(lines)
        before.append(dict(running))
        lines += part.lines
        for key, at in part.clocks.items():
            running[key] = max(running.get(key, -math.inf), at)
    return starts, before


def _moved(order: int, item: LogItem, start: int) -> tuple[int, LogItem]:
    """An item's place and line in the whole log, from those in its partition."""
    return order + start * ITEMS_PER_LINE, item._replace(line=item.line + start)


def _name(item: LogItem) -> str | None:
    return e164(item.customer) if isinstance(item, Inbound | StatusUpdate) else None


def _links(item: Inbound | StatusUpdate) -> list[str]:
    names = {e164(item.customer), item.user_id, item.parent_user_id}
    if isinstance(item, StatusUpdate):
        names.add(f"message {item.account} {item.message}")
    return sorted(name for name in names if name)


def _groups(named: Any) -> Any:
    """Each linked name's group: names a line links, and the statuses of one message, are one
    customer's (over-joining costs time, never correctness)."""
    pairs = (
        named.flatMap(lambda row: [(name, row.name) for name in _links(row.item)])
        .distinct()
        .groupByKey()
        .map(lambda pair: sorted(set(pair[1])))
        .filter(lambda names: len(names) > 1)
    )
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.get(name, name) != name:
            parent[name] = parent.get(parent[name], parent[name])
            name = parent[name]
        return name

    for names in pairs.collect():
        first = root(names[0])
        for other in names[1:]:
            parent[root(other)] = first
    return named.context.broadcast({name: root(name) for name in parent})


def _counted(item: LogItem, options: ReconcileOptions) -> TypeGuard[Inbound | StatusUpdate]:
    """Whether an item moves the clocks: a named line of a known account, not in the future."""
    return (
        isinstance(item, Inbound | StatusUpdate)
        and options.knows(item.account)
        and item.at <= options.now + CLOCK_SKEW
    )


def _placed(
    rows: Iterable[_Row],
    start: int,
    clocks: dict[str, float],
    groups: Mapping[str, str],
    options: ReconcileOptions,
) -> Iterator[tuple[str, int, float, float, bytes]]:
    clocks = dict(clocks)
    for row in rows:
        assert row.item is not None
        assert row.name is not None
        order, item = _moved(row.order, row.item, start)
        assert isinstance(item, Inbound | StatusUpdate)
        account = " " + item.account
        clock = clocks.get("", -math.inf)
        account_clock = clocks.get(account, -math.inf)
        yield groups.get(row.name, row.name), order, clock, account_clock, pickle.dumps(item)
        if _counted(item, options):
            clocks[""] = max(clock, item.at)
            clocks[account] = max(account_clock, item.at)


class _Claims(Tally):
    """Counts with placeholders that keep ids apart, and notes each count for pass 2."""

    def __init__(self, account: str, claims: list[tuple[str, str, float, int]]) -> None:
        super().__init__()
        self._account, self._claims = account, claims

    def next(self, key: Key, at: float, order: int) -> int:
        self._claims.append((self._account, _key(key), at, order))
        return super().next(key, at, order)


class _Positions(Tally):
    """The positions pass 2 ranked, for the events of one group's account."""

    def __init__(self, account: str, positions: Mapping[tuple[str, str, int], int]) -> None:
        super().__init__()
        self._account, self._positions = account, positions

    def next(self, key: Key, at: float, order: int) -> int:
        return self._positions[self._account, _key(key), order]


def _key(key: Key) -> str:
    return json.dumps(key, default=str)


def _run(
    bucket: pyarrow.Table,
    options: ReconcileOptions,
    changes: Changes,
    counters: Callable[[str], Tally],
) -> Iterator[tuple[int, Finding | Skipped]]:
    """The project's reconciler over one bucket's items in log order, with the category changes
    among them; each result with the place of the item that settled it.

    One reconciler takes the whole bucket: it keeps each customer apart as the run over the
    whole log does, and starting one per customer would cost more than the rules."""
    reconciler = Accounts(options, counters)
    columns = ("order", "clock", "account_clock", "item")
    rows = zip(*(bucket.column(name).to_pylist() for name in columns), strict=True)
    items = [(order, Place(order, clock, account_clock), pickle.loads(item))
             for order, clock, account_clock, item in rows]  # fmt: skip
    accounts = {item.account for _, _, item in items}
    placed_changes = [
        (order, Place(order), change) for order, change in changes if change.account in accounts
    ]
    order = 0
    for order, place, item in sorted([*items, *placed_changes], key=lambda entry: entry[0]):
        results = reconciler.add(item, place)
        if not isinstance(item, CategoryChange):  # a change's own verdict is the driver's
            yield from ((order, each) for each in results)
    for settled in reconciler.finish():
        yield order, settled


def _counting(
    options: ReconcileOptions, changes: Changes
) -> Callable[[pyarrow.Table], pyarrow.Table]:
    def counting(bucket: pyarrow.Table) -> pyarrow.Table:
        claims: list[tuple[str, str, float, int]] = []
        for _ in _run(bucket, options, changes, lambda account: _Claims(account, claims)):
            pass
        number = bucket.column("bucket")[0].as_py()
        return _table([(number, *claim) for claim in claims], CLAIMS)

    return counting


def _settling(
    options: ReconcileOptions, changes: Changes
) -> Callable[[pyarrow.Table, pyarrow.Table], pyarrow.Table]:
    def settling(bucket: pyarrow.Table, ranked: pyarrow.Table) -> pyarrow.Table:
        columns = ("account", "key", "order", "position")
        rows = zip(*(ranked.column(name).to_pylist() for name in columns), strict=True)
        positions = {(account, key, order): position for account, key, order, position in rows}
        results = [
            (order, pickle.dumps(settled))
            for order, settled in _run(
                bucket, options, changes, lambda account: _Positions(account, positions)
            )
        ]
        return _table(results, SETTLED)

    return settling


def _table(rows: Sequence[tuple[Any, ...]], schema: StructType) -> pyarrow.Table:
    """An Arrow table of ``rows`` with the Spark ``schema``, as the Arrow functions return."""
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) or [() for _ in schema]
    kinds = {"bigint": pyarrow.int64(), "double": pyarrow.float64(), "string": pyarrow.string(),
             "binary": pyarrow.binary()}  # fmt: skip
    fields = [(field.name, kinds[field.dataType.simpleString()]) for field in schema]
    return pyarrow.table(columns, schema=pyarrow.schema(fields))
