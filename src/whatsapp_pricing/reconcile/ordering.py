"""Putting a log back in time order: where an item stands in the log, the entries of the time
queues that hold events back until the log has moved a reorder window past them, and the
hourly queue of what is settled once an hour of log time."""

from __future__ import annotations

import math
from heapq import heappop, heappush
from typing import Generic, NamedTuple, TypeVar

from whatsapp_pricing.engine import HOUR

T = TypeVar("T")


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


Held = tuple[float, int, T]
"""An entry of a time queue: the time it is held for, its place in the log (ties in time go
by it, so it must be unique within a queue), and what is held.

A time queue is a plain list kept as a heap by :mod:`heapq`: the C functions push and pop an
entry for less than the Python method calls of a queue of its own would cost, and a log's
lines, mostly in time order, seldom move an entry far."""


class ByHour(Generic[T]):
    """Items due at a time, handed out by the hour: for what the reconciler settles at most
    once an hour of log time (messages never delivered, the ids of settled ones it may forget).

    These hold a month of a log's messages, where a heap would cost a score of comparisons to
    pop each; here an item costs an append to its hour's list, and each hour's items are
    sorted once, when the hour comes (mostly in order already, which Python's sort is fastest
    on).
    """

    def __init__(self) -> None:
        self._items: dict[int, list[Held[T]]] = {}
        """Each hour's items: those due after the hour before it ends, until it ends."""
        self._hours: list[int] = []
        """The hours that have items (a heap), by the number of hours since 1970."""

    def push(self, at: float, order: int, item: T) -> None:
        """Holds ``item``, due at ``at``; items due at the same time go by ``order``."""
        hour = math.ceil(at / HOUR)
        if (hour - 1) * HOUR >= at:  # the division rounded up past a whole hour
            hour -= 1
        items = self._items.get(hour)
        if items is None:
            items = self._items[hour] = []
            heappush(self._hours, hour)
        items.append((at, order, item))

    def due(self, until: float) -> list[Held[T]]:
        """Takes out every item due by ``until`` (a whole hour, or infinity), in time order."""
        due: list[Held[T]] = []
        hours, items = self._hours, self._items
        while hours and hours[0] * HOUR <= until:
            due += sorted(items.pop(heappop(hours)))
        return due
