"""Putting a log back in time order: where an item stands in the log, the entries of the time
queues that hold events back until the log has moved a reorder window past them, and the
hourly queue of what is settled once an hour of log time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from heapq import heappop, heappush
from typing import Generic, NamedTuple, TypeVar

from whatsapp_pricing.engine import HOUR

T = TypeVar("T")
E = TypeVar("E")


class Place(NamedTuple):
    """Where an item stands in the whole log, for a run that reads only part of it (on Spark).

    A run over the whole log knows all this by itself; a run over one customer's lines is told
    it, so that it releases, cleans up and judges lateness exactly as the whole run would.
    """

    order: int
    """The item's position in the log: ties in time are broken by it."""
    clock: float = -math.inf
    """The latest time of the lines before it that named a customer, in the whole log."""
    account_clock: float = -math.inf
    """The same, among its own account's lines."""
    account_clocks: Mapping[str, float] | None = None
    """The clock here (the latest time of its lines before it) of each account that must first
    settle what the whole run settles before the line, by id: the contact book is every
    account's, and a link, made or let go of, changes only its own customer's names. Spark
    tells an item that may link a customer's names the clock of each other account with lines
    of the customer's group; and, where the whole log's clock enters a new hour, the clock of
    each account with lines of a group whose link the book may let go of there (an item at
    that place is told them too: settling to a clock the whole run has reached is always
    harmless). ``None`` where it tells none."""


Held = tuple[float, int, T]
"""An entry of a time queue: the time it is held for, its place in the log (ties in time go
by it, so it must be unique within a queue), and what is held.

A time queue is a plain list kept as a heap by :mod:`heapq`: the C functions push and pop an
entry for less than the Python method calls of a queue of its own would cost, and a log's
lines, mostly in time order, seldom move an entry far."""


class TimeQueue(Generic[T]):
    """Events held back until the log has moved a reorder window past them, handed out in the
    order of their times (ties by their places in the log).

    A log is mostly in time order, so most entries come later than every entry before them:
    those wait in a first-in first-out run, pushed and taken out for an append and a step of
    an index each. Only an entry that comes earlier than the run's last goes to a heap
    (:mod:`heapq`), and the two are merged as they are taken out: the same order a single heap
    would give, without a score of comparisons for each entry of a log in order.
    """

    __slots__ = ("_heap", "_next", "_run")

    def __init__(self) -> None:
        self._run: list[Held[T]] = []
        """Entries in time order, each later than the one before it, from :attr:`_next` on.

        A list read from an index, not a deque: compiled, a list's append and item are native,
        a deque's are Python method calls."""
        self._next = 0
        """Where the run's entries still held begin (those before it are handed out)."""
        self._heap: list[Held[T]] = []
        """The entries that came out of order."""

    def __len__(self) -> int:
        return len(self._run) - self._next + len(self._heap)

    def push(self, at: float, order: int, item: T) -> None:
        """Holds ``item`` until the log is a window past ``at``; ``order`` is unique."""
        run = self._run
        if len(run) > self._next:
            last = run[-1]
            if at > last[0] or (at == last[0] and order > last[1]):
                run.append((at, order, item))
            else:
                heappush(self._heap, (at, order, item))
        else:
            run.append((at, order, item))

    def earliest(self) -> float:
        """The time of the earliest entry (infinity if there is none)."""
        run, heap, first = self._run, self._heap, self._next
        if heap:
            return min(heap[0][0], run[first][0]) if len(run) > first else heap[0][0]
        return run[first][0] if len(run) > first else math.inf

    def due(self, until: float) -> list[Held[T]]:
        """Takes out every entry held for ``until`` or earlier, in time order."""
        run, heap, first = self._run, self._heap, self._next
        due: list[Held[T]] = []
        while heap and heap[0][0] <= until:
            # Entries' orders differ: their items are never compared.
            if len(run) > first and run[first] < heap[0]:
                due.append(run[first])
                first += 1
            else:
                due.append(heappop(heap))
        while len(run) > first and run[first][0] <= until:
            due.append(run[first])
            first += 1
        if first == len(run):  # all handed out: the run starts again
            run.clear()
            first = 0
        elif first > 1024 and first * 2 > len(run):  # let go of what is handed out
            del run[:first]
            first = 0
        self._next = first
        return due


def hour_due(at: float) -> int:
    """The hour (by the number of hours since 1970) at whose end something due at ``at`` is
    handed out: the first whole hour not before it."""
    hour = math.ceil(at / HOUR)
    if (hour - 1) * HOUR >= at:  # the division rounded up past a whole hour
        hour -= 1
    return hour


class _Hours(Generic[E]):
    """Entries kept by the hour they are due in, each hour's taken out whole once it ends: for
    what the reconciler settles or forgets at most once an hour of log time.

    These hold a month of a log's messages, where a heap would cost a score of comparisons to
    pop each; here an entry costs an append to its hour's list.
    """

    def __init__(self) -> None:
        self._items: dict[int, list[E]] = {}
        """Each hour's entries: those due after the hour before it ends, until it ends."""
        self._hours: list[int] = []
        """The hours that have entries (a heap), by the number of hours since 1970."""

    def _hour(self, at: float) -> list[E]:
        """The list of the entries due at ``at``."""
        hour = hour_due(at)
        items = self._items.get(hour)
        if items is None:
            items = self._items[hour] = []
            heappush(self._hours, hour)
        return items

    def _ended(self, until: float) -> list[list[E]]:
        """Takes out the entries of every hour that has ended by ``until``, hour by hour."""
        ended: list[list[E]] = []
        hours, items = self._hours, self._items
        while hours and hours[0] * HOUR <= until:
            ended.append(items.pop(heappop(hours)))
        return ended


class ByHour(_Hours[Held[T]]):
    """Items due at a time, handed out by the hour in time order (ties by the order given):
    each hour's items are sorted once, when the hour comes (mostly in order already, which
    Python's sort is fastest on)."""

    def push(self, at: float, order: int, item: T) -> None:
        """Holds ``item``, due at ``at``; items due at the same time go by ``order``."""
        self._hour(at).append((at, order, item))

    def due(self, until: float) -> list[Held[T]]:
        """Takes out every item due by ``until`` (a whole hour, or infinity), in time order."""
        due: list[Held[T]] = []
        for items in self._ended(until):
            due += sorted(items)
        return due


class InAnyOrder(_Hours[T]):
    """Items handed out by the hour they are due in, in no particular order: for what is only
    let go of (the ids of settled messages), which needs neither its time nor a place kept
    beside it for a month."""

    def push(self, at: float, item: T) -> None:
        """Holds ``item``, due at ``at``."""
        self._hour(at).append(item)

    def due(self, until: float) -> list[T]:
        """Takes out every item due by ``until`` (a whole hour, or infinity)."""
        due: list[T] = []
        for items in self._ended(until):
            due += items
        return due
