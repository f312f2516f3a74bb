"""Who is who in a webhook log: a customer's number, business-scoped user id and parent id.

Since April 2026 Meta names a customer by number, by business-scoped user id (BSUID), by
parent BSUID (the same person across a provider's portfolios), or by several of these. A line
that carries more than one name links them, as Meta's contact book does, and from then on any
of them means the same customer: the number, once one is known (the rules price numbers and
the findings show them), otherwise the first name seen. Ids in an older national form are
written in E.164 first, so ``+5215512345678`` and ``+525512345678`` are one customer too.

A link is kept while the customer can still have anything open, by log time, and released
after: the table follows the customers in play, not every customer the log ever named.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

from whatsapp_pricing.engine import HOUR
from whatsapp_pricing.markets import BSUID, e164


def let_go_before(clock: float, keep: float) -> float:
    """What a contact book that keeps a link for ``keep`` seconds lets go of as its clock
    moves to ``clock`` in a new hour: the customers no line has named since this. Reckoned
    from the hour's start, so that a run over part of the log (Spark's) lets go of the same."""
    return clock // HOUR * HOUR - keep


@dataclass(slots=True, eq=False)
class _Customer:
    """The names of one customer, and when a line last named any of them."""

    name: str
    """What the customer is called: the number once known, else the first name seen."""
    names: set[str] = field(default_factory=set)
    seen: float = 0.0


class ContactBook:
    """The names of each customer that lines linked, as Meta's contact book links a number and
    a user id; each link is let go once nothing open can need it."""

    def __init__(self, keep: float) -> None:
        self._keep = keep
        """How long after a line names a customer (in log time) its links are kept."""
        self._customers: dict[str, _Customer] = {}
        """Every linked name, and its customer."""
        self._by_last_seen: OrderedDict[int, _Customer] = OrderedDict()
        """Linked customers, the least recently named first."""
        self._clock = -math.inf
        self._next_release = -math.inf

    def __len__(self) -> int:
        """How many names are linked: what this table's memory follows."""
        return len(self._customers)

    def name_of(self, name: str) -> str:
        """What the customer a line called ``name`` is called now."""
        customer = self._customers.get(name)
        return name if customer is None else customer.name

    def user_id_of(self, name: str) -> str:
        """The business-scoped user id (a parent id if there is no other) of a customer whose
        names a line linked, or ""."""
        customer = self._customers.get(name)
        if customer is None:
            return ""
        names = customer.names
        ids = sorted(
            (other for other in names if BSUID.fullmatch(other)),
            key=lambda other: (".ENT." in other, other),
        )
        return ids[0] if ids else ""

    def named(self, name: str, user_id: str, parent_user_id: str, at: float) -> str:
        """Takes the names one line gives a customer (at log time ``at``): what it is called.

        ``name`` is the number, or the first id the line has; the others may be empty.
        """
        self.advance(at)
        name = e164(name)
        customers = self._customers
        if not (user_id or parent_user_id) and name not in customers:
            return name  # the usual line: a number, linked to nothing
        given = [other for other in (name, user_id, parent_user_id) if other]
        known = {id(customer): customer for other in given if (customer := customers.get(other))}
        if not known and len(set(given)) < 2:
            return name
        customer = self._join(given, list(known.values()))
        customer.seen = self._clock
        self._by_last_seen.pop(id(customer), None)
        self._by_last_seen[id(customer)] = customer
        return customer.name

    def lets_go_at(self, clock: float) -> bool:
        """Whether moving the log's clock on to ``clock`` lets go of any link."""
        if clock <= self._clock or clock < self._next_release or not self._by_last_seen:
            return False
        oldest = next(iter(self._by_last_seen.values()))
        return oldest.seen < let_go_before(clock, self._keep)

    def advance(self, clock: float) -> None:
        """Moves the log's clock on; at each new hour of it, lets go of the links kept long
        enough (at whole hours, so that a run over part of the log lets go of the same)."""
        if clock <= self._clock:
            return
        self._clock = clock
        if clock >= self._next_release:  # a whole hour: no // (an fmod) for most lines
            self._next_release = clock // HOUR * HOUR + HOUR
            self._release(let_go_before(clock, self._keep))

    def _join(self, given: list[str], known: list[_Customer]) -> _Customer:
        """One customer with every name given. A number takes its names away from another
        number's customer: a new number gets a new user id, so the newer line is right."""
        number = given[0] if given[0].startswith("+") else None
        if number is None:  # ids alone: a customer known by a number keeps being called by it
            numbered = [customer for customer in known if customer.name.startswith("+")]
            customer = (numbered or known or [_Customer(given[0])])[0]
        else:
            same_number = [customer for customer in known if customer.name == number]
            unnumbered = [customer for customer in known if not customer.name.startswith("+")]
            customer = (same_number or unnumbered or [_Customer(given[0])])[0]
        for other in known:
            if other is customer:
                continue
            if other.name.startswith("+") and number is not None:
                other.names.difference_update(given)
                continue
            customer.names |= other.names
            del self._by_last_seen[id(other)]
        if number is not None:
            customer.name = number
        customer.names.update(given)
        for name in customer.names:
            self._customers[name] = customer
        return customer

    def _release(self, before: float) -> None:
        """Forgets the customers no line has named since ``before``."""
        by_last_seen = self._by_last_seen
        while by_last_seen:
            customer = next(iter(by_last_seen.values()))
            if customer.seen >= before:
                break
            by_last_seen.popitem(last=False)
            for name in customer.names:
                if self._customers.get(name) is customer:
                    del self._customers[name]
