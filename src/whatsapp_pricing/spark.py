"""Reconciling a provider's month on Apache Spark, with the same findings as one process.

Everything that decides which window or conversation a message belongs to depends on one
customer's lines in time order; only the engine's counters (:class:`~whatsapp_pricing.engine.
Counters`: the account's conversation ids, the free tier, the volume tiers) reach across
customers, and they set an id or a price, never a decision. So:

1. the log is read as text and each line parsed once, where it lies (``mapInArrow``), into
   encoded items, with the customer each names and the latest time before it in its stretch
   of the log, dealt as they are parsed into buckets by the name (as many buckets as the logs'
   size makes, :data:`BYTES_PER_LINE`); the names that lines link, by a hash of the link; and
   each stretch's end: how many lines it has, its latest times, and the few items that name no
   customer (broken lines, category changes), and its lines that enter a new hour; and what
   its items of each bucket ask of accounts' clocks (their names and accounts, the hours in
   which it saw them, and which may link names), with where each account's clock rises in it,
   if any may link names. The JVM caches and moves rows of bytes, a
   bucket's part of a chunk of thousands of items each, which it never looks into: it pays per
   row, and Python pays once per item to encode and once to decode. One small job joins the
   linked names and brings the stretches' ends to the driver;
2. *pass 1* runs the project's own :class:`~whatsapp_pricing.reconcile.Accounts` once per
   bucket, in log order, told each item's place and the clocks of the whole log before it.
   Names that lines link, and the statuses of one message, are one customer: a name joined to
   a group whose name falls in another bucket is dealt there again, from its own bucket's
   parts (few are). A line that may link names is told the clocks of the other accounts of its
   customer's group (a link changes only its group's names), and a bucket, at each line where
   the contact book may let go of a link of such a group, the clocks of all its accounts (as
   the line's hour, less how long a link is kept, passes the hours in which the group's lines
   named it). A small job asks them first, only of a log with such lines: what each stretch's
   items ask is dealt to their groups' buckets, where each group's accounts and hours are
   known, and answered a stretch at a time from where its accounts' clocks rise and from its
   end. The counters hand out placeholders: a conversation's id is a token, and a free tier's
   count is taken to be past the allowance. Each count is noted, with what else prices its
   message where the engine says (:class:`~whatsapp_pricing.records.Counted`);
3. *pass 2* ranks the counts by account and key, in time and log order, which is the order in
   which the engine of a whole run meets them (Spark sorts them, spilling to disk, and Python
   numbers them a batch at a time, so no task holds a counter whole), and patches each bucket's
   findings where it ran: a token becomes the conversation's id, and a message whose position
   changes its price (inside a free tier, or a volume tier's count that differs) is repriced
   by the engine from its position. Only a customer with such a count that cannot be repriced
   is run again, with the positions, which then gives exactly what the run over the whole log
   gives. The driver receives the finished findings a bucket at a time and passes them on as
   they come: it never holds them all.

Imported only for ``--spark``: the single-process run needs neither Spark nor Java.
"""

from __future__ import annotations

import array
import bisect
import collections
import contextlib
import functools
import gc
import itertools
import json
import math
import operator
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, NamedTuple, TypeVar, cast
from urllib.parse import unquote

import msgspec
import numpy
import pyarrow  # type: ignore[import-untyped]
import pyarrow.compute  # type: ignore[import-untyped]
import pyarrow.ipc  # type: ignore[import-untyped]
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as f
from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from whatsapp_pricing import arrow_columns, spark_classes, spark_daemon
from whatsapp_pricing.engine import CONVERSATIONS, HOUR, ConversationEngine, Counters, Key, Tally
from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.identities import let_go_before
from whatsapp_pricing.markets import e164
from whatsapp_pricing.reconcile import (
    CLOCK_SKEW,
    Accounts,
    Finding,
    Place,
    ReconcileOptions,
)
from whatsapp_pricing.reconcile.account import links_kept
from whatsapp_pricing.reconcile.policy import charge_said
from whatsapp_pricing.records import Counted
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
BYTES_PER_LINE = 400
"""About the bytes of a line of Meta's notifications (a status with its pricing): the log's
buckets are counted from its size, before it is parsed, so that parsing deals its items."""
ITEMS_PER_TASK = 20_000
"""About how many lines one call of each pass reconciles (one call per customer would cost
more than the rules do): a bucket is this many lines of :data:`BYTES_PER_LINE` of the logs,
counted before they are read, so a log of longer lines has fuller buckets."""
ITEMS_PER_CHUNK = 10_000
"""The most items parsing holds before it writes them out, a row for each bucket among them:
the JVM pays per row it caches and moves, whatever the row's size, so a row is a bucket's part
of a chunk of items, not one item (with many buckets, a part holds few)."""


PARTITION_BYTES = "16m"
"""The size adaptive execution merges shuffle partitions up to: the findings the driver holds
at once (two such parts, as it fetches the next while it writes one)."""


CACHED_PLANS_MERGED = "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning"
"""Whether adaptive execution may merge the partitions of a plan that is kept (``persist``),
which Spark leaves off: a query that reads it may then shuffle it again."""
ADAPTIVE_SETTING = "spark.sql.adaptive.enabled"
"""Whether Spark re-plans a query at each shuffle (:func:`_adapt` chooses)."""
ARROW_BATCH_BYTES = "spark.sql.execution.arrow.maxBytesPerBatch"
"""The most bytes of an Arrow batch the JVM sends Python (an internal setting of Spark 4, 64 MB
unless set), which it checks by measuring the batch after each row it adds: a fifth to a third
of the JVM's CPU for reading the log's lines and handing them to Python. At its highest value,
:data:`UNMEASURED`, Spark skips the check, and a batch ends at
``spark.sql.execution.arrow.maxRecordsPerBatch`` rows (10,000 unless set): lines or counts of
a few hundred bytes, or rows of encoded items or counts, which hold at most a partition's share
of the log."""
UNMEASURED = str(2**31 - 1)
"""The largest batch Spark allows (:data:`ARROW_BATCH_BYTES`): a size it never measures."""


class Role:
    """What a row of the parsed log is (its ``role`` column), or of a bucket's input to a pass
    (:data:`DEALT`)."""

    NAMED = 0
    """A chunk of a stretch's items that name a customer, of the names of one bucket (the row's
    ``key``; :class:`_Named`): reconciled in the passes."""
    LINKS = 1
    """Names that lines link, of the links whose hash is the row's ``key``."""
    END = 2
    """A stretch's end (:class:`_End`): its lines, latest times and unnamed items."""
    ASKS = 3
    """Of a stretch's items of the names of one bucket (the ``key``), what the clocks of other
    accounts they are told depend on (:class:`_Asks`)."""
    RISES = 4
    """Where each account's clock rises in a stretch (:data:`_RISES`): written only by a stretch
    with items that may link names, whose clocks are read from it."""
    CLOCKS = 5
    """Dealt: the clocks a bucket's items that may link names are told, of one stretch
    (:data:`_CLOCKS`)."""
    PRICED = 6
    """Dealt, in pass 2: a bucket's counted messages (:data:`Kind.PRICED`)."""


PARSED = StructType(
    [
        StructField("role", LongType()),
        StructField("key", LongType()),
        StructField("file", StringType()),
        StructField("block", LongType()),
        StructField("blob", BinaryType()),
    ]
)
"""The log parsed once: a stretch of it is a file's block (``file``, ``block``); ``blob`` is
what the row's :class:`Role` says, encoded with msgspec."""
ASKED = StructType(
    [
        StructField("bucket", LongType()),
        StructField("file", StringType()),
        StructField("block", LongType()),
        StructField("blob", BinaryType()),
    ]
)
"""What a bucket's items ask of a stretch's clocks: first their :class:`_Asks`, by group; then,
once each group's accounts are known, the clocks they ask (:data:`_ASKED`)."""
DEALT = StructType([StructField("role", LongType()), *ASKED])
"""A chunk's items of one bucket (:data:`Role.NAMED`, :class:`_Named`): its names as parsed,
or, dealt again, their groups; or the clocks its items that may link names are told
(:data:`Role.CLOCKS`); in pass 2, its counted messages too (:data:`Role.PRICED`)."""


InboundAs = TypeVar("InboundAs")
"""A customer's message as a pass holds it: an :class:`Inbound`, or its bytes (``msgspec.Raw``)."""
StatusAs = TypeVar("StatusAs")
"""A status as a pass holds it: a :class:`StatusUpdate`, or its bytes (``msgspec.Raw``)."""


class _Named(msgspec.Struct, Generic[InboundAs, StatusAs], array_like=True):
    """A chunk of named items of one stretch, in its order: each item's place in the stretch,
    its customer (the name it gives when parsed; its group once dealt again), the latest
    times before it in the stretch (counted lines, of any account and of its own), whether its
    line has words that look like a token, and whether it is a status; the items themselves in
    a list of each kind, so that one call decodes a chunk's items whole, and dealing moves them
    as the bytes they are (``msgspec.Raw``), never decoded."""

    orders: list[int]
    customers: list[str]
    clocks: list[float]
    account_clocks: list[float]
    tokens: list[bool]
    statuses: list[bool]
    inbound: list[InboundAs]
    status: list[StatusAs]

    @classmethod
    def of(
        cls,
        orders: list[int],
        customers: list[str],
        clocks: list[float],
        account_clocks: list[float],
        tokens: list[bool],
        statuses: list[bool],
        items: Sequence[InboundAs | StatusAs],
    ) -> _Named[InboundAs, StatusAs]:
        """The chunk of ``items`` in their order, each a status where ``statuses`` says."""
        picked = list(zip(items, statuses, strict=True))
        inbound = cast(list[InboundAs], [item for item, is_status in picked if not is_status])
        status = cast(list[StatusAs], [item for item, is_status in picked if is_status])
        return cls(orders, customers, clocks, account_clocks, tokens, statuses, inbound, status)

    def in_order(self) -> list[InboundAs | StatusAs]:
        """The items, in the chunk's order."""
        inbound, status = iter(self.inbound), iter(self.status)
        return [next(status) if is_status else next(inbound) for is_status in self.statuses]

    def parts(
        self, dealt: Mapping[int, Sequence[int]], customers: Sequence[str | None]
    ) -> Iterator[tuple[int, _Named[InboundAs, StatusAs]]]:
        """The parts ``dealt`` gives (a bucket and the indices of its items), each item as the
        customer ``customers`` gives at its index."""
        if not dealt:
            return  # none of its items is dealt (as most are not, when few names move)
        items = self.in_order()
        for bucket, indices in dealt.items():
            part: _Named[InboundAs, StatusAs] = _Named.of(
                [self.orders[i] for i in indices],
                cast(list[str], [customers[i] for i in indices]),
                [self.clocks[i] for i in indices],
                [self.account_clocks[i] for i in indices],
                [self.tokens[i] for i in indices],
                [self.statuses[i] for i in indices],
                [items[i] for i in indices],
            )
            yield bucket, part


class _Latest(msgspec.Struct, array_like=True):
    """The latest times of counted lines: of any account (the log's clock) and of each. A
    counted line is one the reconciler counts: of an account the options know
    (:meth:`~whatsapp_pricing.reconcile.options.ReconcileOptions.knows`), not later than the
    run's time and :data:`~whatsapp_pricing.reconcile.options.CLOCK_SKEW`. Its time is a finite
    number (reading refuses any other), so a clock of -inf means no counted line."""

    clock: float = -math.inf
    accounts: dict[str, float] = msgspec.field(default_factory=dict)
    """By account id."""

    def copy(self) -> _Latest:
        """A copy whose later changes leave this one as it is."""
        return _Latest(self.clock, dict(self.accounts))


