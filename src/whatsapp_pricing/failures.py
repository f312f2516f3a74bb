"""Why Meta did not send or deliver a message: the error codes of its status webhooks, said once.

A status with ``"status": "failed"`` carries an ``errors`` list whose ``code`` says why. Meta
never charges a message it did not deliver, so a failure costs nothing whatever its code; the
code says what to fix. Reconcile lists every code a log carries with its meaning and count; the
meanings are ours, from Meta's error code reference (:data:`SOURCE`).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
"""Meta's list of Cloud API error codes, with their titles and what to do about each."""


@dataclass(frozen=True, slots=True)
class MetaError:
    """One of Meta's error codes and what it means for the message."""

    code: int
    meaning: str


KNOWN = {
    error.code: error
    for error in (
        MetaError(130472, "the customer's number is part of a Meta experiment: not sent"),
        MetaError(131000, "something went wrong at Meta: not sent"),
        MetaError(
            131026,
            "undeliverable: for example the number is not on WhatsApp, its app is too old, or "
            "it has not accepted WhatsApp's current terms",
        ),
        MetaError(
            131042,
            "a problem with the business's payment method or billing: nothing is sent until "
            "it is fixed",
        ),
        MetaError(
            131047,
            "the customer service window was closed, the customer not having written in the "
            "last 24 hours: only a template (or, on an eligible account, a Direct Send utility "
            "message) can be sent",
        ),
        MetaError(131048, "the business number reached its spam rate limit"),
        MetaError(
            131049,
            "Meta chose not to deliver this marketing template, to keep engagement healthy: "
            "the per-user limit on marketing templates",
        ),
        MetaError(131050, "the customer stopped marketing messages from the business"),
        MetaError(131051, "a message type WhatsApp does not support"),
        MetaError(131053, "the media could not be uploaded or downloaded"),
        MetaError(131056, "too many messages to the same customer in a short time"),
        MetaError(132000, "the template's parameters do not match its placeholders"),
        MetaError(132001, "the template does not exist in that language, or is not approved"),
        MetaError(132015, "the template is paused for low quality"),
        MetaError(132016, "the template is disabled"),
    )
}
"""The codes this project can explain; any other is listed with its code alone."""


def meaning_of(code: int) -> str:
    """What an error code means, in a phrase; a code not in :data:`KNOWN` says so."""
    known = KNOWN.get(code)
    return known.meaning if known else f"a code not explained here (see {SOURCE})"
