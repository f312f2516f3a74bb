"""Putting a log back in time order: where an item stands in the log, and the time queue that
holds events back until the log has moved a reorder window past them."""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from typing import Generic, NamedTuple, TypeVar

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


class TimeQueue(Generic[T]):
    """Items by time, ties in the order pushed; cheapest when they come nearly in time order.

    A log's lines mostly do, so items that arrive in order wait in a plain FIFO and only the
    stragglers go to a heap: most pops then cost no comparison at all.
    """

    def __init__(self) -> None:
        self._in_order: deque[tuple[float, int, T]] = deque()
        self._stragglers: list[tuple[float, int, T]] = []
        self._pushed = itertools.count()

    def __len__(self) -> int:
        return len(self._in_order) + len(self._stragglers)

    @property
    def first(self) -> float:
        """The earliest time held; only for a queue that holds something."""
        in_order, stragglers = self._in_order, self._stragglers
        if in_order:
            return min(in_order[0][0], stragglers[0][0]) if stragglers else in_order[0][0]
        return stragglers[0][0]

    def push(self, at: float, item: T, order: int | None = None) -> None:
        """Holds ``item`` for ``at``; ties go by ``order`` (by default, the order pushed), which
        must grow from one push to the next."""
        entry = (at, next(self._pushed) if order is None else order, item)
        if not self._in_order or at >= self._in_order[-1][0]:
            self._in_order.append(entry)
        else:
            heapq.heappush(self._stragglers, entry)

    def pop(self) -> tuple[float, int, T]:
        """The earliest entry: its time, its place in the order pushed, and the item."""
        in_order, stragglers = self._in_order, self._stragglers
        if in_order and (not stragglers or in_order[0][:2] < stragglers[0][:2]):
            return in_order.popleft()
        return heapq.heappop(stragglers)
