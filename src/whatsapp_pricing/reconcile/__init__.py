"""Why was I charged for this? Meta's webhook log, checked message by message against the rules.

The log is turned back into a timeline (customers' messages, and each business message at its
delivery time with the category Meta reported), the engine prices it, and what Meta reported in
each message's ``pricing`` and ``conversation`` objects is compared with the engine's record of
the message, which says what Meta should report. No rule, period or calendar is worked out here,
and no category is spelled here: Meta's spellings are rows of :mod:`whatsapp_pricing.vocabulary`.

One job a module, each using only those above it:

- :mod:`.sent`: the business's own record of the templates it sent (a CSV);
- :mod:`.options`: :class:`ReconcileOptions`, the settings of a run, one frozen object for the
  command line, a Python caller and every Spark task;
- :mod:`.ordering`: putting the log back in time order (:class:`Place`, :data:`Held`);
- :mod:`.findings`: what is reported, a :class:`Finding` per message, the :class:`Costs` and
  the :class:`Summary` of a run;
- :mod:`.message`: one business message as its statuses tell of it, until it is settled;
- :mod:`.policy`: the comparison, what Meta reported beside what the rules say;
- :mod:`.account`: the :class:`Reconciler`, one account's state machine, from lines in log
  order to findings;
- :mod:`.accounts`: a log of several accounts, each reconciled on its own, and
  :func:`reconcile`, a whole log in one call;
- :mod:`.analytics`: Meta's own billing figures (``pricing_analytics``,
  ``conversation_analytics``) read into typed rows through the vocabulary;
- :mod:`.bill`: those figures beside the rules' charges for the log, bucket by bucket, with the
  known causes of each difference checked against the log (:class:`Comparison`);
- :mod:`.statement`: the comparison told, a summary that leads with the money and a row per
  bucket.
"""

from whatsapp_pricing.reconcile.account import Reconciler
from whatsapp_pricing.reconcile.accounts import Accounts, reconcile
from whatsapp_pricing.reconcile.analytics import Analytics, Figure, read_analytics
from whatsapp_pricing.reconcile.bill import Bill, Cause, Comparison, compare_bill, compare_log
from whatsapp_pricing.reconcile.findings import (
    OUTCOMES,
    CategoryCost,
    Costs,
    ErrorCode,
    ErrorCodes,
    Finding,
    Reconciliation,
    Summary,
    is_clean,
)
from whatsapp_pricing.reconcile.message import STATUS_HORIZON
from whatsapp_pricing.reconcile.options import CLOCK_SKEW, DEFAULT_WINDOW, ReconcileOptions
from whatsapp_pricing.reconcile.ordering import Held, Place
from whatsapp_pricing.reconcile.sent import SentTemplate, read_sent

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_WINDOW",
    "OUTCOMES",
    "STATUS_HORIZON",
    "Accounts",
    "Analytics",
    "Bill",
    "CategoryCost",
    "Cause",
    "Comparison",
    "Costs",
    "ErrorCode",
    "ErrorCodes",
    "Figure",
    "Finding",
    "Held",
    "Place",
    "ReconcileOptions",
    "Reconciler",
    "Reconciliation",
    "SentTemplate",
    "Summary",
    "compare_bill",
    "compare_log",
    "is_clean",
    "read_analytics",
    "read_sent",
    "reconcile",
]
