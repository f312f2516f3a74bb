"""How long Meta tries to deliver a message, and where it holds marketing back: said once.

Meta charges only delivered messages. Two of its delivery rules decide whether a message that was
sent ever arrives: its time-to-live (how long Meta keeps retrying, by template category) and the
per-user marketing limits (which Meta does not apply in some countries). The error codes Meta
reports for undelivered messages are :mod:`whatsapp_pricing.failures`.

Sources: Meta's "Configure message time-to-live" (updated 2026-02-27) and "Per-user marketing
template message limits" (updated 2026-06-17).
"""

from __future__ import annotations

from datetime import date

from whatsapp_pricing.periods import US_MARKETING_BLOCKED

EXPIRED = "expired"
"""What a timeline's ``failed`` says of a message dropped when its time-to-live ran out (Meta's
time-to-live page names no Cloud API error code for it)."""
US = "US"
"""The ISO 3166 code of the United States, whose numbers get no marketing templates."""
PER_USER_LIMIT = 131049
"""Meta's error code for a marketing template held back by the per-user marketing limits."""

TIME_TO_LIVE = {
    "authentication": "10 minutes by default (30 days for templates created before 2024-10-23), "
    "settable from 30 seconds to 15 minutes",
    "utility": "30 days by default, settable from 30 seconds to 12 hours",
    "marketing": "30 days by default; through the Marketing Messages API settable from 12 hours "
    "to 30 days",
}
"""How long Meta keeps trying to deliver a template, by category, as its time-to-live page
states it (updated 2026-02-27)."""

NO_PER_USER_LIMITS = frozenset(
    # The European Economic Area: the 27 member states of the EU, and Iceland, Liechtenstein
    # and Norway; then the United Kingdom, Japan and South Korea.
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "GB",
        "JP",
        "KR",
    ]
)
"""Countries whose users Meta's per-user marketing limits do not apply to (Meta: "not
currently active" for users in the EEA, the UK, Japan or South Korea, updated 2026-06-17)."""


def time_to_live(category: str | None) -> str:
    """A message's time-to-live in words: a template's by category, else the message's."""
    if category is None:
        return "Meta's time-to-live page gives non-template messages none"
    return f"for {category} templates, {TIME_TO_LIVE[category]}"


def marketing_blocked(country: str | None, day: date) -> bool:
    """Whether WhatsApp delivers no marketing template to a customer of this country on this
    day (in the account's time zone): US numbers from 2025-04-01, so Meta charges nothing."""
    return country == US and day >= US_MARKETING_BLOCKED
