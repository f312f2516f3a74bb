"""A reference implementation of how WhatsApp Business charges for messages, and why.

Which module owns what:

- :mod:`~whatsapp_pricing.vocabulary`: what a message is, said once: the table of kinds of
  message and categories (rate columns, webhook and analytics spellings, volume tiers, legends)
  that every other module derives from; its text says how to add a kind of message, a category
  or a period;
- :mod:`~whatsapp_pricing.domain`: the contract's types, a timeline in and a verdict out
  (pydantic: the public boundary and JSON schema);
- :mod:`~whatsapp_pricing.records`: what the engine emits, one frozen record per message and
  conversation, and the rule codes that say which rule decided each message;
- :mod:`~whatsapp_pricing.engine`: the rules themselves, applied to events in time order;
- :mod:`~whatsapp_pricing.simulation`: the one path from a timeline to a verdict
  (:func:`~whatsapp_pricing.simulation.price`, which every front door calls: ``simulate()``,
  the command line's JSON and ``--table``, the streaming writer, the in-browser engine), with
  the adapter at each end: timeline to engine events, records to the verdict's pieces;
- :mod:`~whatsapp_pricing.periods`, :mod:`~whatsapp_pricing.markets`,
  :mod:`~whatsapp_pricing.rate_cards`: when each set of rules applied (with every date and
  allowance the rules name), which market a customer is in, and what each market paid (the
  last two read the data files in ``data/``, cards by column name);
- :mod:`~whatsapp_pricing.timeline_io`: reading timeline files of any size into events, with
  :mod:`~whatsapp_pricing.typed_events` as its fast path (msgspec structs generated from the
  pydantic event models), and writing the pipeline's verdict as JSON as it comes (it prices
  nothing and assembles no verdict itself);
- :mod:`~whatsapp_pricing.webhooks`: reading Meta's webhook logs into typed items;
- :mod:`~whatsapp_pricing.reconcile`: checking a log against the records, a package of one-job
  modules (Meta's category names, the options of a run, the time queue, findings and costs, the
  comparison policy, one account's state machine, the dispatcher over accounts); and
  :mod:`~whatsapp_pricing.spark`, the same run on Apache Spark, sharing its options;
- :mod:`~whatsapp_pricing.errors`: the one exception hierarchy, under :class:`PricingError`;
- :mod:`~whatsapp_pricing.cli`: the ``whatsapp-pricing`` command;
- :mod:`~whatsapp_pricing.site`: the Markdown extensions that draw the site from the engine,
  and what the site's build hooks write (the hooks themselves, which need MkDocs, are in
  ``hooks/``);
- :mod:`~whatsapp_pricing.profile` and :mod:`~whatsapp_pricing.throughput`: small models for
  the site's pages on business profiles and sending speed.
"""

from whatsapp_pricing.domain import (
    Account,
    Conversation,
    ConversationCategory,
    ConversationRef,
    CustomerMessage,
    EntryPoint,
    FreeFormMessage,
    MessageStatus,
    MessageVerdict,
    Money,
    TemplateCategory,
    TemplateMessage,
    Timeline,
    Total,
    Verdict,
    WebhookReport,
)
from whatsapp_pricing.errors import InvalidTimeline, PricingError, RateCardError, UnsupportedPeriod
from whatsapp_pricing.rate_cards import RateBook, RateCard, parse_rate_card, shipped_rate_book
from whatsapp_pricing.records import ConversationRecord, MessageRecord, Rule
from whatsapp_pricing.simulation import records_of, simulate

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Conversation",
    "ConversationCategory",
    "ConversationRecord",
    "ConversationRef",
    "CustomerMessage",
    "EntryPoint",
    "FreeFormMessage",
    "InvalidTimeline",
    "MessageRecord",
    "MessageStatus",
    "MessageVerdict",
    "Money",
    "PricingError",
    "RateBook",
    "RateCard",
    "RateCardError",
    "Rule",
    "TemplateCategory",
    "TemplateMessage",
    "Timeline",
    "Total",
    "UnsupportedPeriod",
    "Verdict",
    "WebhookReport",
    "parse_rate_card",
    "records_of",
    "shipped_rate_book",
    "simulate",
]
