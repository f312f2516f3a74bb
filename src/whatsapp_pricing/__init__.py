"""A reference implementation of how WhatsApp Business charges for messages, and why."""

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
)
from whatsapp_pricing.engine import simulate
from whatsapp_pricing.periods import UnsupportedPeriod
from whatsapp_pricing.rate_cards import RateBook, RateCard, parse_rate_card, shipped_rate_book

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Conversation",
    "ConversationCategory",
    "ConversationRef",
    "CustomerMessage",
    "EntryPoint",
    "FreeFormMessage",
    "MessageStatus",
    "MessageVerdict",
    "Money",
    "RateBook",
    "RateCard",
    "TemplateCategory",
    "TemplateMessage",
    "Timeline",
    "Total",
    "UnsupportedPeriod",
    "Verdict",
    "parse_rate_card",
    "shipped_rate_book",
    "simulate",
]
