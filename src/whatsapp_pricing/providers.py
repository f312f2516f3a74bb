"""What a solution provider adds on top of Meta's charge, kept apart from it.

Meta bills a business for its messages under the rules of :mod:`whatsapp_pricing.engine`; a
provider (a Business Solution Provider such as Twilio, 360dialog or Gupshup) usually adds its own
fees. They are never Meta's, so the estimator shows them as a separate line. A
:class:`ProviderFees` is a profile of such fees; :data:`PROVIDER_PROFILES` are examples read from
providers' public price pages, each with the page and the day it was read: prices change, so a
profile is an example to adjust, never a quote.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from whatsapp_pricing.domain import CurrencyCode

Fee = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=8)]


class ProviderFees(BaseModel):
    """A provider's fees for a month, in one currency."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    name: str = "Provider"
    currency: CurrencyCode = "USD"
    """The currency the fees are in: the estimate adds them only in the same currency."""
    per_message_sent: Fee = Decimal(0)
    """Per message the business sends (templates and replies, charged by Meta or not)."""
    per_message_received: Fee = Decimal(0)
    """Per message a customer sends to the business."""
    markup_percent: Annotated[Decimal, Field(ge=0, le=1000)] = Decimal(0)
    """Percent added to Meta's charge."""
    markup_on: tuple[str, ...] = ()
    """The categories the markup applies to; empty: all of them."""
    per_failed_message: Fee = Decimal(0)
    """Per message that fails (Meta charges none)."""
    licence_per_number: Fee = Decimal(0)
    """A month's licence for each business phone number."""
    source: str = ""
    """Where the figures come from, and when they were read."""


PROVIDER_PROFILES = (
    ProviderFees(
        name="Twilio",
        per_message_sent=Decimal("0.005"),
        per_message_received=Decimal("0.005"),
        per_failed_message=Decimal("0.001"),
        source=(
            "twilio.com/whatsapp/pricing (USD 0.005 per WhatsApp message, inbound or outbound) "
            "and Twilio's support article 'Failed Message Processing Fees' (USD 0.001 per "
            "failed message from 2024-09-30); both read 2026-12-04"
        ),
    ),
    ProviderFees(
        name="360dialog (Regular plan)",
        licence_per_number=Decimal(25),
        source=(
            "docs.360dialog.com, 'Prices, Plans and Payments': a monthly licence of 25 EUR or "
            "USD per number on the Regular plan (49 on Premium), Meta's rates with no markup; "
            "read 2026-12-04"
        ),
    ),
    ProviderFees(
        name="Gupshup (self-serve)",
        per_message_sent=Decimal("0.001"),
        markup_percent=Decimal(6),
        markup_on=("marketing",),
        source=(
            "support.gupshup.io: a Gupshup fee of USD 0.001 per message, session or template "
            "('What is Gupshup fee and WhatsApp fee in pricing'), and 6% more on Meta's "
            "marketing fee for marketing sent through the Cloud API rather than MM Lite, from "
            "2026-01-01 (article 53700207494169); read 2026-12-04. Whether messages received "
            "carry the fee the pages do not say: left at 0"
        ),
    ),
)
"""Example profiles from providers' public pages, as read on the day each names."""
