"""A log of several WhatsApp Business Accounts, each reconciled on its own; and
:func:`reconcile`, the whole log in one call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import Counters
from whatsapp_pricing.rate_cards import RateBook
from whatsapp_pricing.reconcile.account import Reconciler, contact_book_for
from whatsapp_pricing.reconcile.findings import Finding, Reconciliation
from whatsapp_pricing.reconcile.options import DEFAULT_WINDOW, ReconcileOptions
from whatsapp_pricing.reconcile.ordering import Place
from whatsapp_pricing.reconcile.sent import SentTemplate
from whatsapp_pricing.webhooks import CategoryChange, LogItem, Skipped


def reconcile(
    log: Iterable[LogItem],
    account: Account | None,
    rate_book: RateBook | None = None,
    *,
    window: float = DEFAULT_WINDOW,
    sent: Mapping[str, SentTemplate] | None = None,
    now: float | None = None,
    accounts: Mapping[str, Account] | None = None,
) -> Reconciliation:
    """Compares a webhook log with what the rules predict for it, all findings in one list.

    ``account`` applies to every WhatsApp Business Account in the log, unless ``accounts``
    gives each its own (by id); each account is reconciled on its own either way. The other
    arguments are those of :class:`~whatsapp_pricing.reconcile.ReconcileOptions` (``now``: the
    time of the call, if not given).
    """
    options = ReconcileOptions(
        account=account,
        accounts=accounts,
        rate_book=rate_book,
        window=window,
        sent=sent or {},
        now=time.time() if now is None else now,
    )
    reconciler = Accounts(options)
    result = Reconciliation([], [], reconciler.category_changes)
    for settled in reconciler.read(log):
        if isinstance(settled, Finding):
            result.findings.append(settled)
        else:
            result.skipped.append(settled)
    return result


class Accounts:
    """Reconciles a log with lines from several WhatsApp Business Accounts, each on its own.

    A conversation, a window and a free tier belong to one account, so each account's lines go
    to a :class:`~whatsapp_pricing.reconcile.Reconciler` of their own, with that account's time
    zone and currency: from ``options.accounts`` by id, or ``options.account`` for every account
    when there is no such list. A line of an account the list does not have is reported, never
    priced with another's settings.
    """

    def __init__(
        self, options: ReconcileOptions, counters: Callable[[str], Counters] | None = None
    ) -> None:
        if options.account is None and options.accounts is None:
            raise ValueError("give the account's settings, or a list of accounts")
        self._options = options
        self._counters = counters
        """The counters of each account's engine, by account id (the engine's own if none)."""
        self._items = 0
        """How many items of the log it has taken: the next one's place in it."""
        self._reconcilers: dict[str, Reconciler] = {}
        self._contact_book = contact_book_for(options.window)
        """One table of customers' names for every account: a business-scoped user id names
        a customer across the accounts of a portfolio, a parent id across portfolios."""
        self.category_changes: list[CategoryChange] = []
        """Every template category change the log announced, in log order."""

    def read(self, log: Iterable[LogItem]) -> Iterator[Finding | Skipped]:
        """Reconciles a whole log: findings as they settle, and every line it could not use."""
        for item in log:
            settled = self.add(item)
            # Most lines settle nothing. A loop, not ``yield from``: compiled, the loop is
            # native, where ``yield from`` goes through an iterator's protocol.
            for each in settled:  # noqa: UP028 (native, see above)
                yield each
        yield from self.finish()

    def add(self, item: LogItem, place: Place | None = None) -> list[Finding | Skipped]:
        """Takes the next item of the log, or one of part of it at ``place`` in the whole."""
        if place is None:  # a count, not itertools.count: compiled, next() is a Python call
            order = self._items
            self._items += 1
        else:
            order = place.order
        if isinstance(item, Skipped):
            return [item]
        reconciler = self._reconcilers.get(item.account) or self._start(item.account)
        if reconciler is None:
            why = f"account {item.account or '(none given)'} is not in the list of accounts"
            return [Skipped(item.line, why + ": not priced with another account's settings", True)]
        if isinstance(item, CategoryChange):
            self.category_changes.append(item)
        if place is None:
            return reconciler.add(item, order)
        clocks = place.account_clocks
        if clocks is not None:
            # An item that may link names (or at a new hour's line): the whole run's reconciler
            # of each other account has settled, with its own account's lines, what it names
            # before the link.
            settled = self._settled_by(clocks, but=item.account)
            self._contact_book.advance(place.clock)
            return settled + reconciler.add(item, order, place.account_clock)
        self._contact_book.advance(place.clock)
        return reconciler.add(item, order, place.account_clock)

    def new_hour(self, at: float, clocks: Mapping[str, float]) -> list[Finding | Skipped]:
        """For a run over part of the log: a line of the whole log moves its clock on to ``at``,
        in a new hour, where the contact book lets go of the links no line has needed for long.
        If it lets go of any, the accounts in ``clocks`` (each one's clock there, by id) first
        settle what the whole run settles before that line: a link let go of renames only its
        own customer, so the accounts with lines of the groups whose links may go there are
        enough (Spark asks theirs)."""
        book = self._contact_book
        settled = self._settled_by(clocks) if book.lets_go_at(at) else []
        book.advance(at)
        return settled

    def _settled_by(self, clocks: Mapping[str, float], but: str = "") -> list[Finding | Skipped]:
        """What the reconciler of each account (but account ``but``) settles as it moves on to
        its clock in ``clocks``."""
        settled: list[Finding | Skipped] = []
        for account, reconciler in self._reconcilers.items():
            if account != but and account in clocks:
                settled += reconciler.advance(clocks[account])
        return settled

    def finish(self) -> list[Finding | Skipped]:
        return [
            settled for reconciler in self._reconcilers.values() for settled in reconciler.finish()
        ]

    def _start(self, account_id: str) -> Reconciler | None:
        account = self._options.account_of(account_id)
        if account is None:
            return None
        reconciler = Reconciler(
            account,
            self._options,
            account_id=account_id,
            contact_book=self._contact_book,
            counters=None if self._counters is None else self._counters(account_id),
        )
        self._reconcilers[account_id] = reconciler
        return reconciler
