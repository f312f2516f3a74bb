"""Putting a log back in time order: where an item stands in the log, and the entries of the
time queues that hold events back until the log has moved a reorder window past them."""

from __future__ import annotations

import math
from typing import NamedTuple, TypeVar

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
