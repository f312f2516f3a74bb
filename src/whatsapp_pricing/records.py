"""What the engine says of each message and conversation: typed records and rule codes.

Every reader (the verdict models, the JSON writer, the reconciler, the site's pictures, the
tests) reads these records' fields and never works the rules out again. They are frozen
``msgspec`` structs: building one costs a fifth of a NamedTuple (measured: 0.10 against 0.53 µs),
and none can be changed into another message's verdict once the engine has handed it out.
They are never tracked by the cycle collector (``gc=False``): records hold no cycles.

Each :class:`Rule` is a code that never changes meaning once published, with a one-sentence
summary (the site lists them, each with its own anchor) and the wording of the reason the engine
gives: the reason is built from the code and the facts, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

import msgspec

from whatsapp_pricing.periods import (
    AGENT_PLATFORM_LAUNCH,
    CALLS_OPEN_WINDOW,
    DIRECT_SEND_LAUNCH,
    PER_MESSAGE_PRICING_STARTS,
    PERIODS,
    REPORTED_FREE_SERVICE,
    US_MARKETING_BLOCKED,
    Span,
    when,
)
from whatsapp_pricing.vocabulary import VOCABULARY

PER_CONVERSATION = "CBP"
"""``pricing.pricing_model`` in Meta's webhooks under conversation-based pricing."""
PER_MESSAGE = "PMP"
"""``pricing.pricing_model`` under per-message pricing."""
FREE_ENTRY_POINT_CATEGORY = VOCABULARY.webhook_name["free_entry_point"]
"""How Meta's webhooks name the category of a message in a free entry point conversation."""
INTERNATIONAL_CATEGORY = VOCABULARY.webhook_name[VOCABULARY.international.name]
"""``pricing.category`` of an authentication message charged the international rate."""
REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT_TYPE = (
    VOCABULARY.pricing_type(name).name
    for name in ("regular", "free_customer_service", "free_entry_point")
)
"""``pricing.type`` under per-message pricing: charged, free in the window, free entry point."""


# The days and allowances the rules' texts name, from the periods (never typed here).
_TWO_CATEGORIES = when(lambda period: period.two_categories)
_FREE_CONVERSATIONS = next(p.free_conversations for p in PERIODS if p.two_categories)
_FREE_SERVICE_TIER = when(lambda period: period.free_service_conversations is not None)
_FREE_SERVICE_CONVERSATIONS = next(
    p.free_service_conversations for p in PERIODS if p.free_service_conversations
)
_SERVICE_CONVERSATIONS_FREE = when(
    lambda p: not (p.per_message or p.two_categories or p.free_service_conversations)
)
_FOUR_CATEGORIES = when(lambda period: not (period.per_message or period.two_categories))
_UTILITY_FREE_IN_WINDOW = when(lambda period: period.utility_free_in_service_window)
_SERVICE_MESSAGES_FREE = when(lambda p: p.per_message and not p.service_messages_charged)
_SERVICE_MESSAGES_CHARGED = when(lambda period: period.service_messages_charged)
_AGENTS_CHARGED = when(lambda period: period.agent_messages_charged)
_AGENTS_NOT_YET_CHARGED = Span(AGENT_PLATFORM_LAUNCH, _AGENTS_CHARGED.first - timedelta(days=1))
_REPORTED_FREE_SERVICE = when(lambda period: period.reported_free_service_messages is not None)
_REPORTED_FREE_SERVICE_MESSAGES = REPORTED_FREE_SERVICE.reported_free_service_messages
_FREE_ENTRY_POINT_HOURS = PERIODS[-1].free_entry_point_hours
_FREE_ENTRY_POINT_HOURS_BEFORE = PERIODS[0].free_entry_point_hours
_FREE_ENTRY_POINT_LONGER = when(lambda p: p.free_entry_point_hours == _FREE_ENTRY_POINT_HOURS)


def _free_as(number: int, allowance: int, conversations: str, month: str) -> str:
    """How the reasons of both free tiers end: the conversation's place in the month's
    allowance (the period's, never a figure typed here)."""
    return (
        f"free as number {number:,} of the account's {allowance:,} free {conversations} "
        f"for {month}."
    )


