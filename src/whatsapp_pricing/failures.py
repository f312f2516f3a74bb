"""Messages Meta does not deliver, and so never charges: the errors it reports, and what they mean.

A business message can leave the business and still never reach the customer: Meta refuses a
marketing template to a US number, holds a marketing template back from a user at their limit,
drops a message its time-to-live ran out on, or finds the account's payment in trouble. Meta
charges only delivered messages, so each of these costs nothing; what a reader needs is *why*.
This module says it once, for the engine's reasons and the site alike.

Sources: Meta's "Per-user marketing template message limits" (updated 2026-06-17), "Configure
message time-to-live" (updated 2026-02-27) and the Cloud API error codes page.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPIRED = "expired"
"""What a timeline's ``failed`` says of a message dropped when its time-to-live ran out (Meta's
time-to-live page names no Cloud API error code for it)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """One way Meta reports that it did not deliver a message."""

    code: int | str
    name: str
    """Meta's title for the error, in short."""
    meaning: str
    """What happened, in words a business can act on (a clause, no final stop)."""


FAILURES = {
    failure.code: failure
    for failure in (
        Failure(
            131047,
            "re-engagement message",
            "more than 24 hours had passed since the customer last wrote or called, so only a "
            "template could be sent",
        ),
        Failure(
            131049,
            "per-user marketing limit",
            "Meta chose not to deliver this marketing template, as the customer is unlikely to "
            "engage with more marketing now",
        ),
        Failure(
            131026,
            "message undeliverable",
            "the number cannot receive it: not on WhatsApp, an old app version, Meta's terms "
            "not accepted, or the business blocked",
        ),
        Failure(
            131042,
            "payment problem",
            "the account's payment method, credit line or prepaid balance did not cover it",
        ),
        Failure(
            131048,
            "spam rate limit",
            "too many earlier messages from this number were blocked or reported as spam",
        ),
        Failure(
            130472,
            "marketing message experiment",
            "the customer's number was in Meta's marketing message experiment group",
        ),
        Failure(
            EXPIRED,
            "time-to-live ran out",
            "Meta could not deliver it before its time-to-live ran out, and dropped it",
        ),
    )
}
"""The failures this reference explains, by Meta's error code (or :data:`EXPIRED`)."""

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


def failure_of(code: int | str) -> Failure:
    """What an error code means; a code this reference does not list is said to be so."""
    known = FAILURES.get(code)
    if known is not None:
        return known
    return Failure(code, "an error", "an error this reference does not explain")


def time_to_live(category: str | None) -> str:
    """A message's time-to-live in words: a template's by category, else the message's."""
    if category is None:
        return "Meta's time-to-live page gives non-template messages none"
    return f"for {category} templates, {TIME_TO_LIVE[category]}"
