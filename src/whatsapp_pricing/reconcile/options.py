"""What a reconciliation is told before it reads a line: one frozen object, the same for the
command line, a Python caller and every Spark task (which must all agree on it)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import HOUR
from whatsapp_pricing.rate_cards import RateBook
from whatsapp_pricing.reconcile.sent import SentTemplate

DEFAULT_WINDOW = 24 * HOUR
"""How far behind later lines a line may arrive and still be placed in time order.

Meta retries a webhook it could not deliver, so a status can reach the log after later ones.
"""
CLOCK_SKEW = HOUR
"""How far past the time of the run a line's time may be and still be believed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileOptions:
    """The settings of one reconciliation."""

    account: Account | None = None
    """The settings of every WhatsApp Business Account in the log, unless ``accounts`` gives
    each its own."""
    accounts: Mapping[str, Account] | None = None
    """Each account's settings by id (the entry's ``id``); a line of any other account is
    reported, never priced with another's settings."""
    rate_book: RateBook | None = None
    """The rate cards to price with; ``None``: the shipped ones."""
    window: float = DEFAULT_WINDOW
    """The reorder window, in seconds."""
    sent: Mapping[str, SentTemplate] = field(default_factory=dict)
    """The business's record of templates sent, by message id (see :mod:`.sent`)."""
    now: float = field(default_factory=time.time)
    """The time of the run (Unix time): no line can be later, give or take the clocks' skew."""

    def account_of(self, account_id: str) -> Account | None:
        """The settings of the account ``account_id``; ``None`` if the list does not have it."""
        return self.account if self.accounts is None else self.accounts.get(account_id)

    def knows(self, account_id: str) -> bool:
        """Whether lines of the account ``account_id`` are reconciled (rather than reported).
        Spark's parsing tests this inline, a line at a time (``spark._parsed``)."""
        return self.accounts is None or account_id in self.accounts