class _End(msgspec.Struct, array_like=True):
    """What the driver learns of one stretch of the log."""

    lines: int
    latest: _Latest
    """Of its counted lines."""
    unnamed: list[tuple[int, int, bytes]]
    """The items that name no customer: place in the stretch, kind, the item encoded."""
    hours: list[tuple[int, float, dict[str, float]]]
    """Each counted line whose time is in a later hour than any before it in the stretch: its
    place in the stretch, its time and each account's latest time before it (by id), which
    answer the clocks asked there (:class:`_Clocks`)."""
    links: int
    """How many of its items may link names anew (:class:`_Linking`): with none in the whole log,
    no bucket asks another account's clock."""


class _Asks(msgspec.Struct, array_like=True):
    """Of a stretch's items of one bucket, what the clocks of accounts they are told depend on:
    a link changes only its own group's names, so at an item that may link names only the other
    accounts with items of its customer's group must settle first (few, where the log may have
    hundreds); and so does a link the contact book lets go of, so where the whole log's clock
    enters a new hour only the accounts of the groups whose links it may let go of there."""

    names: list[tuple[str, str, int]]
    """Each customer and account its items give (the name as parsed; once regrouped, its
    group), and each hour the stretch's clock is in after such an item (hours since the
    epoch; -1 before its first counted line): the accounts of each group, and the hours in
    which the contact book may last have seen it."""
    linking: list[tuple[int, str, str]]
    """Its items that may link names anew: each one's place in the stretch, customer, account."""


KINDS: tuple[type[Any], ...] = (Inbound, StatusUpdate, CategoryChange, Skipped)
"""The kinds of log item, by their number in the parsed log."""
_KIND = {kind: number for number, kind in enumerate(KINDS)}
_ENCODER = msgspec.msgpack.Encoder()
_DECODERS = [msgspec.msgpack.Decoder(kind) for kind in KINDS]
_NAMED = msgspec.msgpack.Decoder(_Named[Inbound, StatusUpdate])
_NAMED_RAW = msgspec.msgpack.Decoder(_Named[msgspec.Raw, msgspec.Raw])
_END = msgspec.msgpack.Decoder(_End)
_ASKS = msgspec.msgpack.Decoder(_Asks)
_ASKED = msgspec.msgpack.Decoder(list[tuple[int, str]])
"""The clocks a bucket asks of a stretch: each one's place in the stretch and account."""
_RISES = msgspec.msgpack.Decoder(dict[str, tuple[bytes, bytes]])
"""Where each account's clock rises in a stretch, by id: the places and the times it rises to
(machine integers and floats, :class:`_Rises`), in the stretch's order."""
_CLOCKS = msgspec.msgpack.Decoder(dict[int, dict[str, float]])
"""The clocks a bucket's items of a stretch that may link names are told: by each one's place
in the stretch, the clock of each other account of its group, by id
(:attr:`~whatsapp_pricing.reconcile.ordering.Place.account_clocks`)."""
_LINKS = msgspec.msgpack.Decoder(list[tuple[str, str]])
_PRICED = msgspec.msgpack.Decoder(list[tuple[str, int, Counted]])
"""A bucket's counted messages: each one's account, place in the log, and what prices it."""
_SHARED = msgspec.msgpack.Decoder(list[list[str]])
_GROUPS = msgspec.msgpack.Decoder(list[str])
# Functions, not the coders' methods: Spark pickles what its tasks use, and a function of this
# module travels by name (a coder cannot be pickled).


def _encode(value: object) -> bytes:
    return _ENCODER.encode(value)


def _decoded(kind: int, blob: bytes) -> LogItem:
    item: LogItem = _DECODERS[kind].decode(blob)
    return item


def _decode_named(blob: bytes) -> _Named[Inbound, StatusUpdate]:
    return _NAMED.decode(_unpacked(blob))


def _decode_named_raw(blob: bytes) -> _Named[msgspec.Raw, msgspec.Raw]:
    return _NAMED_RAW.decode(_unpacked(blob))


def _decode_end(blob: bytes) -> _End:
    return _END.decode(_unpacked(blob))


def _decode_asks(blob: bytes) -> _Asks:
    return _ASKS.decode(_unpacked(blob))


def _decode_asked(blob: bytes) -> list[tuple[int, str]]:
    return _ASKED.decode(_unpacked(blob))


def _decode_rises(blob: bytes) -> dict[str, tuple[bytes, bytes]]:
    return _RISES.decode(_unpacked(blob))


def _decode_clocks(blob: bytes) -> dict[int, dict[str, float]]:
    return _CLOCKS.decode(_unpacked(blob))


def _decode_priced(blob: bytes) -> list[tuple[str, int, Counted]]:
    return _PRICED.decode(_unpacked(blob))


def _decode_links(blob: bytes) -> list[tuple[str, str]]:
    return _LINKS.decode(blob)


def _decode_shared(blob: bytes) -> list[list[str]]:
    return _SHARED.decode(blob)


def _decode_groups(blob: bytes) -> list[str]:
    return _GROUPS.decode(blob)


class _FindingRow(msgspec.Struct, array_like=True):
    """A :class:`~whatsapp_pricing.reconcile.findings.Finding`'s fields as it crosses from a
    worker to the driver: an array, not a map of names (which msgspec makes of a dataclass), and
    decoded as this struct, not as the class itself, whose annotations the compiled build gives
    as ``type`` for ``float | None`` (mypyc keeps an annotation's class, not its type). The
    values are as the finding had them (``Any``: a log's own values, unchecked)."""

    message: Any
    outcome: Any
    detail: Any
    meta: Any
    predicted: Any
    flag: Any
    rule: Any
    customer: Any
    user_id: Any
    account: Any
    business_number: Any
    currency: Any
    errors: tuple[Any, ...]
    delivered_at: Any
    sent_at: Any

    def finding(self) -> Finding:
        """The finding again (with its fields set one by one: the compiled class takes only
        the comparison's in its ``__init__``)."""
        finding = Finding(self.message, self.outcome, self.detail, self.meta, self.predicted,
                          self.flag, self.rule)  # fmt: skip
        finding.customer, finding.user_id = self.customer, self.user_id
        finding.account, finding.business_number = self.account, self.business_number
        finding.currency, finding.errors = self.currency, self.errors
        finding.delivered_at, finding.sent_at = self.delivered_at, self.sent_at
        return finding


_ROW_OF = operator.attrgetter(*_FindingRow.__struct_fields__)
"""A finding's :data:`Fields`."""
_ACCOUNT_MESSAGE = operator.itemgetter(
    *(_FindingRow.__struct_fields__.index(field) for field in ("account", "message"))
)
"""A finding's account and message id, of its fields in that order (:func:`_settled`)."""


FindingAs = TypeVar("FindingAs")
"""A finding as its results hold it: its fields' tuple where a pass makes them (encoded as the
array a :class:`_FindingRow` is, without the struct made in between), the row once decoded."""
Fields = tuple[Any, ...]
"""A finding's fields, in the order of :class:`_FindingRow`."""


class _Settled(msgspec.Struct, Generic[FindingAs], array_like=True):
    """A bucket's results, in log order: each one's customer group, the place of the item that
    settled it, and which it is; findings and skipped lines in lists of their own types
    (``skipped_at``: the positions of the skipped ones among all)."""

    groups: list[str]
    orders: list[int]
    findings: list[FindingAs]
    skipped: list[Skipped]
    skipped_at: list[int]


_SETTLED = msgspec.msgpack.Decoder(_Settled[_FindingRow])


def _decode_settled(blob: bytes) -> _Settled[_FindingRow]:
    return _SETTLED.decode(_unpacked(blob))


_CODEC = pyarrow.Codec("lz4")
"""The bulk of what crosses the JVM (a chunk's items, a stretch's end, what it asks and its
clocks' rises, the clocks told; a bucket's results, counted messages and patch) is compressed:
the JVM writes it to disk, reads it back and moves it, a copy each time, and that costs more
than compressing (a bucket's results shrink to about a tenth: findings repeat their words and
Meta's reports)."""
_SIZE_BYTES = 8
"""A packed blob begins with the size of its encoding, which decompressing is told."""


def _packed(encoded: bytes) -> bytes:
    """``encoded``, compressed, behind its size."""
    compressed = cast(bytes, _CODEC.compress(encoded, asbytes=True))
    return len(encoded).to_bytes(_SIZE_BYTES, "little") + compressed


def _unpacked(blob: bytes) -> bytes:
    """What :func:`_packed` compressed."""
    size = int.from_bytes(blob[:_SIZE_BYTES], "little")
    return cast(
        bytes,
        _CODEC.decompress(memoryview(blob)[_SIZE_BYTES:], decompressed_size=size, asbytes=True),
    )


class Kind:
    """What a row of pass 1's table is."""

    RESULT = 0
    """A bucket's results (:class:`_Settled`), with tokens for conversation ids."""
    COUNTS = 1
    """A count of a bucket, in columns: the JVM sorts them, spilling to disk as it needs."""
    PRICED = 2
    """A bucket's messages priced through a :class:`~whatsapp_pricing.records.Counted`, by
    account and place (:data:`_PRICED`): pass 2 reprices those whose positions change."""


class Alike:
    """What a count's position changes (a count's ``alike``, unless a free tier's allowance,
    after which every position prices alike)."""

    EVERY = -1
    """Any other position may price otherwise: run again unless the placeholder was right."""
    NAME = -2
    """A conversation's id: a name only, patched in the findings' words."""
    NONE = -3
    """Not a count: the customer's lines use words that look like a token; always run again."""


class _Count(msgspec.Struct):
    """A count pass 1 made with a placeholder (pass 2 ranks it: :func:`_ranking`)."""

    account: str
    key: str
    at: float
    order: int
    provisional: int
    """The placeholder given: a token, a free tier's allowance plus one, or the bucket's own
    count."""
    alike: int
    """What the position changes (:class:`Alike`, or a free tier's allowance)."""
    group: str = ""
    counted: Counted | None = None
    """What else prices its message, when the position sets only its charge, rule and
    reason: it is then repriced, not run again."""

    @property
    def priced(self) -> bool:
        return self.counted is not None


COUNTS = StructType(
    [
        StructField("bucket", LongType()),
        StructField("account", StringType()),
        StructField("key", StringType()),
        StructField("at", DoubleType()),
        StructField("order", LongType()),
        StructField("provisional", LongType()),
        StructField("alike", LongType()),
        StructField("group", StringType()),
        StructField("priced", BooleanType()),
    ]
)
"""A bucket's counts, a row each, which Spark sorts for pass 2: its bucket, then the fields of
:class:`_Count`, but its ``counted`` message, of which the column ``priced`` says only whether
it has one (pass 1 keeps the messages in a row of their own)."""
COUNTED = StructType(
    [
        StructField("kind", LongType()),
        StructField("bucket", LongType()),
        StructField("blob", BinaryType()),
    ]
)
"""Pass 1's output, a row of each :class:`Kind` a bucket has: its results, its counted
messages, and its counts (:data:`COUNTS`, as an Arrow stream). The counts cross the cache as
one stream a bucket, not as rows: Spark gathers statistics for each column of a cached row to
compress it (boxing numbers, hashing words), which cost it more than the rest of pass 1's
stage; they become rows again only to be sorted."""
RANKED = StructType(
    [
        StructField("bucket", LongType()),
        StructField("blob", BinaryType()),
        StructField("again", BinaryType()),
    ]
)
"""Some of a bucket's counts with their positions (:data:`RANKED_COUNTS`, as an Arrow stream),
and the groups of customers to run again among them (``again``, null if none)."""
RANKED_COUNTS = (
    "account", "key", "order", "provisional", "alike", "group", "priced", "position"
)  # fmt: skip
"""The columns of a ranked count that pass 2 reads: a count's, but its bucket and time, and
its position among its account's and key's."""
PATCHED = StructType([StructField("bucket", LongType()), StructField("patch", BinaryType())])
"""What pass 2 gives a bucket: how to patch pass 1's findings (:class:`_Patch`). The driver
receives the findings themselves (:class:`_Settled`) from pass 1's cache beside it, joined by
bucket in the JVM (which may shuffle them for the join): they no longer go through pass 2's
Python, in and out of Arrow."""


