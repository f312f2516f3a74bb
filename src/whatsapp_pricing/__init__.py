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
- :mod:`~whatsapp_pricing.simulation`: the adapter, timeline to engine events, records to verdict;
- :mod:`~whatsapp_pricing.periods`, :mod:`~whatsapp_pricing.markets`,
  :mod:`~whatsapp_pricing.rate_cards`: when each set of rules applied (with every date and
  allowance the rules name), which market a customer is in, and what each market paid (the
  last two read the data files in ``data/``, cards by column name);
- :mod:`~whatsapp_pricing.timeline_io`: reading timeline files and writing verdicts of any size,
  with :mod:`~whatsapp_pricing.typed_events` as its fast path (msgspec structs generated from
  the pydantic event models);
- :mod:`~whatsapp_pricing.webhooks` and :mod:`~whatsapp_pricing.reconcile`: reading Meta's
  webhook logs and checking them against the records;
- :mod:`~whatsapp_pricing.errors`: the one exception hierarchy, under :class:`PricingError`;
- :mod:`~whatsapp_pricing.cli`: the ``whatsapp-pricing`` command;
- :mod:`~whatsapp_pricing.site`: the Markdown extensions that draw the site from the engine;
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
