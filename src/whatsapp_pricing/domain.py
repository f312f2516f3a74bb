"""The public shape of the simulator: a timeline goes in, a verdict comes out.

These models follow the simulation contract field for field. They are frozen, forbid unknown
fields, and carry their documentation as attribute docstrings, so one text serves the code, the
JSON schema and the API reference. The verdict models are built from the engine's records
(:mod:`whatsapp_pricing.records`) by reading their attributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.records import Rule
from whatsapp_pricing.vocabulary import VOCABULARY, enum


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", use_attribute_docstrings=True, from_attributes=True
    )


if TYPE_CHECKING:  # built from the vocabulary's tables below; a type checker sees a StrEnum
    TemplateCategory = StrEnum
    """The category of an approved message template: a :class:`~enum.StrEnum` whose values are
    the template categories of :data:`~whatsapp_pricing.vocabulary.CATEGORIES`."""
    ConversationCategory = StrEnum
    """The category of a conversation: a :class:`~enum.StrEnum` whose values are the categories
    of :data:`~whatsapp_pricing.vocabulary.CATEGORIES` that a conversation can have."""
    DirectSendCategory = StrEnum
    """The category of a Direct Send message: a :class:`~enum.StrEnum` of the categories
    :data:`~whatsapp_pricing.vocabulary.CATEGORIES` marks ``direct_send``."""
    Via = StrEnum
    """The API a template was sent through: a :class:`~enum.StrEnum` of the names of
    :data:`~whatsapp_pricing.vocabulary.ROUTES`."""
else:
    TemplateCategory = enum(
        "TemplateCategory",
        VOCABULARY.template_categories,
        "The category of an approved message template, which decides what it opens and costs.",
        __name__,
    )
    ConversationCategory = enum(
        "ConversationCategory",
        VOCABULARY.conversation_categories,
        "The category of a conversation: a template's category, service, or a free entry "
        f"point; before {next(p.starts for p in PERIODS if not p.two_categories)}, "
        "user-initiated or business-initiated.",
        __name__,
    )
    DirectSendCategory = enum(
        "DirectSendCategory",
        VOCABULARY.direct_send_categories,
        "The category of a message sent with Direct Send, which Meta charges it as.",
        __name__,
    )
    Via = enum(
        "Via",
        (route.name for route in VOCABULARY.routes),
        "The API a template was sent through.",
        __name__,
    )


class EntryPoint(StrEnum):
    """A way into a chat that lets the business's reply open a free entry point conversation."""

    CLICK_TO_WHATSAPP_AD = "click_to_whatsapp_ad"
    FACEBOOK_PAGE_CTA = "facebook_page_cta"


class MessageStatus(StrEnum):
    """What became of a business message."""

    DELIVERED = "delivered"
    REJECTED = "rejected"
    UNDELIVERED = "undelivered"


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {name!r}; use an IANA name such as 'Asia/Kolkata'"
        raise ValueError(message) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
PhoneNumber = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")]
"""A WhatsApp number in E.164 form: a plus sign, then 7 to 15 digits."""
CustomerId = Annotated[
    str, Field(pattern=r"^(?:\+[1-9][0-9]{6,14}|[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128})$")
]
"""A customer as Meta's webhooks name them: a number (E.164, or an older national form such as
``+521`` and ten digits for a Mexican mobile), or a business-scoped user id such as
``BR.1502576394655843`` (``US.ENT.…`` for a parent id), whose first two letters are the
customer's country."""
FailureCode = Annotated[int, Field(strict=True, gt=0)] | Literal["expired"]
"""The error code Meta reported for a message it did not deliver (``131049``), or ``expired``
for one it dropped when its time-to-live ran out."""
MaxPrice = Annotated[
    str, Field(pattern=r"^(?:[0-9]*[1-9][0-9]*(?:\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*)$")
]
"""A positive decimal number, as a string: money is never a float."""
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
MessageId = Annotated[str, Field(min_length=1)]


class Account(_Model):
    """The WhatsApp Business Account the timeline belongs to."""

    time_zone: TimeZoneName
    """The account's IANA time zone: monthly allowances and rule changes switch at midnight here."""
    currency: CurrencyCode = "USD"
    """The currency of the account's rate card."""
    authentication_international: bool = False
    """Whether Meta charges this account authentication-international rates (from June 2024):
    an authentication message to a market that has such a rate, outside the business's primary
    location, then costs that rate. Meta decides which accounts are eligible; say so here."""
    primary_business_location: CountryCode | None = None
    """The ISO 3166 code of the business's primary location, as set in Business Manager;
    required with ``authentication_international``."""
    unconfirmed_free_service_messages: bool = False
    """Applies the 1,000 free service messages per business number and month that some
    providers report from 2026-10-01. Meta's pages do not confirm it, so it is off unless a
    timeline turns it on."""

    @model_validator(mode="after")
    def _location_is_known(self) -> Account:
        if self.authentication_international and self.primary_business_location is None:
            raise ValueError(
                "authentication_international needs primary_business_location, the ISO code "
                "of the business's primary location"
            )
        return self