class _Repriced(msgspec.Struct, array_like=True):
    """A counted message's charge, rule and reason at its position, for its finding."""

    account: str
    message: str
    rule: str
    charge: str
    """As a finding says it (:func:`~whatsapp_pricing.reconcile.policy.charge_said`)."""
    reason: str


class _Patch(msgspec.Struct, Generic[FindingAs], array_like=True):
    """What pass 2 changes in a bucket's findings: the conversations' ids for the tokens, and
    the customers run again, whose findings replace pass 1's."""

    ids: dict[int, int]
    """Each token's number, and the conversation's (its position among the account's)."""
    again: list[str]
    rerun: _Settled[FindingAs]
    """Their findings (inside the patch, which crosses compressed as a whole)."""
    repriced: list[_Repriced]
    """The counted messages whose positions change their charges."""


_PATCH = msgspec.msgpack.Decoder(_Patch[_FindingRow])
_NO_PATCH: _Patch[_FindingRow] = _Patch({}, [], _Settled([], [], [], [], []), [])
"""A bucket's patch when it has no counts: nothing to patch, and no customer to run again (whose
findings, ``rerun``, it would hold)."""


def _decode_patch(blob: bytes) -> _Patch[_FindingRow]:
    return _PATCH.decode(_unpacked(blob))


TOKEN = 9 * 10**17
"""Placeholder conversation ids are ``c`` and a number from here: 19 characters no id the
engine gives, and no word of the findings, has (a log whose lines have such words has its
customers run again)."""
TOKENS_PER_BUCKET = 10**9
"""Each bucket's tokens start this far apart, so that a token names one conversation in the
whole run (a bucket opens fewer conversations than this)."""
TOKENS = re.compile(r"c(?<!\wc)(9[0-9]{17})\b")
"""A token, as a whole word. That it starts a word is told after its letter ``c`` (not
after a letter, digit or underscore), not before it: a pattern that starts with a letter is
searched for that letter first, 2.5 times as fast. Its digits are ASCII ones: ``\\d`` would
take other scripts' digits, which ``int`` reads as a number too, and patch words of Meta's."""
RAW_TOKENS = (re.compile(rb"c9[0-9]{17}"), re.compile(rb"\\u00(?:3[0-9]|63)"))
"""What marks a line whose words may look like a token: one as it is, or a ``c`` or a digit
written as a JSON escape (``\\u0039``), which the line's decoded words would show as one. Two
patterns, each searched for apart: one that begins with a literal is looked for by it, at
about a nanosecond a byte, where a pattern of two beginnings is tried at every byte (about 2
us a line), and so is a plain search for two bytes."""


Changes = Sequence[tuple[int, CategoryChange]]
"""The log's template category changes of known accounts, with their places: every customer's
findings may depend on them, so every task is given them all."""


class _HourLine(NamedTuple):
    """A line at which the whole log's clock enters a new hour, where the contact book lets go
    of the links no line has needed for long."""

    order: int
    """Its place in the log."""
    at: float
    """Its time: the whole log's clock after it."""
    stretch: Stretch
    place: int
    """Its place in its stretch, where the clocks there are asked (:func:`_asked`)."""


Hours = Sequence[tuple[int, float]]
"""Each line of the log at which its clock enters a new hour (:class:`_HourLine`): its place
and time. Whose links go there depends on no customer, so every task is given them all (one an
hour of log time at most), if the log has a line that may link names (else the book has no link
to let go of); the clocks of the accounts that settle first there are asked, as those of a line
that may link names are, only for the groups whose links may go there."""


@dataclass
class SparkReconciliation:
    """What the run found: the findings as the buckets finish (each bucket's in log order),
    passed on as they arrive, so the driver never holds them all."""

    settled: Iterable[Finding | Skipped]
    category_changes: list[CategoryChange]
    run_again: int = 0
    """How many customers (groups of names) pass 2 ran again: those whose counts change a
    price that repricing their messages cannot give."""


SUBMITTED = "submitted"
"""The master for a run started by ``spark-submit``, which chose the master and settings."""
LOCAL_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""The JVM of a local run: start-up is most of a small run, and the JVM mostly waits for the
Python workers, so it compiles with the quick compiler only and collects on one thread (and
maps the class archive :mod:`~whatsapp_pricing.spark_classes`, where ``make install`` built
one)."""
LOCAL_MEMORY = "2g"
"""The most heap a local run's JVM takes (``spark.driver.memory``; Spark's default is 1 GB): at
the end of a large log, passing the findings to the driver, about 500 MB is alive at once, and
in 1 GB the JVM collected its whole heap every second. A run that needs more is started by
spark-submit with ``--driver-memory`` (``--spark submitted``), whose settings a session keeps."""
LARGE_LOG = 128 * 2**20
"""Local logs of more bytes than this in all (Spark reads a plain one in parts of this size) give
a local run's JVM :data:`LARGE_LOG_JVM`."""
GZIP_COUNTS = 8
"""How many bytes a gzip log's byte on disk counts for, in that sum: Meta's notifications, JSON
of many repeated names, shrink about tenfold."""
LARGE_LOG_JVM = "-Xms1g -Xmn512m"
"""A heap that starts at 1 GB, half of it young: a task's batches of rows then die young, where
the default young generation (about 120 MB) promoted them and a full collection followed
another. On a 2M-line log the JVM's collections took 5-6 s of its 41 s of CPU, and 2.4 s with
these sizes (``-Xlog:gc`` shows them). A small log does not gain: its run touches the larger
young generation's memory, about 0.5 s more CPU for a 600-line log."""


SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
SPARK_SHUFFLE_PARTITIONS = 200
"""Spark's own default for :data:`SHUFFLE_PARTITIONS`, where a session was started without it."""

NO_CLASS_PATH_EXTENSIONS = "spark.sql.extensions.test.loadFromCp"
"""Spark's switch for the session extensions it finds on the class path (which Spark describes
as one for its tests; a Spark without it ignores it); a local run turns it off (:func:`session`).
Extensions named in ``spark.sql.extensions`` still load."""


def session(master: str, logs: Sequence[str] = ()) -> SparkSession:
    """A Spark session on ``master``, whose Python workers run this interpreter (so they have
    this package) unless the cluster says otherwise; ``logs``: what the run will read, which
    sizes a local run's heap."""
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
        builder = builder.config(SHUFFLE_PARTITIONS, str(_local_cores(master)))
        # No session extensions from the class path: the only one, Spark ML's, registers its
        # vector functions (which a run never calls) through Scala's runtime reflection, which
        # costs a small log about 0.5 s of the JVM's CPU to start.
        builder = builder.config(NO_CLASS_PATH_EXTENSIONS, "false")
        builder = builder.config("spark.driver.extraJavaOptions", _local_java(logs))
        builder = builder.config("spark.driver.memory", LOCAL_MEMORY)
        # The findings come to the driver, which writes them: no cap on what the tasks send.
        builder = builder.config("spark.driver.maxResultSize", "0")
        builder = builder.config("spark.python.daemon.module", spark_daemon.__name__)
    builder = builder.config("spark.ui.enabled", "false")  # no web UI to serve while it runs
    return builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()


def _local_java(logs: Sequence[str]) -> str:
    """The options of a local run's JVM, for ``logs``: the heap of a large log's run, counting
    the logs that are files here (a URI of other storage counts none)."""
    size = sum(_local_size(log) for log in logs)
    heap = LARGE_LOG_JVM if size > LARGE_LOG else ""
    return " ".join(filter(None, (LOCAL_JVM, heap, spark_classes.java_options())))


def _local_size(log: str) -> int:
    """A log's bytes, if it is a file here (a path or a ``file:`` URI), a gzip one's weighted
    by :data:`GZIP_COUNTS`; else 0."""
    path = unquote(log.removeprefix("file://").removeprefix("file:"))
    if not os.path.isfile(path):
        return 0
    with open(path, "rb") as file:
        gzipped = file.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    return os.path.getsize(path) * (GZIP_COUNTS if gzipped else 1)


def _local_cores(master: str) -> int:
    """The cores of ``local``, ``local[N]``, ``local[*]`` (or ``local[N,F]``)."""
    cores = master.removeprefix("local").strip("[]").split(",")[0] or "1"
    return os.cpu_count() or 1 if cores == "*" else int(cores)


def _started_partitions(spark: SparkSession) -> int:
    """The shuffle partitions the session started with, as given to it (by :func:`session` or
    spark-submit) or Spark's default: from its context's settings, which a run's changes to
    the session's own (see :func:`reconcile_on_spark`) do not touch."""
    given = spark.sparkContext.getConf().get(SHUFFLE_PARTITIONS)
    return int(given) if given else SPARK_SHUFFLE_PARTITIONS


def _adapt(spark: SparkSession) -> None:
    """Adaptive execution for the queries planned next, only if they have more shuffle
    partitions than the run has cores: it merges partitions, which is then worth its cost (each
    shuffle a job of its own, the rest planned again after it; about 0.5 s of a small log's
    CPU), and with a partition a core or fewer it has nothing to merge. Either way the plan
    computes the same rows.

    The log's own size decides, through the partitions: one per bucket in the passes."""
    partitions = int(spark.conf.get(SHUFFLE_PARTITIONS) or 1)
    adaptive = partitions > spark.sparkContext.defaultParallelism
    spark.conf.set(ADAPTIVE_SETTING, str(adaptive).lower())