def _opens_service(conversation: str) -> str:
    """How the reasons of the three rules for a new service conversation begin."""
    return (
        "Under conversation-based pricing, no conversation was open but the customer service "
        f"window was, so this free-form message opens service conversation {conversation} for 24 "
        "hours, "
    )


class Rule(StrEnum):
    """A rule the engine applies to a business message, by its stable code."""

    summary: str
    """One sentence saying what the rule is, for the site's list of rule codes."""
    reason: Callable[..., str]
    """The one-sentence reason for a message this rule decided: the message's facts, by
    keyword, in a sentence (an f-string, as ``str.format`` would cost three to six times as
    much on every message). The wording itself, not a method that calls it: one Python call
    fewer, and no dict of the facts made, for every message."""
    model: str | None
    """What ``pricing.pricing_model`` Meta reports under it; ``None``: the period's model."""

    def __new__(
        cls, code: str, summary: str, reason: Callable[..., str], model: str | None
    ) -> Rule:
        member = str.__new__(cls, code)
        member._value_ = code
        member.summary = summary
        member.reason = reason
        member.model = model
        return member

    @property
    def anchor(self) -> str:
        """The id of the rule's heading on the site: ``cbp.free_tier`` is ``cbp-free-tier``."""
        return self.value.replace(".", "-").replace("_", "-")

    CSW_CLOSED = (
        "csw.closed",
        "A free-form message sent while no customer service window is open is rejected by Meta "
        "(error 131047): it opens nothing and costs nothing. We apply the same to Meta Business "
        "Agent messages, which Meta's pricing page does not say.",
        lambda *, message: (
            "The customer service window was closed (no message from the customer in the "
            f"last 24 hours), so Meta rejects this {message} with error 131047: it opens "
            "nothing and costs nothing."
        ),
        None,
    )
    FEP_OPENED = (
        "fep.opened",
        "A reply within 24 hours to a customer who came through a click-to-WhatsApp ad or "
        "a Facebook Page button opens a free entry point conversation: everything in it is "
        f"free for {_FREE_ENTRY_POINT_HOURS} hours ({_FREE_ENTRY_POINT_HOURS_BEFORE} before "
        f"{_FREE_ENTRY_POINT_LONGER.first}), and it ends every other open conversation early.",
        lambda *, came_through, conversation, hours, closing: (
            f"A reply within 24 hours to a customer who came through {came_through} opens "
            f"free entry point conversation {conversation}, free for {hours} hours{closing}."
        ),
        None,
    )
    FEP_JOINED = (
        "fep.joined",
        "A message delivered while a free entry point conversation is open is free and opens "
        "nothing (a Meta Business Agent message is still charged).",
        lambda *, conversation: (
            f"Free entry point conversation {conversation} was open, so this message is "
            "free and opens nothing new."
        ),
        None,
    )
    CBP2_JOINED = (
        "cbp2.joined",
        f"Conversation-based pricing with two categories, {_TWO_CATEGORIES}: any business "
        "message, template or not, joins the conversation open with the customer at no extra "
        "charge.",
        lambda *, category, conversation: (
            f"Under conversation-based pricing with two categories, {category} conversation "
            f"{conversation} was open with this customer, and a conversation covered every "
            "message for its 24 hours, so this one joins it at no extra charge."
        ),
        "CBP",
    )
    CBP2_USER_INITIATED = (
        "cbp2.user_initiated",
        "Conversation-based pricing with two categories: with no conversation open, a business "
        "message inside the customer service window opens a 24-hour user-initiated conversation, "
        "at the market's user-initiated rate.",
        lambda *, kind, conversation, currency: (
            "Under conversation-based pricing with two categories, no conversation was "
            f"open and the customer had written within 24 hours, so this message opens {kind} "
            f"conversation {conversation} for 24 hours; unpriced: no sourced {currency} "
            f"rate card for conversations before {_FOUR_CATEGORIES.first} is known."
        ),
        "CBP",
    )
    CBP2_BUSINESS_INITIATED = (
        "cbp2.business_initiated",
        "Conversation-based pricing with two categories: with no conversation open, a template "
        "outside the customer service window opens a 24-hour business-initiated conversation, "
        "at the market's business-initiated rate.",
        lambda *, kind, conversation, currency: (
            "Under conversation-based pricing with two categories, no conversation was "
            f"open and the customer service window was closed, so this template opens {kind} "
            f"conversation {conversation} for 24 hours; unpriced: no sourced {currency} "
            f"rate card for conversations before {_FOUR_CATEGORIES.first} is known."
        ),
        "CBP",
    )
    CBP2_FREE_TIER = (
        "cbp2.free_tier",
        "Conversation-based pricing with two categories: the account's first "
        f"{_FREE_CONVERSATIONS:,} conversations of each month (in its time zone), of either "
        "kind, are free.",
        lambda *, kind, conversation, number, allowance, month: (
            "Under conversation-based pricing with two categories, no conversation was "
            f"open, so this message opens {kind} conversation {conversation} for 24 hours, "
            + _free_as(number, allowance, "conversations", month)
        ),
        "CBP",
    )
    CBP_TEMPLATE_OPENED = (
        "cbp.template_opened",
        "Conversation-based pricing: a template opens a 24-hour conversation of its own category "
        "when none of that category is open with the customer, at the market's rate.",
        lambda *, category, conversation, priced: (
            f"Under conversation-based pricing, no {category} conversation was open with "
            f"this customer, so this {category} template opens {category} conversation "
            f"{conversation} for 24 hours, {priced}."
        ),
        "CBP",
    )
    CBP_TEMPLATE_JOINED = (
        "cbp.template_joined",
        "Conversation-based pricing: a template joins the open conversation of its own category "
        "at no extra charge.",
        lambda *, category, conversation: (
            f"Under conversation-based pricing, {category} conversation {conversation} was "
            "already open with this customer, so this template joins it at no extra charge."
        ),
        "CBP",
    )
    CBP_FREE_FORM_JOINED = (
        "cbp.free_form_joined",
        "Conversation-based pricing: a free-form message joins any open conversation (the "
        "service one first) at no extra charge.",
        lambda *, category, conversation: (
            f"Under conversation-based pricing, {category} conversation {conversation} was "
            "open, so this free-form message joins it at no extra charge."
        ),
        "CBP",
    )
    CBP_FREE_TIER = (
        "cbp.free_tier",
        f"Conversation-based pricing, {_FREE_SERVICE_TIER}: a free-form message with no "
        "conversation open opens a service conversation, free while it is one of the account's "
        f"first {_FREE_SERVICE_CONVERSATIONS:,} of the month (in the account's time zone).",
        lambda *, conversation, number, allowance, month: (
            _opens_service(conversation)
            + _free_as(number, allowance, "service conversations", month)
        ),
        "CBP",
    )
    CBP_SERVICE_OPENED = (
        "cbp.service_opened",
        f"Conversation-based pricing, {_FREE_SERVICE_TIER}: once the month's "
        f"{_FREE_SERVICE_CONVERSATIONS:,} free service conversations are used up, a new one "
        "costs the market's service rate.",
        lambda *, conversation, priced, allowance: (
            _opens_service(conversation)
            + (f"{priced}, the month's {allowance:,} free ones being used up.")
        ),
        "CBP",
    )
    CBP_SERVICE_FREE = (
        "cbp.service_free",
        f"Conversation-based pricing, {_SERVICE_CONVERSATIONS_FREE}: every service conversation "
        "is free.",
        lambda *, conversation: (
            _opens_service(conversation)
            + f"free: service conversations cost nothing since {_SERVICE_CONVERSATIONS_FREE.first}."
        ),
        "CBP",
    )
    PMP_CARRIED_OVER = (
        "pmp.carried_over",
        f"A conversation opened before per-message pricing began on {PER_MESSAGE_PRICING_STARTS} "
        "runs to its end: the messages it covers cost nothing more.",
        lambda *, category, conversation, began: (
            f"{category.capitalize()} conversation {conversation} opened before per-message "
            f"pricing began on {began} and was still open, so this message belongs to it "
            "at no charge."
        ),
        "CBP",
    )
    PMP_UTILITY_IN_WINDOW = (
        "pmp.utility_in_window",
        f"Per-message pricing, {_UTILITY_FREE_IN_WINDOW}: a utility template delivered inside "
        "an open customer service window is free.",
        lambda: (
            "A utility template delivered inside an open customer service window is free "
            f"under per-message pricing ({_UTILITY_FREE_IN_WINDOW})."
        ),
        "PMP",
    )
    PMP_CHARGED = (
        "pmp.charged",
        "Per-message pricing: any other delivered template is charged at its category's rate "
        "for the market, utility and authentication with the month's volume tiers.",
        lambda *, category, where, priced: (
            f"Per-message pricing charges each delivered {category} template{where}: {priced}."
        ),
        "PMP",
    )
    PMP_SERVICE_FREE = (
        "pmp.service_free",
        f"Per-message pricing, {_SERVICE_MESSAGES_FREE}: non-template messages inside the "
        "customer service window are free.",
        lambda: (
            "Non-template messages inside the customer service window are free under per-message "
            f"pricing ({_SERVICE_MESSAGES_FREE})."
        ),
        "PMP",
    )
    PMP_SERVICE_CHARGED = (
        "pmp.service_charged",
        f"Per-message pricing {_SERVICE_MESSAGES_CHARGED}: each non-template message is charged "
        "at the market's service rate, without volume tiers.",
        lambda *, priced: (
            f"Since {_SERVICE_MESSAGES_CHARGED.first} each non-template message is charged as a "
            f"service message, at the market's service rate and without volume tiers: {priced}."
        ),
        "PMP",
    )
    MBA_NOT_YET_CHARGED = (
        "mba.not_yet_charged",
        "Meta Business Agent messages, from the platform's launch on "
        f"{_AGENTS_NOT_YET_CHARGED.first} to {_AGENTS_NOT_YET_CHARGED.last}: Meta did not charge "
        "for them yet.",
        lambda: (
            f"Meta launched the Meta Business Agent Platform on {_AGENTS_NOT_YET_CHARGED.first} "
            f"and charges for its messages from {_AGENTS_CHARGED.first}, so this one costs nothing."
        ),
        "PMP",
    )
    MBA_CHARGED = (
        "mba.charged",
        f"From {_AGENTS_CHARGED.first} Meta charges each Meta Business Agent message per token, "
        "in every market alike, even inside a free entry point window; like any free-form "
        "message it needs an open customer service window.",
        lambda *, priced: (
            f"Since {_AGENTS_CHARGED.first} Meta charges Meta Business Agent messages per token, "
            f"even inside a free entry point window: {priced}. What Meta's status webhook reports "
            "for them is not on Meta's pages."
        ),
        "PMP",
    )
    PMP_FREE_SERVICE_UNCONFIRMED = (
        "pmp.free_service_unconfirmed",
        f"Only when a timeline turns it on: the {_REPORTED_FREE_SERVICE_MESSAGES:,} free service "
        "messages per business number and month that some providers report from "
        f"{_REPORTED_FREE_SERVICE.first}, which Meta has not confirmed.",
        lambda *, number, month: (
            f"Free as service message {number:,} of the {_REPORTED_FREE_SERVICE_MESSAGES:,} per "
            f"business number for {month} that some providers report from "
            f"{_REPORTED_FREE_SERVICE.first}; Meta has not confirmed this allowance, and this "
            "timeline turned it on."
        ),
        "PMP",
    )
    US_MARKETING_BLOCKED = (
        "us.marketing_blocked",
        f"From {US_MARKETING_BLOCKED} WhatsApp does not deliver marketing templates to US "
        "numbers (+1 with a US area code; Canada and the other +1 countries are not affected): "
        "the template is undelivered and costs nothing.",
        lambda: (
            "WhatsApp has not delivered marketing templates to US numbers (+1 with a US area "
            f"code) since {US_MARKETING_BLOCKED}, so Meta does not deliver this one, and "
            "charges nothing for it."
        ),
        None,
    )
    FAILED = (
        "failed.error",
        "A business message Meta reports as failed, with an error code, was not delivered, and "
        "only delivered messages are charged: it costs nothing and opens nothing.",
        lambda *, message, code, meaning, note: (
            f"Meta reported this {message} failed with error {code}, {meaning}. Only delivered "
            f"messages are charged, so it costs nothing and opens nothing{note}."
        ),
        None,
    )
    FAILED_EXPIRED = (
        "failed.expired",
        "A message Meta could not deliver before its time-to-live ran out is dropped: it costs "
        "nothing and opens nothing. An authentication template's time-to-live is 10 minutes by "
        "default, a utility or marketing template's 30 days.",
        lambda *, message, ttl: (
            f"Meta dropped this {message}, as it could not be delivered before its "
            f"time-to-live ran out ({ttl}); only delivered messages are charged, so it costs "
            "nothing and opens nothing."
        ),
        None,
    )
    MM_CHARGED = (
        "mm.charged",
        "Per-message pricing: a marketing template sent through the Marketing Messages API "
        "without a max price costs the market's marketing rate, as through the Cloud API; "
        "Meta's webhook reports its category as marketing_lite.",
        lambda *, where, priced: (
            f"A marketing template sent through the Marketing Messages API{where} costs the "
            f"market's marketing rate, as through the Cloud API: {priced}."
        ),
        "PMP",
    )
    MM_MAX_PRICE = (
        "mm.max_price",
        "A marketing template sent through the Marketing Messages API with a max price costs "
        "at most that price per delivery (the business sets it per "
        f"{VOCABULARY.route_named['marketing_messages_api'].max_price_per:,} deliveries; it may "
        "be above or below the rate card's rate), so the charge is an upper bound.",
        lambda *, cap, per, currency, amount, priced: (
            f"Sent through the Marketing Messages API with a max price of {cap} {currency} per "
            f"{per:,} deliveries, this marketing template costs at most {amount} {currency}: "
            f"Meta charges the max price or less (the rate card, for comparison: {priced})."
        ),
        "PMP",
    )
    DS_CHARGED = (
        "ds.charged",
        f"Direct Send, from {DIRECT_SEND_LAUNCH}: a utility (or, where Meta grants access, "
        "authentication) message sent without a pre-approved template is charged as a template "
        "of its category, and needs no open customer service window.",
        lambda *, category, where, priced: (
            f"Sent with Direct Send, without a pre-approved template (Meta makes one behind it), "
            f"this {category} message needs no open customer service window and is charged "
            f"as a {category} template{where}: {priced}."
        ),
        "PMP",
    )
    DS_USER_ID_REFUSED = (
        "ds.user_id_refused",
        "Meta refuses an authentication message sent with Direct Send to a business-scoped "
        "user id: it needs the customer's phone number. It costs nothing.",
        lambda: (
            "Meta does not send authentication messages with Direct Send to a business-scoped "
            "user id (they need the customer's phone number), so it refuses this one: it "
            "opens nothing and costs nothing."
        ),
        None,
    )
    CALL_CHARGED = (
        "call.charged",
        f"From {CALLS_OPEN_WINDOW}: a call the business places and the customer accepts opens or "
        "refreshes the customer service window, and is charged per started 6-second pulse at "
        "the calling rate of the customer's market, in monthly volume tiers.",
        lambda *, seconds, pulses, priced: (
            "The customer accepted this call, which opens or refreshes the customer service "
            f"window for 24 hours; {seconds:,} connected seconds make {pulses:,} started "
            f"6-second pulses: {priced}."
        ),
        None,
    )
    CALL_UNANSWERED = (
        "call.unanswered",
        "A call the business places that the customer does not accept costs nothing and opens "
        "no customer service window.",
        lambda: (
            "The customer did not accept this call: an unanswered call costs nothing and "
            "opens no customer service window."
        ),
        None,
    )