class CustomerMessage(_Model):
    """The customer writes to the business; this opens or refreshes the customer service window."""

    type: Literal["customer_message"]
    at: AwareDatetime
    """When the business received the message, with its UTC offset."""
    customer: CustomerId
    """The customer: their WhatsApp number, or their business-scoped user id."""
    entry_point: EntryPoint | None = None
    """Set when the customer came through a click-to-WhatsApp ad or a Facebook Page button."""


class TemplateMessage(_Model):
    """An approved template message from the business, delivered to the customer."""

    type: Literal["template"]
    id: MessageId
    """The message's id, unique within the timeline."""
    at: AwareDatetime
    """When the message was delivered, with its UTC offset: conversations open on delivery."""
    customer: CustomerId
    """The customer's number or business-scoped user id; its country decides the market."""
    category: TemplateCategory
    """The template's category as Meta has it at the time of sending."""
    business_number: PhoneNumber | None = None
    """The business phone number that sent it; only the per-number allowance needs it."""
    via: Via = VOCABULARY.routes[0].name  # type: ignore[assignment]
    """The API it was sent through: ``cloud_api``, or ``marketing_messages_api`` (Meta's
    Marketing Messages API, for marketing templates only)."""
    max_price: MaxPrice | None = None
    """With ``via: marketing_messages_api`` only: the most the business agreed to pay per 1,000
    delivered messages, a decimal string in the account's currency (Meta takes it in the
    currency's smallest unit; here it is in the ordinary unit)."""
    failed: FailureCode | None = None
    """Set when Meta did not deliver it: the error code Meta reported; ``at`` is then when."""

    @model_validator(mode="after")
    def _route_takes_it(self) -> TemplateMessage:
        problem = route_problem(self.via, str(self.category), self.max_price is not None)
        if problem is not None:
            raise ValueError(problem)
        return self


def route_problem(via: str, category: str, max_price: bool) -> str | None:
    """Why a template cannot be sent as a timeline says, or ``None`` if it can."""
    route = VOCABULARY.route_named[via]
    if route.categories is not None and category not in route.categories:
        allowed = ", ".join(sorted(route.categories))
        return f"via {via} sends {allowed} templates only, not {category}"
    if max_price and route.max_price_per is None:
        takers = [taker.name for taker in VOCABULARY.routes if taker.max_price_per]
        return f"max_price needs via {' or '.join(takers)}"
    return None


class FreeFormMessage(_Model):
    """Any non-template message from the business: text, media, interactive and so on."""

    type: Literal["free_form"]
    id: MessageId
    """The message's id, unique within the timeline."""
    at: AwareDatetime
    """When the message was delivered (or, if rejected, when it was sent), with its UTC offset."""
    customer: CustomerId
    """The customer's number or business-scoped user id."""
    business_number: PhoneNumber | None = None
    """The business phone number that sent it; only the per-number allowance needs it."""
    failed: FailureCode | None = None
    """Set when Meta did not deliver it: the error code Meta reported; ``at`` is then when."""


class AgentMessage(_Model):
    """A message Meta Business Agent wrote for the business (the platform opened 2026-07-01)."""

    type: Literal["agent_message"]
    id: MessageId
    """The message's id, unique within the timeline."""
    at: AwareDatetime
    """When the message was delivered (or, if rejected, when it was sent), with its UTC offset."""
    customer: CustomerId
    """The customer's number or business-scoped user id."""
    tokens: Annotated[int, Field(strict=True, gt=0)]
    """How many tokens Meta counts for the message: it charges per token."""
    business_number: PhoneNumber | None = None
    """The business phone number that sent it."""
    failed: FailureCode | None = None
    """Set when Meta did not deliver it: the error code Meta reported; ``at`` is then when."""


class DirectSendMessage(_Model):
    """A message the business sent with Direct Send (from 2026-07-31): text or interactive
    content with a category, without a pre-approved template, also outside the window."""

    type: Literal["direct_send"]
    id: MessageId
    """The message's id, unique within the timeline."""
    at: AwareDatetime
    """When the message was delivered, with its UTC offset."""
    customer: CustomerId
    """The customer's number or business-scoped user id; its country decides the market."""
    category: DirectSendCategory
    """``utility``, or ``authentication`` (Meta grants that one on request only)."""
    business_number: PhoneNumber | None = None
    """The business phone number that sent it; only the per-number allowance needs it."""
    failed: FailureCode | None = None
    """Set when Meta did not deliver it: the error code Meta reported; ``at`` is then when."""


class CustomerCall(_Model):
    """The customer called the business, answered or not: the call opens or refreshes the
    customer service window, and costs the business nothing."""

    type: Literal["customer_call"]
    at: AwareDatetime
    """When the call came in, with its UTC offset."""
    customer: CustomerId
    """The customer: their WhatsApp number, or their business-scoped user id."""