def log_text(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """The logs at ``paths`` as a run reads them: each line's text, and where it comes from
    (``file``, and its part's ``block``), for parsing to place it."""
    return spark.read.text(list(paths)).select(
        "value",  # as text: Python views it as bytes (a cast here costs the JVM a copy a line)
        f.col("_metadata.file_path").alias("file"),
        f.col("_metadata.file_block_start").alias("block"),
    )


def reconcile_on_spark(
    spark: SparkSession,
    paths: Sequence[str],
    options: ReconcileOptions,
    items_per_task: int = ITEMS_PER_TASK,
) -> SparkReconciliation:
    """Reconciles the logs at ``paths`` (JSON Lines, plain or gzip), read one after another;
    customers are dealt into buckets of about ``items_per_task`` lines of the logs' size (at
    :data:`BYTES_PER_LINE` a line)."""
    for path in paths:
        _check_format(path)
    text = log_text(spark, paths)
    buckets = max(1, _log_bytes(spark, text.inputFiles()) // (BYTES_PER_LINE * items_per_task))
    # The links' job takes the shuffle partitions the session started with, but no more than
    # the log has buckets: a log of few buckets is small, and each partition is a task, which
    # starts a Python worker however little it holds (the passes take a bucket each, below).
    partitions = min(_started_partitions(spark), buckets)
    spark.conf.set(SHUFFLE_PARTITIONS, str(partitions))
    # The links are joined a hash of them at a time, in as many hashes as the log is read in
    # parts (splits of spark.sql.files.maxPartitionBytes): a task then holds about one part's
    # links, however long the log, where one hash a core held a core's share of the whole log.
    slots = max(partitions, text.rdd.getNumPartitions())
    spark.conf.set(ARROW_BATCH_BYTES, UNMEASURED)
    _adapt(spark)
    parsed = text.mapInArrow(_parsing(options, slots, buckets), PARSED)
    # Kept on disk: the log's items would otherwise fill the JVM's heap, which also has to
    # hold the parts of findings the driver fetches (serialized, they are read as they are).
    parsed = parsed.persist(StorageLevel.DISK_ONLY)
    try:
        return _reconcile(parsed, paths, options, buckets)
    except BaseException:
        parsed.unpersist()
        raise


def _reconcile(
    parsed: DataFrame, paths: Sequence[str], options: ReconcileOptions, buckets: int
) -> SparkReconciliation:
    # One small job: the stretches' ends, and the names that share a link.
    ends = parsed.where(f.col("role").isin(Role.LINKS, Role.END))
    ends = ends.groupBy("key").applyInArrow(_linking, PARSED)
    stretches, shared = _read_ends(ends.toArrow())
    places = _places(stretches, paths)
    whole = Accounts(options, lambda account: Tally())
    early, changes = _unnamed(stretches, places, whole, options)
    hour_lines = _hours(stretches, places)
    hours = [(line.order, line.at) for line in hour_lines]
    # A shuffle partition a bucket, which adaptive execution merges up to its target size: one
    # partition a core would make a task of a large log's whole findings, and a log of fewer
    # buckets than cores would start a Python worker for each empty one.
    spark = parsed.sparkSession
    spark.conf.set(SHUFFLE_PARTITIONS, str(buckets))
    # Merged up to a size, not down to one partition a core (the default): the driver fetches
    # the findings a partition at a time, and one partition of them all would not fit the JVM.
    spark.conf.set("spark.sql.adaptive.coalescePartitions.parallelismFirst", "false")
    spark.conf.set("spark.sql.adaptive.advisoryPartitionSizeInBytes", PARTITION_BYTES)
    # Merged in the plans that are kept too (pass 1's): else each bucket is a task, and a task
    # of a Python function costs the JVM about 20 ms to start, whatever it does.
    spark.conf.set(CACHED_PLANS_MERGED, "true")
    _adapt(spark)
    roots = _roots(shared)
    # Parsing dealt each item to its name's bucket: only a name joined to a group of another
    # bucket moves there.
    moved = frozenset(name for name, group in roots.items()
                      if _hash(name, buckets) != _hash(group, buckets))  # fmt: skip
    named = parsed.where(f.col("role") == Role.NAMED)
    dealt = named.select("role", f.col("key").alias("bucket"), "file", "block", "blob")
    if moved:
        dealt = dealt.unionByName(_dealt_again(named, roots, buckets, moved))
    # The clocks of other accounts that items that may link names are told, and those settled
    # where the contact book may let a link go: a log of no user ids (nor parent ids) has no
    # such item, nor link, and no stage to ask them.
    cached = [parsed]
    clocks = None
    if _may_link(stretches):
        releases = _Releases(hour_lines, links_kept(options.window))
        clocks = _asked_clocks(parsed, places, roots, buckets, releases)
        clocks = clocks.persist(StorageLevel.DISK_ONLY)
        cached.append(clocks)
        dealt = dealt.unionByName(clocks)
    counted = (
        dealt.groupBy("bucket")
        .applyInArrow(_counting(options, changes, hours, places, roots, moved), COUNTED)
        .persist(StorageLevel.DISK_ONLY)
    )
    # Each counter of an account in one partition (a core's share of the counters, or a
    # bucket's if the log has fewer buckets than cores: counters are few, and a partition is
    # a task), sorted there by the JVM, which spills to disk: the Python function that ranks
    # them holds a batch of counts, not the counter.
    cores = spark.sparkContext.defaultParallelism
    ranked = (
        counted.where(f.col("kind") == Kind.COUNTS)
        .select("blob")
        .mapInArrow(_unstreamed, COUNTS)
        .repartition(min(cores, buckets), "account", "key")
        .sortWithinPartitions("account", "key", "at", "order")
        .mapInArrow(_ranking, RANKED)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    again = (
        ranked.where(f.col("again").isNotNull()).select("again").toArrow().column("again")
    ).to_pylist()
    rerun = frozenset(group for blob in again for group in _decode_groups(blob))
    # Pass 2, in each bucket: pass 1's findings patched, its counted messages repriced, and
    # the customers whose counts change a price otherwise run again, their items dealt once
    # more (only theirs cross the shuffle); with none to run again, the parsed log is not read
    # a third time.
    priced = counted.where(f.col("kind") == Kind.PRICED).select(
        f.lit(Role.PRICED).alias("role"),
        "bucket",
        f.lit(None).cast(StringType()).alias("file"),
        f.lit(None).cast(LongType()).alias("block"),
        "blob",
    )
    items = priced
    if rerun:
        names = rerun.union(name for name, group in roots.items() if group in rerun)
        items = items.unionByName(_dealt_again(named, roots, buckets, names))
        if clocks is not None:
            theirs = sorted({_hash(group, buckets) for group in rerun})
            items = items.unionByName(clocks.where(f.col("bucket").isin(theirs)))
    patches = (
        items.groupBy("bucket")
        .cogroup(ranked.groupBy("bucket"))
        .applyInArrow(_finishing(options, changes, hours, places), PATCHED)
    )
    # Every bucket has pass 1's results; one with no counts has no patch (null), and needs
    # none: with no count it has no token and no customer to run again.
    results = counted.where(f.col("kind") == Kind.RESULT)
    finished = results.select("bucket", f.col("blob").alias("settled")).join(
        patches, "bucket", "left"
    )
    found = itertools.chain.from_iterable(_streamed(finished, [*cached, counted, ranked]))
    return SparkReconciliation(itertools.chain(early, found), whole.category_changes, len(rerun))


def _dealt_again(
    named: DataFrame, roots: Mapping[str, str], buckets: int, names: frozenset[str]
) -> DataFrame:
    """The items of ``names`` dealt to their groups' buckets (as :data:`DEALT`), from the parts
    of their names' buckets only."""
    sources = sorted({_hash(name, buckets) for name in names})
    parts = named.where(f.col("key").isin(sources)).select("file", "block", "blob")
    return parts.mapInArrow(_dealing(roots, buckets, names), DEALT)


def _log_bytes(spark: SparkSession, files: Sequence[str]) -> int:
    """The bytes of the files a run reads, a gzip one's weighted by :data:`GZIP_COUNTS` (told by
    its name, as Spark tells it), from their storage's file system."""
    jvm, hadoop = spark.sparkContext._jvm, spark.sparkContext._jsc.hadoopConfiguration()
    assert jvm is not None, "a session's JVM"
    total = 0
    for file in files:
        path = jvm.org.apache.hadoop.fs.Path(jvm.java.net.URI(file))  # Spark gives URIs
        size: int = path.getFileSystem(hadoop).getFileStatus(path).getLen()
        total += size * (GZIP_COUNTS if file.endswith(".gz") else 1)
    return total


def _ranking(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """A partition's counts, sorted by account and key, then time and place in the log (the
    order in which the engine of a whole run meets them), each given its position among its
    account's and key's, and sent on to its bucket: for each batch, a row per bucket.

    A key's counts may run over many batches; only its latest position is kept between them,
    so a task holds one batch of counts however many an account's counter has. The counts
    stay columns: numbered and parted by Arrow's and NumPy's loops, not one by one."""
    last: tuple[str, str] | None = None
    position = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        positions = _positions(batch, last, position)
        last = batch.column("account")[-1].as_py(), batch.column("key")[-1].as_py()
        position = int(positions[-1])
        again = _again(batch, positions)
        counts = batch.append_column("position", arrow_columns.from_numpy(positions))
        yield _batch(list(_ranked_rows(counts, again)), RANKED)


def _positions(
    batch: pyarrow.RecordBatch, last: tuple[str, str] | None, position: int
) -> numpy.ndarray[Any, numpy.dtype[numpy.int64]]:
    """Each count's position in a sorted batch: its place after the start of its account's and
    key's run of counts; the first run goes on from ``position`` if it is ``last``'s."""
    accounts, keys = batch.column("account"), batch.column("key")
    rows = batch.num_rows
    starts = numpy.ones(rows, dtype=bool)
    same = pyarrow.compute.and_(
        pyarrow.compute.equal(accounts[1:], accounts[:-1]),
        pyarrow.compute.equal(keys[1:], keys[:-1]),
    )
    starts[1:] = numpy.logical_not(arrow_columns.to_numpy(same))
    starts[0] = (accounts[0].as_py(), keys[0].as_py()) != last
    index = numpy.arange(rows, dtype=numpy.int64)
    positions = index - numpy.maximum.accumulate(numpy.where(starts, index, 0)) + 1
    if not starts[0]:
        positions[: int(numpy.argmax(starts)) if starts.any() else rows] += position
    return positions


def _again(
    batch: pyarrow.RecordBatch, positions: numpy.ndarray[Any, numpy.dtype[numpy.int64]]
) -> numpy.ndarray[Any, numpy.dtype[numpy.bool_]]:
    """Whether each count's customer must run again with its position: a count that changes
    what pass 1 gave and is not repriced, or a line with words like a token."""
    alike = arrow_columns.to_numpy(batch.column("alike"))
    changed = _changed(alike, arrow_columns.to_numpy(batch.column("provisional")), positions)
    changed &= ~arrow_columns.to_numpy(batch.column("priced"))
    result: numpy.ndarray[Any, numpy.dtype[numpy.bool_]] = (alike == Alike.NONE) | changed
    return result


def _changed(
    alike: numpy.ndarray[Any, numpy.dtype[numpy.int64]],
    provisional: numpy.ndarray[Any, numpy.dtype[numpy.int64]],
    positions: numpy.ndarray[Any, numpy.dtype[numpy.int64]],
) -> numpy.ndarray[Any, numpy.dtype[numpy.bool_]]:
    """Whether each count's position changes what its placeholder gave: in a free tier, or
    a volume tier's count that is not the bucket's own."""
    changed: numpy.ndarray[Any, numpy.dtype[numpy.bool_]] = positions != provisional
    changed &= (alike == Alike.EVERY) | (positions <= alike)
    return changed


def _ranked_rows(
    counts: pyarrow.RecordBatch, again: numpy.ndarray[Any, numpy.dtype[numpy.bool_]]
) -> Iterator[tuple[int, bytes, bytes | None]]:
    """A batch's ranked counts, a row of :data:`RANKED` for each bucket among them: most have
    no customer to run again (``again`` null, so that the driver fetches only those that do)."""
    buckets = arrow_columns.to_numpy(counts.column("bucket"))
    order = numpy.argsort(buckets, kind="stable")
    counts, again, buckets = (
        counts.take(arrow_columns.from_numpy(order)),
        again[order],
        buckets[order],
    )
    cuts = [0, *(numpy.flatnonzero(numpy.diff(buckets)) + 1).tolist(), len(buckets)]
    for start, end in itertools.pairwise(cuts):
        part = counts.slice(start, end - start).select(list(RANKED_COUNTS))
        groups = set(
            part.column("group").filter(arrow_columns.from_numpy(again[start:end])).to_pylist()
        )
        yield int(buckets[start]), _stream(part), _encode(sorted(groups)) if groups else None


def _stream(batch: pyarrow.RecordBatch) -> bytes:
    """A batch as an Arrow stream's bytes (columns, as they are)."""
    sink = pyarrow.BufferOutputStream()
    with pyarrow.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    stream: bytes = sink.getvalue().to_pybytes()
    return stream


def _unstreamed(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """The rows of the Arrow streams (:func:`_stream`) in a column of them."""
    for batch in batches:
        for blob in batch.column(0).to_pylist():
            yield from pyarrow.ipc.open_stream(blob)


def _streamed_counts(blobs: Iterable[bytes]) -> pyarrow.Table:
    """The counts of :func:`_stream`'s bytes, in one table."""
    tables = [pyarrow.ipc.open_stream(blob).read_all() for blob in blobs]
    return pyarrow.concat_tables(tables)


def _streamed(
    finished: DataFrame, cached: Sequence[DataFrame]
) -> Iterator[Iterable[Finding | Skipped]]:
    """The buckets' findings as the driver fetches them, a partition at a time, a bucket's
    together (chained by the caller, not passed on one by one through this generator)."""
    try:
        for row in finished.toLocalIterator(prefetchPartitions=True):
            patch = _NO_PATCH if row["patch"] is None else _decode_patch(row["patch"])
            yield _patched(row["settled"], patch)
    finally:
        for frame in cached:
            frame.unpersist()


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
    options: ReconcileOptions, slots: int, buckets: int
) -> Callable[[Iterable[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]:
    def parsing(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        linked: set[tuple[str, str]] = set()
        """The (link, name) pairs the partition's lines give: each once is enough."""
        dealer = _Dealer(buckets)
        with _no_cycle_collection():
            for (file, block), lines in _stretches_of(batches):
                for rows in _parsed(lines, options, linked, dealer):
                    yield _batch(
                        [(role, key, file, block, blob) for role, key, blob in rows], PARSED
                    )
            yield _batch(_link_rows(linked, slots), PARSED)

    return parsing


def _stretches_of(
    batches: Iterable[pyarrow.RecordBatch],
) -> Iterator[tuple[Stretch, Iterator[list[bytes]]]]:
    """A partition's lines, stretch by stretch (a partition may hold several files' blocks):
    each stretch's lines as runs, one for each batch that holds some of them."""
    runs = (run for batch in batches for run in _runs(batch))
    for stretch, parts in itertools.groupby(runs, key=operator.itemgetter(0)):
        yield stretch, (lines for _, lines in parts)


def _runs(batch: pyarrow.RecordBatch) -> Iterator[tuple[Stretch, list[bytes]]]:
    """A batch's lines, a run of one stretch at a time: Arrow finds where the stretch changes,
    so that its name and start are not made a Python object for every line."""
    rows = batch.num_rows
    if not rows:
        return
    lines, files, blocks = _as_bytes(batch.column(0)), batch.column(1), batch.column(2)
    changed = pyarrow.compute.or_(
        pyarrow.compute.not_equal(files.slice(1), files.slice(0, rows - 1)),
        pyarrow.compute.not_equal(blocks.slice(1), blocks.slice(0, rows - 1)),
    )
    changes = pyarrow.compute.indices_nonzero(changed).to_pylist()
    starts = [0, *(change + 1 for change in changes), rows]
    for start, end in itertools.pairwise(starts):
        stretch = (files[start].as_py(), blocks[start].as_py())
        yield stretch, lines.slice(start, end - start).to_pylist()


def _as_bytes(text: pyarrow.Array) -> pyarrow.Array:
    """Lines of text as their bytes, viewed, not copied (Spark sends large strings where a
    session asks for ``spark.sql.execution.arrow.useLargeVarTypes``)."""
    large = pyarrow.types.is_large_string(text.type) or pyarrow.types.is_large_binary(text.type)
    return text.view(pyarrow.large_binary() if large else pyarrow.binary())


class _Lines:
    """A stretch's lines (given as runs of them) as the reader takes them, counted, noting those
    with words that look like a token (a customer with such a line is run again in pass 2)."""

    def __init__(self, runs: Iterator[list[bytes]]) -> None:
        self._runs = runs
        self.count = 0
        self.tokened: set[int] = set()

    def __iter__(self) -> Iterator[bytes]:
        as_is, escaped = RAW_TOKENS
        number = 0
        for lines in self._runs:  # runs of lines, not a generator of them: one layer a line less
            for text in lines:
                number += 1
                if as_is.search(text) is not None or escaped.search(text) is not None:
                    self.tokened.add(number)
                yield text.removeprefix(UTF8_BOM)
        self.count = number


def _parsed(
    runs: Iterator[list[bytes]],
    options: ReconcileOptions,
    linked: set[tuple[str, str]],
    dealer: _Dealer,
) -> Iterator[list[tuple[int, int, bytes]]]:
    """One stretch's rows (its lines given as ``runs`` of them), each a :class:`Role`, its key
    and its blob, a batch at a time: its named items, with the latest times before each, a
    chunk's at a time dealt to their names' buckets (the key); then what its items of each
    bucket ask of other accounts' clocks, where each account's clock rises in it (if any item
    asks) and its end; the links its lines give go to ``linked``."""
    lines = _Lines(runs)
    latest = _Latest()
    parts: dict[int, list[_Parsed]] = {}
    linking = _Linking(links_kept(options.window))
    given: set[tuple[str, str, int]] = set()
    rises: _Rises | None = None
    hours: list[tuple[int, float, dict[str, float]]] = []
    hour, next_hour = -1, -math.inf
    named = 0
    unnamed = []
    dealt: dict[str, tuple[str, int]] = {}
    """Each customer's name and bucket, by the id its lines give (a customer has many lines)."""
    # A counted line (see _Latest), tested inline: a call a line costs parsing more. The same
    # test as ReconcileOptions.knows, and the reconciler's for a line in the future.
    horizon, accounts = options.now + CLOCK_SKEW, options.accounts
    line = position = 0
    for item in read_lines(lines):
        position = position + 1 if item.line == line else 0
        line = item.line
        order = line * ITEMS_PER_LINE + position
        if not isinstance(item, (Inbound, StatusUpdate)):  # a tuple: quicker than a union
            unnamed.append((order, _KIND[type(item)], _encode(item)))
            continue
        clock, account_clock = latest.clock, latest.accounts.get(item.account, -math.inf)
        name_and_bucket = dealt.get(item.customer)
        if name_and_bucket is None:
            name = e164(item.customer)
            name_and_bucket = dealt[item.customer] = name, dealer[name]
            linked.add((name, name))  # the name's own link, once a stretch (see _link)
        name, bucket = name_and_bucket
        _link(linked, item, name)
        encoded = msgspec.Raw(_ENCODER.encode(item))
        tokens = line in lines.tokened
        is_status = type(item) is StatusUpdate
        parsed = (order, name, clock, account_clock, tokens, is_status, encoded)
        parts.setdefault(bucket, []).append(parsed)
        # Only a counted line reaches the contact book.
        if item.at <= horizon and (accounts is None or item.account in accounts):
            if item.user_id or item.parent_user_id:
                if rises is None:
                    rises = _Rises(latest.accounts)
                if linking.anew(item, name, clock):
                    linking.items.append((order, name, item.account))
            if item.at >= next_hour:
                hours.append((order, item.at, dict(latest.accounts)))
                hour = int(item.at // HOUR)
                next_hour = hour * HOUR + HOUR
            latest.clock = item.at if item.at > clock else clock
            if item.at > account_clock:
                latest.accounts[item.account] = item.at
                if rises is not None:
                    rises.rise(item.account, order, item.at)
        # The hour the stretch's clock is in after the line, where the contact book notes it
        # saw the customer (a line it never sees, not counted, adds an hour at most: asking
        # more clocks is harmless). A set: a customer's lines fall in a few hours.
        given.add((name, item.account, hour))
        named += 1
        if named >= ITEMS_PER_CHUNK:
            yield _named_rows(parts)
            parts, named = {}, 0
            linking.clear()
    yield _named_rows(parts)
    end = _End(lines.count, latest, unnamed, hours, len(linking.items))
    asks = _dealt_asks(_Asks(list(given), linking.items), _NO_ROOTS, dealer)
    rows = [(Role.ASKS, bucket, _packed(_encode(each))) for bucket, each in asks.items()]
    if rises is not None and linking.items:
        rows.append((Role.RISES, -1, rises.blob()))
    yield [*rows, (Role.END, -1, _packed(_encode(end)))]


def _named_rows(parts: Mapping[int, list[_Parsed]]) -> list[tuple[int, int, bytes]]:
    """A chunk's items, dealt to their names' buckets: a row of the parsed log for each."""
    return [(Role.NAMED, bucket, _packed(_encode(_chunk(part)))) for bucket, part in parts.items()]


class _Linking:
    """Which of a stretch's items may link names anew (:attr:`items`: each one's place, customer
    and account), for the other accounts of its customer's group to settle first what the whole
    run settles before it (:attr:`~whatsapp_pricing.reconcile.ordering.Place.account_clocks`).

    A counted line with a user id or a parent id may; a line that names only a number links
    nothing anew. Nor does a line that gives the very names the chunk's last line naming any of
    them gave, while the contact book still holds that link: it finds them linked as it would
    link them. Most of a customer's lines give the same names, so few items ask the clocks."""

    def __init__(self, keep: float) -> None:
        self._keep = keep
        """How long the contact book holds a link (:func:`.links_kept`)."""
        self._last: dict[str, tuple[tuple[str, str, str], float]] = {}
        """The names the chunk's last line naming each name gave, and the latest time then."""
        self.items: list[tuple[int, str, str]] = []

    def anew(self, item: Inbound | StatusUpdate, name: str, clock: float) -> bool:
        """Whether a counted line with a user id or a parent id may link names anew; ``name``:
        its customer, ``clock``: the stretch's latest time before it."""
        names = (name, item.user_id, item.parent_user_id)
        seen = item.at if item.at > clock else clock
        last, keep = self._last, self._keep
        anew = False
        for each in names:
            if each:
                given = last.get(each)
                anew = anew or given is None or given[0] != names or seen >= given[1] + keep
                last[each] = (names, seen)
        return anew

    def clear(self) -> None:
        """Starts the next chunk."""
        self._last.clear()


class _Rises:
    """Where each account's clock rises in a stretch: the places of its counted lines later
    than all of its lines before them in the stretch, and their times. An account's clock at
    any place of the stretch is the time of its last rise before it, so these answer every
    clock a bucket may ask, in at most an entry a line, where a copy of every account's clock
    at each item that may link names grew with the log's accounts.

    Kept only from the stretch's first counted line with a user id or a parent id: no line
    before it may link names, nor ask a clock (a log without such lines pays nothing), and the
    clocks reached by then are the first rises."""

    def __init__(self, latest: Mapping[str, float]) -> None:
        """``latest``: each account's latest time so far, by id."""
        self._of: dict[str, tuple[array.array[int], array.array[float]]] = {}
        """By account id: the places and times, as machine numbers (16 bytes a rise)."""
        for account, at in latest.items():
            self.rise(account, -1, at)

    def rise(self, account: str, order: int, at: float) -> None:
        """The account's clock rises to ``at`` at place ``order``."""
        rises = self._of.get(account)
        if rises is None:
            rises = self._of[account] = (array.array("q"), array.array("d"))
        rises[0].append(order)
        rises[1].append(at)

    def blob(self) -> bytes:
        """The rises, encoded (:data:`_RISES`)."""
        return _packed(_encode({account: (orders.tobytes(), times.tobytes())
                                for account, (orders, times) in self._of.items()}))  # fmt: skip


_Parsed = tuple[int, str, float, float, bool, bool, msgspec.Raw]
"""A named item as parsing meets it, in the order of :class:`_Named`'s fields, the item
encoded at once (a chunk's items, kept whole until it ends, cost more to make and to encode
than their bytes): a tuple, which a chunk's columns are made of at once (:func:`_chunk`)."""


def _chunk(named: list[_Parsed]) -> _Named[msgspec.Raw, msgspec.Raw]:
    """The chunk of the items ``named``."""
    orders, customers, clocks, account_clocks, tokens, statuses, items = map(
        list, zip(*named, strict=True)
    )
    return _Named.of(orders, customers, clocks, account_clocks, tokens, statuses, items)


def _link(linked: set[tuple[str, str]], item: Inbound | StatusUpdate, name: str) -> None:
    """Notes the names a line gives its customer ``name`` (the statuses of one message are one
    customer's), besides the name itself (noted once a stretch, by the caller)."""
    if item.user_id:
        linked.add((item.user_id, name))
    if item.parent_user_id:
        linked.add((item.parent_user_id, name))
    if isinstance(item, StatusUpdate):
        linked.add((f"message {item.account} {item.message}", name))


def _link_rows(linked: Iterable[tuple[str, str]], slots: int) -> list[tuple[Any, ...]]:
    """The (link, name) pairs, a row for each hash of the link (:data:`PARSED`)."""
    by_slot: dict[int, list[tuple[str, str]]] = {}
    for pair in linked:
        by_slot.setdefault(_hash(pair[0], slots), []).append(pair)
    return [(Role.LINKS, slot, None, None, _encode(pairs)) for slot, pairs in by_slot.items()]


def _hash(name: str, buckets: int) -> int:
    """A name's bucket (the same in every process, unlike ``hash``)."""
    return zlib.crc32(name.encode()) % buckets


def _linking(rows: pyarrow.Table) -> pyarrow.Table:
    """The groups of names that share a link, of one hash of the links; or the stretches' ends,
    as they are."""
    if rows.column("role")[0].as_py() == Role.END:
        return rows
    names: dict[str, set[str]] = {}
    for blob in rows.column("blob").to_pylist():
        for link, name in _decode_links(blob):
            names.setdefault(link, set()).add(name)
    shared = [sorted(each) for each in names.values() if len(each) > 1]
    key = rows.column("key")[0].as_py()
    return _table([(Role.LINKS, key, None, None, _encode(shared))], PARSED)


def _read_ends(ends: pyarrow.Table) -> tuple[dict[Stretch, _End], list[list[str]]]:
    """Each stretch's end, and the groups of names that share a link."""
    stretches: dict[Stretch, _End] = {}
    shared: list[list[str]] = []
    columns = ("role", "file", "block", "blob")
    for role, file, block, blob in zip(
        *(ends.column(name).to_pylist() for name in columns), strict=True
    ):
        if role == Role.END:
            stretches[file, block] = _decode_end(blob)
        else:
            shared += _decode_shared(blob)
    return stretches, shared


def _unnamed(
    stretches: Mapping[Stretch, _End],
    places: Places,
    whole: Accounts,
    options: ReconcileOptions,
) -> tuple[list[Finding | Skipped], Changes]:
    """What the items that name no customer settle (``whole`` takes them, in log order), and
    the category changes of known accounts among them, with their places."""
    placed = sorted(
        (places[stretch][0] * ITEMS_PER_LINE + order, places[stretch][0], kind, blob)
        for stretch, end in stretches.items()
        for order, kind, blob in end.unnamed
    )
    early: list[Finding | Skipped] = []
    changes = []
    for order, start, kind, blob in placed:
        item = _decoded(kind, blob)
        item = renumbered(item, item.line + start)
        early += whole.add(item, Place(order))
        if isinstance(item, CategoryChange) and options.knows(item.account):
            changes.append((order, item))
    return early, changes


Places = Mapping[Stretch, tuple[int, _Latest]]
"""Each stretch's lines before it in the whole log, and the latest times before it."""


def _places(stretches: Mapping[Stretch, _End], paths: Sequence[str]) -> Places:
    """Each stretch's place: the logs in the order given (a folder's files by name), each
    file's blocks in order."""
    sources = [_uri(path).rstrip("/") for path in paths]

    def source(stretch: Stretch) -> tuple[int, str, int]:
        file = unquote(stretch[0])
        given = (i for i, s in enumerate(sources) if file == s or file.startswith(s + "/"))
        return next(given, len(sources)), file, stretch[1]

    places: dict[Stretch, tuple[int, _Latest]] = {}
    lines, running = 0, _Latest()
    for stretch in sorted(stretches, key=source):
        places[stretch] = (lines, running.copy())
        lines += stretches[stretch].lines
        latest = stretches[stretch].latest
        running.clock = max(running.clock, latest.clock)
        for account, at in latest.accounts.items():
            running.accounts[account] = max(running.accounts.get(account, -math.inf), at)
    return places


def _may_link(stretches: Mapping[Stretch, _End]) -> bool:
    """Whether a line of the log may link names: only such a line gives the contact book a
    link, which a bucket's items may need other accounts' clocks for, or the book let go of."""
    return any(end.links for end in stretches.values())


def _hours(stretches: Mapping[Stretch, _End], places: Places) -> list[_HourLine]:
    """The lines at which the whole log's clock enters a new hour, in log order: of each
    stretch's, those later than the hour the stretches before it reached. None in a log without
    a line that may link names: only such a line gives the contact book a link to let go of."""
    if not _may_link(stretches):
        return []
    hours = []
    for stretch, (start, before) in sorted(places.items(), key=lambda place: place[1][0]):
        clock = before.clock  # -inf // HOUR is not a number
        reached = -math.inf if clock == -math.inf else clock // HOUR * HOUR + HOUR
        hours += [_HourLine(start * ITEMS_PER_LINE + order, at, stretch, order)
                  for order, at, _ in stretches[stretch].hours if at >= reached]  # fmt: skip
    return hours


def _uri(path: str) -> str:
    """A path as Spark names the files under it (unquoted): ``file:/...`` for a local one."""
    if "://" in path or path.startswith("file:"):
        return unquote(path)
    return "file:" + os.path.abspath(path)


def _roots(shared: Iterable[list[str]]) -> dict[str, str]:
    """Each name joined to others by a link, with the name that stands for its group (a name
    that is not here is its own group): over-joining costs time, never correctness."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.get(name, name) != name:
            parent[name] = parent.get(parent[name], parent[name])
            name = parent[name]
        return name

    for names in shared:
        names = sorted(names)
        first = root(names[0])
        for other in names[1:]:
            parent[root(other)] = first
    return {name: root(name) for name in parent if root(name) != name}


class _Dealer(dict[str, int]):
    """Deals items to buckets by their customers' groups: ``dealer[group]`` is the bucket of a
    group's items (a hash of it, kept: a group has many items, and a dictionary's own lookup
    costs parsing less than a method call a line)."""

    def __init__(self, buckets: int) -> None:
        super().__init__()
        self._buckets = buckets

    def __missing__(self, group: str) -> int:
        bucket = self[group] = _hash(group, self._buckets)
        return bucket

    def deal(self, groups: Iterable[str | None]) -> dict[int, list[int]]:
        """The indices of the items of each bucket, by their groups (``None``: not dealt)."""
        dealt: dict[int, list[int]] = {}
        for index, group in enumerate(groups):
            if group is not None:
                dealt.setdefault(self[group], []).append(index)
        return dealt


def _dealing(
    roots: Mapping[str, str], buckets: int, names: frozenset[str]
) -> Callable[[Iterable[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]:
    """The items of ``names`` dealt again, from their names' buckets to their groups', as rows
    of :data:`DEALT`; the items themselves stay encoded."""

    def dealing(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        with _no_cycle_collection():
            yield from _dealt(batches, roots, _Dealer(buckets), names)

    return dealing


def _dealt(
    batches: Iterable[pyarrow.RecordBatch],
    roots: Mapping[str, str],
    dealer: _Dealer,
    names: frozenset[str],
) -> Iterator[pyarrow.RecordBatch]:
    """Each part's items of ``names`` dealt to their groups' buckets, a batch of rows for each
    batch of parts."""
    for batch in batches:
        rows = []
        for file, block, blob in zip(*(column.to_pylist() for column in batch), strict=True):
            part = _decode_named_raw(blob)
            groups = [roots.get(name, name) if name in names else None for name in part.customers]
            dealt = part.parts(dealer.deal(groups), groups)
            rows += [(Role.NAMED, bucket, file, block, _packed(_encode(each)))
                     for bucket, each in dealt]  # fmt: skip
        yield _batch(rows, DEALT)


def _asked_clocks(
    parsed: DataFrame,
    places: Places,
    roots: Mapping[str, str],
    buckets: int,
    releases: _Releases,
) -> DataFrame:
    """The clocks of accounts that the buckets are told (rows of :data:`DEALT`,
    :data:`Role.CLOCKS`): what each stretch's items ask, dealt to their groups' buckets, where
    each group's accounts are known: at each item that may link names, those but its own; at
    each line where the contact book may let go of a group's links, all of them. Then answered,
    a stretch at a time, from where its accounts' clocks rise and from its end (the clocks at
    its lines that enter a new hour)."""
    asks = parsed.where(f.col("role") == Role.ASKS).select("file", "block", "blob")
    asked = asks.mapInArrow(_regrouping(roots, buckets), ASKED)
    asked = asked.groupBy("bucket").applyInArrow(_asking(places, releases), ASKED)
    known = parsed.where(f.col("role").isin(Role.RISES, Role.END))
    known = known.select("role", "file", "block", "blob")
    stretches = asked.groupBy("file", "block").cogroup(known.groupBy("file", "block"))
    return stretches.applyInArrow(_telling(places), DEALT)


def _regrouping(
    roots: Mapping[str, str], buckets: int
) -> Callable[[Iterable[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]:
    """Each stretch's :class:`_Asks` of a bucket of names, by its customers' groups, dealt to
    the groups' buckets (rows of :data:`ASKED`)."""

    def regrouping(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        dealer = _Dealer(buckets)
        for batch in batches:
            rows = []
            for file, block, blob in zip(*(column.to_pylist() for column in batch), strict=True):
                dealt = _dealt_asks(_decode_asks(blob), roots, dealer)
                rows += [(bucket, file, block, _packed(_encode(asks)))
                         for bucket, asks in dealt.items()]  # fmt: skip
            yield _batch(rows, ASKED)

    return regrouping


def _dealt_asks(asks: _Asks, roots: Mapping[str, str], dealer: _Dealer) -> dict[int, _Asks]:
    """``asks`` by its customers' groups (``roots``; as parsed, none: each name its own), dealt
    to the groups' buckets."""
    dealt: dict[int, _Asks] = {}
    for name, account, hour in asks.names:
        group = roots.get(name, name)
        bucket = dealer[group]
        if bucket not in dealt:
            dealt[bucket] = _Asks([], [])
        dealt[bucket].names.append((group, account, hour))
    for order, name, account in asks.linking:
        group = roots.get(name, name)
        dealt[dealer[group]].linking.append((order, group, account))
    return dealt


def _asking(places: Places, releases: _Releases) -> Callable[[pyarrow.Table], pyarrow.Table]:
    def asking(bucket: pyarrow.Table) -> pyarrow.Table:
        return _asked(bucket, places, releases)

    return asking


def _asked(bucket: pyarrow.Table, places: Places, releases: _Releases) -> pyarrow.Table:
    """What a bucket asks of each stretch (rows of :data:`ASKED`, :data:`_ASKED`): at each item
    that may link names, the clock of every other account with items of its group; and of each
    group with such an item (only such a group has links in the contact book), at each line
    where the book may let go of one of them, the clock of every account with items of it."""
    files, blocks, blobs = (bucket.column(name).to_pylist() for name in ("file", "block", "blob"))
    # A stretch may have several rows: its names of several buckets, of groups of this one.
    asks = [((file, block), _decode_asks(blob))
            for file, block, blob in zip(files, blocks, blobs, strict=True)]  # fmt: skip
    accounts, hours = _groups_seen(asks, places)
    asked: dict[Stretch, set[tuple[int, str]]] = {}
    for stretch, ask in asks:
        asked.setdefault(stretch, set()).update(
            (order, other) for order, group, account in ask.linking
            for other in accounts[group] if other != account
        )  # fmt: skip
    linking = {group for _, ask in asks for _, group, _ in ask.linking}
    for group in linking:
        for line in releases.after(hours[group]):
            asked.setdefault(line.stretch, set()).update(
                (line.place, account) for account in accounts[group]
            )
    number = bucket.column("bucket")[0].as_py()
    rows = [(number, file, block, _packed(_encode(sorted(each))))
            for (file, block), each in asked.items() if each]  # fmt: skip
    return _table(rows, ASKED)


def _groups_seen(
    asks: Iterable[tuple[Stretch, _Asks]], places: Places
) -> tuple[dict[str, set[str]], dict[str, set[int]]]:
    """Each group's accounts, and the hours the whole log's clock was in after its lines: of
    each stretch, the later of its own clock's hour and the hour the stretches before reached."""
    accounts: dict[str, set[str]] = {}
    hours: dict[str, set[int]] = {}
    for stretch, ask in asks:
        before = places[stretch][1].clock
        reached = int(before // HOUR) if before > -math.inf else -1
        for group, account, hour in ask.names:
            accounts.setdefault(group, set()).add(account)
            hours.setdefault(group, set()).add(hour if hour > reached else reached)
    return accounts, hours


class _Releases:
    """Where the contact book may let go of a link: at which of the lines that enter a new hour
    (:class:`_HourLine`, in log order) a customer last seen in a given hour may be let go of.

    The book lets a customer go at the first such line whose hour, less how long it keeps a link,
    is later than when a line last named the customer: for any time in an hour, no earlier than
    the first line past the hour's start, no later than the first past its end (with a keep of
    whole hours, the same line; else that one or the next)."""

    def __init__(self, lines: Sequence[_HourLine], keep: float) -> None:
        self._lines = lines
        self._before = [let_go_before(line.at, keep) for line in lines]
        """What each line lets go of: the customers last seen before this."""

    def after(self, hours: Iterable[int]) -> list[_HourLine]:
        """The lines at which the book may let go of a customer last seen in one of ``hours``
        (hours since the epoch), in log order."""
        before = self._before
        found: set[int] = set()
        for hour in hours:
            start = hour * HOUR
            first = bisect.bisect_right(before, start)
            found.update(range(first, bisect.bisect_left(before, start + HOUR, first) + 1))
        return [self._lines[index] for index in sorted(found) if index < len(self._lines)]


def _telling(places: Places) -> Callable[[pyarrow.Table, pyarrow.Table], pyarrow.Table]:
    def telling(asked: pyarrow.Table, known: pyarrow.Table) -> pyarrow.Table:
        return _told(asked, known, places)

    return telling


def _told(asked: pyarrow.Table, known: pyarrow.Table, places: Places) -> pyarrow.Table:
    """The clocks the buckets ask of one stretch (``asked``), from its rows that know them
    (``known``: its end, and where its accounts' clocks rise if any item of it may link names):
    for each bucket, a row of :data:`DEALT`."""
    if not asked.num_rows:
        return _table([], DEALT)  # a stretch of whose lines no bucket asks a clock
    file, block = asked.column("file")[0].as_py(), asked.column("block")[0].as_py()
    rises: dict[str, tuple[bytes, bytes]] = {}
    hours: dict[int, dict[str, float]] = {}
    for role, blob in zip(*(known.column(name).to_pylist() for name in ("role", "blob")),
                          strict=True):  # fmt: skip
        if role == Role.RISES:
            rises = _decode_rises(blob)
        else:
            hours = {order: latest for order, _, latest in _decode_end(blob).hours}
    clock_at = _Clocks(rises, hours, places[file, block][1])
    told: dict[int, dict[int, dict[str, float]]] = {}
    for number, blob in zip(*(asked.column(name).to_pylist() for name in ("bucket", "blob")),
                            strict=True):  # fmt: skip
        clocks = told.setdefault(number, {})
        for order, account in _decode_asked(blob):
            clocks.setdefault(order, {})[account] = clock_at(account, order)
    rows = [(Role.CLOCKS, number, file, block, _packed(_encode(clocks)))
            for number, clocks in told.items()]  # fmt: skip
    return _table(rows, DEALT)


class _Clocks:
    """Each account's clock at a place of a stretch that a bucket asks of: the latest time of
    its counted lines before it, in the stretches before (``before``) or in the stretch itself:
    at a line that enters a new hour, its latest there (``hours``, of :attr:`_End.hours`);
    elsewhere, its last rise before the place (of ``rises``: :data:`_RISES`, kept from the
    stretch's first line with a user id or a parent id, and so at every line that may link
    names, the only other line asked of)."""

    def __init__(
        self,
        rises: Mapping[str, tuple[bytes, bytes]],
        hours: Mapping[int, Mapping[str, float]],
        before: _Latest,
    ) -> None:
        self._rises, self._hours, self._before = rises, hours, before
        self._read: dict[str, tuple[array.array[int], array.array[float]]] = {}
        """The rises of the accounts asked so far, as numbers (a bisection reads a few)."""

    def __call__(self, account: str, order: int) -> float:
        clock = self._before.accounts.get(account, -math.inf)
        latest = self._hours.get(order)
        if latest is not None:
            at = latest.get(account, -math.inf)
            return at if at > clock else clock
        rises = self._read.get(account)
        if rises is None:
            orders, times = self._rises.get(account, (b"", b""))
            rises = self._read[account] = (array.array("q", orders), array.array("d", times))
        index = bisect.bisect_left(rises[0], order)  # the rises before the place
        if not index:
            return clock
        risen = rises[1][index - 1]
        return risen if risen > clock else clock


class _Claims:
    """Counts with placeholders, and notes each count for pass 2: a conversation's id is a
    token, a free tier's count is past the allowance, any other count is the bucket's own.

    The engine's :class:`~whatsapp_pricing.engine.Counters`, not a subclass of its
    :class:`~whatsapp_pricing.engine.Tally`: a class of this (uncompiled) module may not
    inherit from a compiled one."""

    def __init__(self, account: str, claims: list[_Count], tokens: Iterator[int]) -> None:
        self._account, self._claims, self._tokens = account, claims, tokens
        self._own = Tally()

    def next(
        self,
        key: Key,
        at: float,
        order: int,
        free: int | None = None,
        counted: Counted | None = None,
    ) -> int:
        if key == CONVERSATIONS:
            number, alike = next(self._tokens), Alike.NAME
        elif free is not None:
            number, alike = free + 1, free
        else:
            number, alike = self._own.next(key, at, order), Alike.EVERY
        count = _Count(self._account, _key(key), at, order, number, alike, counted=counted)
        self._claims.append(count)
        return number


class _Positions:
    """The positions pass 2 ranked, for the events of one bucket's account (the engine's
    :class:`~whatsapp_pricing.engine.Counters`)."""

    def __init__(self, account: str, positions: Mapping[tuple[str, str, int], int]) -> None:
        self._account, self._positions = account, positions

    def next(
        self,
        key: Key,
        at: float,
        order: int,
        free: int | None = None,
        counted: Counted | None = None,
    ) -> int:
        return self._positions[self._account, _key(key), order]


@functools.cache
def _key(key: Key) -> str:
    """A counter's key as a word (a bucket has few keys, and counts each many times)."""
    return json.dumps(key, default=str)


_NO_ROOTS: Mapping[str, str] = MappingProxyType({})
"""No name joined to another: each is its own group (:func:`_roots`)."""


class _Item(NamedTuple):
    """An item of a bucket, at its place in the whole log, with its customer's group (a tuple:
    a bucket makes one for each of its items, which a frozen dataclass makes three times
    slower). Its place comes first: the bucket's items are sorted by it."""

    place: Place
    item: Inbound | StatusUpdate | CategoryChange
    group: str
    tokens: bool


class _Hour(NamedTuple):
    """The whole log's clock entering a new hour (:data:`Hours`), among a bucket's items: at the
    place of the line that moves it, to ``place.clock``, with the clocks the bucket is told
    there (``place.account_clocks``)."""

    place: Place
    item: None = None
    group: str = ""
    tokens: bool = False


def _placed(
    dealt: pyarrow.Table,
    places: Places,
    hours: Hours,
    roots: Mapping[str, str] = _NO_ROOTS,
    moved: Set[str] = frozenset(),
) -> tuple[list[_Item], list[_Hour]]:
    """A bucket's items (:func:`_items`) and the log's new hours among them, each with the
    clocks the bucket is told at its place."""
    told = _told_clocks(dealt, places)
    return _items(dealt, places, told, roots, moved), _hours_told(hours, told)


def _items(
    dealt: pyarrow.Table,
    places: Places,
    told: Mapping[int, Mapping[str, float]],
    roots: Mapping[str, str] = _NO_ROOTS,
    moved: Set[str] = frozenset(),
) -> list[_Item]:
    """A bucket's items, decoded, at their places in the whole log, each with its customer's
    group (``roots``), but the items of the names ``moved`` (to their groups' buckets); an item
    with the clocks the bucket is told at its place (``told``), if any."""
    named = dealt.filter(_is(dealt, "role", Role.NAMED))
    items: list[_Item] = []
    for file, block, blob in zip(
        *(named.column(name).to_pylist() for name in ("file", "block", "blob")), strict=True
    ):
        start, before = places[file, block]
        shift, latest, account_latest = start * ITEMS_PER_LINE, before.clock, before.accounts
        part = _decode_named(blob)
        for order, name, clock, account_clock, tokens, item in zip(
            part.orders, part.customers, part.clocks, part.account_clocks, part.tokens,
            part.in_order(), strict=True,
        ):  # fmt: skip
            if name in moved:
                continue
            group = roots.get(name, name) if roots else name
            if start:  # the stretch numbered its lines from 1 (renumbered, without its checks)
                item = msgspec.structs.replace(item, line=item.line + start)
            if latest > -math.inf:  # the stretches before it moved the clocks
                clock = latest if latest > clock else clock
                at = account_latest.get(item.account, -math.inf)
                account_clock = at if at > account_clock else account_clock
            order += shift
            place = _new(Place, (order, clock, account_clock, told.get(order) if told else None))
            items.append(_new(_Item, (place, item, group, tokens)))
    return items


_new = tuple.__new__
"""A named tuple made from its fields in order: its class's own ``__new__`` is a Python
function, which would cost a bucket about 0.25 µs an item for each of the two it makes."""


def _told_clocks(dealt: pyarrow.Table, places: Places) -> dict[int, dict[str, float]]:
    """The clocks a bucket is told (:data:`_CLOCKS`), by place in the whole log: at its items
    that may link names, and at the lines where its contact book may let go of a link."""
    rows = dealt.filter(_is(dealt, "role", Role.CLOCKS))
    told: dict[int, dict[str, float]] = {}
    for file, block, blob in zip(
        *(rows.column(name).to_pylist() for name in ("file", "block", "blob")), strict=True
    ):
        shift = places[file, block][0] * ITEMS_PER_LINE
        told.update((order + shift, clocks) for order, clocks in _decode_clocks(blob).items())
    return told


def _hours_told(hours: Hours, told: Mapping[int, Mapping[str, float]]) -> list[_Hour]:
    """The log's new hours among a bucket's items, each with the clocks it is told there (none
    where it has no link the contact book may let go of)."""
    return [_Hour(Place(order, at, account_clocks=told.get(order, _NONE_TOLD)))
            for order, at in hours]  # fmt: skip


_NONE_TOLD: Mapping[str, float] = MappingProxyType({})


def _run(
    items: list[_Item],
    hours: list[_Hour],
    options: ReconcileOptions,
    changes: Changes,
    counters: Callable[[str], Counters],
) -> Iterator[tuple[str, int, Finding | Skipped]]:
    """The project's reconciler over one bucket's items in log order, with the category changes
    and the log's new hours among them; each result with its customer's group and the place of
    the item that settled it.

    One reconciler takes the whole bucket: it keeps each customer apart as the run over the
    whole log does, and starting one per customer would cost more than the rules.

    The run takes ``items`` (it empties the list as it starts), so that each item is freed once
    the reconciler is done with it, as the run over the whole log frees each line. Kept until
    the bucket ended, they were all freed together, when the processor's cache no longer held
    them: 2 to 5% more for pass 1."""
    reconciler = Accounts(options, counters)
    accounts = {each.item.account for each in items}
    message_groups = {
        (each.item.account, each.item.message): each.group
        for each in items
        if isinstance(each.item, StatusUpdate)
    }
    # An hour first, at the place of the line that begins it (the sort keeps the order).
    placed: list[_Item | _Hour] = [*hours, *items]
    placed += [_Item(Place(order), change, "", False) for order, change in changes
               if change.account in accounts]  # fmt: skip
    placed.sort(key=_PLACE)
    placed.reverse()  # taken from the end, in log order
    items.clear()
    order = 0
    while placed:
        place, item, group, _ = placed.pop()
        order = place.order
        if item is None:
            assert place.account_clocks is not None
            results = reconciler.new_hour(place.clock, place.account_clocks)
        else:
            results = reconciler.add(item, place)
        if results and not isinstance(item, CategoryChange):  # a change's verdict is the driver's
            for each in results:  # a loop: one generator, not one yielding from another
                yield _group(each, group, message_groups), order, each
    for settled in reconciler.finish():
        yield _group(settled, "", message_groups), order, settled


_PLACE = operator.attrgetter("place.order")
"""An item's place in the log (a number: Python sorts a list by numbers fastest)."""


def _group(settled: Finding | Skipped, group: str, groups: Mapping[tuple[str, str], str]) -> str:
    """The group a result is of: a finding's message's; a skipped line is the item's own."""
    if isinstance(settled, Finding):
        return groups[settled.account, settled.message]
    return group


def _settled(results: Iterable[tuple[str, int, Finding | Skipped]]) -> _Settled[Fields]:
    """Results, each with its group and place, to be encoded (:class:`_Settled`)."""
    settled: _Settled[Fields] = _Settled([], [], [], [], [])
    for group, order, each in results:
        if isinstance(each, Finding):
            settled.findings.append(_ROW_OF(each))
        else:
            settled.skipped_at.append(len(settled.orders))
            settled.skipped.append(each)
        settled.groups.append(group)
        settled.orders.append(order)
    return settled


def _unsettled(settled: _Settled[_FindingRow]) -> Iterator[tuple[str, int, _FindingRow | Skipped]]:
    """The results :func:`_settled` gave, in their order, each finding still its row
    (:func:`_made` makes it one only if it is kept)."""
    if not settled.skipped:  # most buckets: findings only, zipped as they are
        return zip(settled.groups, settled.orders, settled.findings, strict=True)
    findings, skipped = iter(settled.findings), iter(settled.skipped)
    skipped_at = set(settled.skipped_at)
    results = (
        next(skipped) if index in skipped_at else next(findings)
        for index in range(len(settled.orders))
    )
    return zip(settled.groups, settled.orders, results, strict=True)


def _made(result: _FindingRow | Skipped, ids: Mapping[int, int] | None = None) -> Finding | Skipped:
    """A result of :func:`_unsettled` as the reconciler gave it; with ``ids``, the tokens in a
    finding's words replaced by the conversations' ids."""
    if isinstance(result, Skipped):
        return result
    if ids is not None and "c9" in result.detail:
        result.detail = _untokened(result.detail, ids)
    return result.finding()


def _untokened(detail: str, ids: Mapping[int, int]) -> str:
    """``detail`` with each token that ``ids`` knows replaced by its conversation's id (split,
    not substituted: a call per token of a Python function would cost a finding more)."""
    parts = TOKENS.split(detail)
    if len(parts) == 3:  # most often one token
        position = ids.get(int(parts[1]))
        return detail if position is None else f"{parts[0]}c{position}{parts[2]}"
    for index in range(1, len(parts), 2):
        position = ids.get(int(parts[index]))
        parts[index] = f"c{parts[index] if position is None else position}"
    return "".join(parts)


def _counting(
    options: ReconcileOptions,
    changes: Changes,
    hours: Hours,
    places: Places,
    roots: Mapping[str, str],
    moved: frozenset[str],
) -> Callable[[pyarrow.Table], pyarrow.Table]:
    def counting(bucket: pyarrow.Table) -> pyarrow.Table:
        with _no_cycle_collection():
            return _counted_bucket(bucket, options, changes, hours, places, roots, moved)

    return counting


def _counted_bucket(
    bucket: pyarrow.Table,
    options: ReconcileOptions,
    changes: Changes,
    hours: Hours,
    places: Places,
    roots: Mapping[str, str],
    moved: frozenset[str],
) -> pyarrow.Table:
    """Pass 1 of a bucket: its results (one row), and its counts, a row each
    (:data:`COUNTED`)."""
    number = bucket.column("bucket")[0].as_py()
    items, new_hours = _placed(bucket, places, hours, roots, moved)
    counts: list[_Count] = []
    tokens = itertools.count(TOKEN + number * TOKENS_PER_BUCKET + 1)
    claims = lambda account: _Claims(account, counts, tokens)  # noqa: E731
    # What pass 1 needs of its items once they have run (the run takes them, see _run).
    groups = {each.place.order: each.group for each in items}
    tokened = [(each.place.order, each.group) for each in items if each.tokens]
    settled = _settled(_run(items, new_hours, options, changes, claims))
    results = _packed(_encode(settled))
    # A finding is repriced by its account and message id: where a bucket has two of one (an
    # id sent again after its first was forgotten), its customer runs again instead.
    found = collections.Counter(map(_ACCOUNT_MESSAGE, settled.findings))
    for count in counts:
        count.group = groups[count.order]
        counted = count.counted
        if counted is not None and found[count.account, counted.message] != 1:
            count.counted = None
    counts += [_Count("", "", 0.0, order, 0, Alike.NONE, group)
               for order, group in tokened]  # fmt: skip
    priced = [(count.account, count.order, count.counted) for count in counts if count.priced]
    rows: list[tuple[Any, ...]] = [(Kind.RESULT, number, results)]
    if priced:
        rows.append((Kind.PRICED, number, _packed(_encode(priced))))
    if counts:
        columns = [(number, count.account, count.key, count.at, count.order, count.provisional,
                    count.alike, count.group, count.priced) for count in counts]  # fmt: skip
        rows.append((Kind.COUNTS, number, _stream(_batch(columns, COUNTS))))
    return _table(rows, COUNTED)


def _finishing(
    options: ReconcileOptions, changes: Changes, hours: Hours, places: Places
) -> Callable[[pyarrow.Table, pyarrow.Table], pyarrow.Table]:
    def finishing(items: pyarrow.Table, ranked: pyarrow.Table) -> pyarrow.Table:
        with _no_cycle_collection():
            return _finished_bucket(items, ranked, options, changes, hours, places)

    return finishing


def _finished_bucket(
    items: pyarrow.Table,
    ranked: pyarrow.Table,
    options: ReconcileOptions,
    changes: Changes,
    hours: Hours,
    places: Places,
) -> pyarrow.Table:
    """Pass 2 of a bucket: the patch of pass 1's results: the conversations' ids, the counted
    messages whose positions change their charges, and the other customers whose positions
    change a price, run again with the positions (``items``: theirs, and the counted messages).
    One row of :data:`PATCHED`."""
    # A customer runs again only for a count of its bucket, so a bucket with items has counts.
    assert ranked.num_rows, "a bucket's customers run again without a count of theirs"
    blobs, groups = (ranked.column(name).to_pylist() for name in ("blob", "again"))
    counts = _streamed_counts(blobs)
    again = sorted({group for blob in groups if blob is not None for group in _decode_groups(blob)})
    names = counts.filter(_is(counts, "alike", Alike.NAME))
    tokens, positions = (names.column(name).to_pylist() for name in ("provisional", "position"))
    is_priced = _is(items, "role", Role.PRICED)
    counted = items.filter(is_priced).column("blob")
    repriced = _repriced(counts, counted.to_pylist(), set(again), options)
    items = items.filter(pyarrow.compute.invert(is_priced))
    rerun: Iterable[tuple[str, int, Finding | Skipped]] = ()
    if items.num_rows:
        theirs = counts.filter(
            pyarrow.compute.is_in(
                counts.column("group"), arrow_columns.column(again, pyarrow.string())
            )
        )
        accounts, keys, orders, ranks = (
            theirs.column(name).to_pylist() for name in ("account", "key", "order", "position")
        )
        ranked_at = dict(zip(zip(accounts, keys, orders, strict=True), ranks, strict=True))
        counters = lambda account: _Positions(account, ranked_at)  # noqa: E731
        rerun = _run(*_placed(items, places, hours), options, changes, counters)
    ids = dict(zip(tokens, positions, strict=True))
    patch = _Patch(ids, again, _settled(rerun), repriced)
    number = ranked.column("bucket")[0].as_py()
    return _table([(number, _packed(_encode(patch)))], PATCHED)


def _repriced(
    counts: pyarrow.Table, counted: Iterable[bytes], again: Set[str], options: ReconcileOptions
) -> list[_Repriced]:
    """The counted messages (``counted``: pass 1's rows of them) whose positions change their
    charges, each repriced by its account's engine; but those of customers run ``again``,
    whose findings the rerun gives."""
    alike, provisional, positions = (
        arrow_columns.to_numpy(counts.column(name)) for name in ("alike", "provisional", "position")
    )
    changed = _changed(alike, provisional, positions)
    changed &= arrow_columns.to_numpy(counts.column("priced"))
    if not changed.any():
        return []
    theirs = counts.filter(arrow_columns.from_numpy(changed))
    accounts, orders, ranks, groups = (
        theirs.column(name).to_pylist() for name in ("account", "order", "position", "group")
    )
    messages = {(account, order): each for blob in counted
                for account, order, each in _decode_priced(blob)}  # fmt: skip
    engines: dict[str, ConversationEngine] = {}
    repriced = []
    for account, order, rank, group in zip(accounts, orders, ranks, groups, strict=True):
        if group in again:
            continue
        engine = engines.get(account)
        if engine is None:
            settings = options.account_of(account)
            assert settings is not None, "a message of an account the run does not price"
            engine = engines[account] = ConversationEngine(settings, options.rate_book)
        message = messages[account, order]
        charge, rule, reason = engine.at_position(message, rank)
        repriced.append(_Repriced(account, message.message, str(rule), charge_said(charge), reason))
    return repriced


def _patched(results: bytes, patch: _Patch[_FindingRow]) -> Iterator[Finding | Skipped]:
    """A bucket's findings, in log order: pass 1's with the conversations' ids in place of the
    tokens and the repriced messages' charges, but those of the customers run again, whose
    findings are the rerun's."""
    again = set(patch.again)
    settled = _unsettled(_decode_settled(results))
    if patch.repriced:
        repriced = {(each.account, each.message): each for each in patch.repriced}
        settled = ((group, order, _repriced_finding(result, repriced))
                   for group, order, result in settled)  # fmt: skip
    kept = [(order, _made(result, patch.ids)) for group, order, result in settled
            if group not in again]  # fmt: skip
    if again:  # the customers run again: the rerun's findings, in place of pass 1's
        kept += [(order, _made(result)) for _, order, result in _unsettled(patch.rerun)]
        # Two runs in log order, merged by a stable sort: at one place, pass 1's come first.
        kept.sort(key=_FIRST)
    return map(_SECOND, kept)


_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


def _repriced_finding(
    result: _FindingRow | Skipped, repriced: Mapping[tuple[str, str], _Repriced]
) -> _FindingRow | Skipped:
    """Pass 1's finding of a message, with the charge, rule and reason its position gives, if
    pass 2 repriced it (a finding that agrees gives the reason as its detail; one that does
    not, its problems, which the position never changes)."""
    if isinstance(result, Skipped):
        return result
    new = repriced.get((result.account, result.message))
    if new is None or not result.predicted:
        return result  # not repriced; or no charge in its finding (a late line's)
    result.rule, result.predicted["charge"] = new.rule, new.charge
    if result.outcome == "agrees":
        result.detail = new.reason
    return result


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A bucket's results and counts are all alive until its call ends, and its items until the
    reconciler is done with each: Python's cycle collector would walk them again and again (a
    third of pass 1's time) and find nothing to free, so it waits until the call is over.

    What is alive as the call starts (the worker's modules, pyarrow's among them, which a
    worker imports after its fork) is moreover frozen out of the collector's sight: Spark's
    daemon runs a full collection after every task, which walked all of it each time (about
    60 ms a task)."""
    gc.freeze()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _is(table: pyarrow.Table, name: str, value: int) -> pyarrow.ChunkedArray:
    """Whether each row's column ``name`` is ``value`` (a :class:`Role` or an :class:`Alike`),
    compared with Arrow's scalar: given the number itself, pyarrow would import pandas to make
    one (see :mod:`~whatsapp_pricing.arrow_columns`)."""
    return pyarrow.compute.equal(table.column(name), arrow_columns.scalar(value))


def _table(rows: Sequence[tuple[Any, ...]], schema: StructType) -> pyarrow.Table:
    """An Arrow table of ``rows`` with the Spark ``schema``, as the Arrow functions return."""
    return pyarrow.Table.from_batches([_batch(rows, schema)])


def _batch(rows: Sequence[tuple[Any, ...]], schema: StructType) -> pyarrow.RecordBatch:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) or [() for _ in schema]
    return pyarrow.RecordBatch.from_arrays(
        [arrow_columns.column(column, _ARROW[field.dataType.simpleString()])
         for column, field in zip(columns, schema, strict=True)],
        names=[field.name for field in schema],
    )  # fmt: skip


_ARROW = {
    "bigint": pyarrow.int64(),
    "double": pyarrow.float64(),
    "string": pyarrow.string(),
    "binary": pyarrow.binary(),
    "boolean": pyarrow.bool_(),
}