NOT_IN_STATUS_WEBHOOKS = frozenset(
    {
        Rule.CSW_CLOSED,
        Rule.MBA_NOT_YET_CHARGED,
        Rule.MBA_CHARGED,
        Rule.US_MARKETING_BLOCKED,
        Rule.FAILED,
        Rule.FAILED_EXPIRED,
        Rule.DS_USER_ID_REFUSED,
        Rule.CALL_CHARGED,
        Rule.CALL_UNANSWERED,
    }
)
"""Rules whose messages get no ``pricing`` object to predict: nothing delivered or billed, a
call (Meta reports what calls cost in ``call_analytics``), or an agent message (not on Meta's
pages)."""


class Charge(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """An amount in a currency; ``amount`` is ``None`` when no sourced rate exists for it."""

    amount: Decimal | None
    currency: str
    at_most: bool | None = None
    """``True`` when Meta charges the amount or less (a max price); left out otherwise."""


class Tier:
    """Which count's position prices a message (:class:`Counted`): small ints, which compiled
    code compares natively."""

    FREE_CONVERSATIONS: Final = 1
    """The month's free conversations of either kind, under two categories."""
    FREE_SERVICE: Final = 2
    """The month's free service conversations, under four categories."""
    VOLUME: Final = 3
    """A volume tier's month of one market and category, under per-message pricing."""


class Counted(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A message whose charge waits for its position in a count: everything else that prices
    it, so that its charge, rule and reason follow from the position alone.

    The engine prices every counted message through one of these, so a run that counts with
    placeholders (a part of an account, on Spark) can reprice the message once the positions
    of the whole account are known, instead of running its customer again. The position never
    changes what Meta's webhook should report (a free tier's conversation is billable alike).
    """

    tier: int
    """Which count (:class:`Tier`)."""
    message: str
    """Its id: a finding is repriced by its account and message id."""
    day: date
    """The local day, whose month the count is of."""
    rule: Rule
    """The rule past a free tier's allowance, or the rule of a volume tier's message."""
    charge: Charge
    """The charge past the allowance; in a volume tier, at the list rate."""
    priced: str
    """How ``charge`` was priced, in words."""
    conversation: str = ""
    """The conversation it opens (free tiers)."""
    category: str = ""
    """A volume tier's message's category, or the category of the conversation it opens under
    two categories (``user_initiated`` or ``business_initiated``)."""
    where: str = ""
    """Where a volume tier's message was sent, in words (``inside the window``)."""
    market: str = ""
    """A volume tier's market."""
    international: bool = False
    """Whether a volume tier's message is charged the international rate of its category: its
    position is in the category's count, its price in that rate's tiers."""
    allowance: int = 0
    """A free tier's allowance: the positions up to it are free."""


class ConversationRef(msgspec.Struct, frozen=True, gc=False):
    """The conversation a message opened or joined."""

    id: str
    category: str


class WebhookReport(msgspec.Struct, frozen=True, gc=False):
    """What Meta's status webhook should say of a message in its ``pricing`` object."""

    pricing_model: str
    """``CBP`` or ``PMP``."""
    category: str
    """``pricing.category``: the rate applied (``referral_conversion`` in a free entry point)."""
    type: str | None
    """``pricing.type`` under per-message pricing; Meta sends none under ``CBP``."""
    billable: bool | None
    """``pricing.billable``; ``None`` where Meta's own reports disagree, so it is not judged."""


class MessageRecord(msgspec.Struct, frozen=True, gc=False):
    """Everything the rules made of one business message."""

    id: str
    status: str
    customer: str
    market: str
    conversation: ConversationRef | None
    charge: Charge
    reason: str
    rule: Rule
    period: str
    """The stable id of the pricing period whose rules applied."""
    webhook: WebhookReport | None
    """What Meta's webhook should report; ``None`` for a rejected message (nothing is billed)
    and for a Meta Business Agent message (Meta's pages do not say)."""
    provisional: bool
    """Charged at the latest sourced card on a day after Meta could have changed it."""


class ConversationRecord(msgspec.Struct, frozen=True, gc=False):
    """A conversation, handed out once it has ended (or the timeline has)."""

    id: str
    order: int
    """Its place in the order of opening, from 1."""
    customer: str
    market: str
    category: str
    opened_at: float
    """Unix time of the delivery that opened it."""
    expires_at: float
    """Unix time it ended, or will end (a free entry point ends the others early)."""
    charge: Charge


def webhook_report(
    rule: Rule, category: str, charged: bool, per_message: bool
) -> WebhookReport | None:
    """What Meta reports for a message decided by ``rule``, as its period's rules have it.

    ``category`` is the conversation's under conversation-based pricing, else the rate applied.
    """
    if rule in NOT_IN_STATUS_WEBHOOKS:
        return None
    model = rule.model or (PER_MESSAGE if per_message else PER_CONVERSATION)
    if rule in (Rule.FEP_OPENED, Rule.FEP_JOINED):
        kind = FREE_ENTRY_POINT_TYPE if model == PER_MESSAGE else None
        return WebhookReport(model, FREE_ENTRY_POINT_CATEGORY, kind, False)
    if model == PER_CONVERSATION:
        # From 2024-11-01 service conversations are free, and whether Meta still marks them
        # billable is reported differently by providers: that is left unjudged.
        return WebhookReport(model, category, None, None if rule is Rule.CBP_SERVICE_FREE else True)
    kind = REGULAR if charged else FREE_CUSTOMER_SERVICE
    return WebhookReport(model, category, kind, charged)