class BusinessCall(_Model):
    """The business called the customer (WhatsApp Business Calling)."""

    type: Literal["business_call"]
    id: MessageId
    """The call's id, unique within the timeline."""
    at: AwareDatetime
    """When the call was placed, with its UTC offset."""
    customer: CustomerId
    """The customer called; their number's country decides the calling rate."""
    seconds: Annotated[int, Field(strict=True, ge=0)]
    """How long the call was connected, in seconds; 0 when it was not answered."""
    accepted: Annotated[bool, Field(strict=True)] | None = None
    """Whether the customer picked up; left out, it is ``seconds > 0``."""

    @model_validator(mode="after")
    def _connected_only_if_accepted(self) -> BusinessCall:
        if self.accepted is False and self.seconds > 0:
            raise ValueError("a call the customer did not accept cannot be connected for seconds")
        return self


Event = Annotated[
    CustomerMessage
    | TemplateMessage
    | FreeFormMessage
    | AgentMessage
    | DirectSendMessage
    | CustomerCall
    | BusinessCall,
    Field(discriminator="type"),
]
BusinessMessage = TemplateMessage | FreeFormMessage | AgentMessage | DirectSendMessage


class Timeline(_Model):
    """What happened between one business account and its customers."""

    account: Account
    events: tuple[Event, ...]
    """Customer and business messages, in any order: they are priced in order of time."""

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Timeline:
        check_unique_ids(enumerate(self.events), {})
        return self


def check_unique_ids(events: Iterable[tuple[int, Event]], seen: dict[str, int]) -> None:
    """Refuses a business message whose id an earlier one has; ``seen`` carries over calls."""
    for index, event in events:
        if isinstance(event, CustomerMessage | CustomerCall):
            continue
        first = seen.setdefault(event.id, index)
        if first != index:
            raise ValueError(f"events[{index}].id: {event.id!r} is also events[{first}].id")


class Money(_Model):
    """An amount in a currency; ``amount`` is ``None`` when no sourced rate exists for it."""

    amount: Decimal | None
    """The amount, exact; ``None`` means unpriced: the rate is not known, and is never guessed."""
    currency: CurrencyCode
    at_most: bool | None = Field(default=None, exclude_if=lambda value: value is None)
    """``true`` when Meta charges this amount or less (a max price); left out otherwise."""


class ConversationRef(_Model):
    """The conversation a message opened or joined."""

    id: str
    category: ConversationCategory


class WebhookReport(_Model):
    """What Meta's status webhook should report for a message in its ``pricing`` object."""

    pricing_model: Literal["CBP", "PMP"]
    """``CBP`` under conversation-based pricing, ``PMP`` under per-message pricing."""
    category: str
    """``pricing.category``: the rate applied, ``referral_conversion`` in a free entry point."""
    type: Literal["regular", "free_customer_service", "free_entry_point"] | None
    """``pricing.type``, sent under per-message pricing only."""
    billable: bool | None
    """``pricing.billable``; ``None`` where Meta's own reports disagree (free service
    conversations from 2024-11-01), so it is not predicted."""


class MessageVerdict(_Model):
    """What the rules made of one business message, and why."""

    id: str
    status: MessageStatus
    customer: str
    market: str
    """The rate-card market of the customer's number, spelled as Meta's rate cards spell it."""
    conversation: ConversationRef | None
    """The conversation the message opened or joined; ``None`` when it opened or joined none."""
    charge: Money
    """What this message cost: the conversation's price if it opened one, otherwise zero."""
    reason: str
    """One plain sentence saying why."""
    rule: Rule
    """The code of the rule that decided the message; the site lists every code."""
    period: str
    """The stable id of the pricing period whose rules applied (listed on the site)."""
    webhook: WebhookReport | None
    """What Meta's webhook should report for it; ``None`` when the rules reject it, or for a
    Meta Business Agent message, as Meta's pages do not say what it reports."""
    provisional: bool = False
    """``True`` when the charge comes from the latest sourced rate card on a day after the next
    day Meta could have changed its rates (the first day of the following quarter): the figure
    is the best known, not a confirmed one. The reason says from when."""


class Conversation(_Model):
    """A 24-hour (or 72-hour free entry point) thread with one customer."""

    id: str
    customer: str
    market: str
    category: ConversationCategory
    opened_at: datetime
    """When the message that opened it was delivered (UTC)."""
    expires_at: datetime
    """When it ended or will end (UTC); a free entry point conversation ends the others early."""
    charge: Money
    """What opening it cost; zero when free, for instance within the monthly free allowance."""


class Total(_Model):
    """The sum of all charges."""

    amount: Decimal | None
    """The exact total, or ``None`` when any charge is unpriced."""
    currency: CurrencyCode
    priced_amount: Decimal
    """The sum of the charges whose rate is known."""
    unpriced_charges: int
    """How many charges have no known rate (and so are left out of ``priced_amount``)."""
    at_most: bool | None = Field(default=None, exclude_if=lambda value: value is None)
    """``true`` when some charge is an upper bound (a max price): Meta charges the total or
    less; left out otherwise."""


class Verdict(_Model):
    """The conversations and charges a timeline produced under Meta's rules."""

    messages: tuple[MessageVerdict, ...]
    """One entry per business message, in time order."""
    conversations: tuple[Conversation, ...]
    """Every conversation opened, in order of opening."""
    total: Total
    notices: tuple[str, ...] = ()
    """What a reader must know about the whole verdict, such as a currency with no rate card."""
