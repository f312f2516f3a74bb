"""What a message is, said once: its kind, its category, and every way Meta spells them.

Meta adds a kind of message, a category or a rate column nearly every quarter. Everything the
package knows about them is one row of the tables below, and every other module derives what it
needs from a :class:`Vocabulary` (the default one is :data:`VOCABULARY`): the pydantic enums of
:mod:`~whatsapp_pricing.domain`, the rate-card columns of :mod:`~whatsapp_pricing.rate_cards`,
the engine's rate columns and volume tiers, reconcile's reading of Meta's ``pricing.category``,
the estimator's inputs, the site's legends, rate tables and rule-code page, the error messages'
list of event types and the tests' generators. A row forgotten somewhere cannot happen: there is
nowhere else to forget it.

How to add things:

- **A category** (a new rate Meta charges): add a :class:`Category` row to ``CATEGORIES`` with its
  rate-card column header as Meta spells it, its spellings in webhooks and analytics, whether
  volume tiers apply, its legend text and how the site names its column. Give it a colour in
  ``docs/stylesheets/timeline.css`` if it can name a conversation (a test checks every such
  category has one). A card that lacks the column leaves the category unpriced on that card.
- **A spelling** (Meta names a category another way, as ``marketing_lite`` for marketing sent
  through the Marketing Messages API): add it to the row's ``webhook`` or ``analytics``
  spellings. Reconcile then reads it as that category, with nothing else to change.
- **A kind of message** (a new timeline event type, such as Direct Send or a call): add a
  :class:`MessageKind` row to ``KINDS``, the pydantic model of its event to
  :mod:`~whatsapp_pricing.domain`, and the rule that prices it to the engine.
- **A period** (Meta changes the rules from a day): add a
  :class:`~whatsapp_pricing.periods.Period` to ``periods.PERIODS``, with its dates and allowances:
  rule texts format them from there, and nothing else may type them.

A vocabulary is an ordinary value: a test (or a provider with an unreleased category) builds its
own with :meth:`Vocabulary.with_categories` and reads rate cards with it; the rate book carries
it to the engine, reconcile, the estimator and the site's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whatsapp_pricing.periods import Period


@dataclass(frozen=True)
class MessageKind:
    """A kind of event on a timeline: its ``type`` in the contract's JSON, and what the rules
    need to know of it before any period's rules apply."""

    name: str
    """The event's ``type`` in a timeline."""
    code: int
    """The small int the engine's hot loop reads instead of the name."""
    words: str
    """How a reason names a message of this kind."""
    needs_window: bool
    """Whether Meta delivers it only inside an open customer service window."""
    opens_window: bool = False
    """Whether it opens or refreshes the customer service window whatever else it does (a
    customer's message or call; a business's call does when the customer accepts it)."""


@dataclass(frozen=True)
class Category:
    """A category of conversation or message: what Meta charges a message as, and every way
    Meta and this site name it."""

    name: str
    """The category as timelines, verdicts and the rules spell it."""
    column: str | None
    """The header of its rate column on Meta's rate cards, as Meta spells it; ``None`` if it
    has no rate of its own."""
    template: bool
    """Whether a template can be approved in it (a timeline's template ``category``)."""
    conversation: bool
    """Whether a conversation can be of it (a verdict's conversation ``category``)."""
    covers: frozenset[str]
    """The kinds of message Meta may report under it: a template category's templates, the
    service category's free-form messages, or, for a conversation that covered every message
    (a free entry point, before 2023-06-01 any conversation), templates and free-form alike."""
    webhook: tuple[str, ...] = ()
    """Its spellings in ``pricing.category`` of Meta's status webhooks; the first is the one
    the rules predict, which is the category's name but for a free entry point's
    (``referral_conversion``). Empty: Meta's webhooks never report it."""
    analytics: tuple[str, ...] = ()
    """Its spellings in ``pricing_category`` of Meta's ``pricing_analytics``."""
    rate_of: str | None = None
    """The template category whose messages this rate charges, if another row's (the
    international authentication rate charges authentication templates)."""
    tiered: bool = False
    """Whether Meta's monthly volume tiers lower its per-message rate. A rate that charges
    another category's templates (``rate_of``) has tiers of its own, but its messages are
    counted with that category's."""
    sent_by: str = ""
    """Who may send a message of it, and when."""
    legend: str | None = None
    """The key's text for a conversation of it in the site's timeline pictures."""
    shown: str | None = None
    """How the site's rate tables name its column."""
    estimated: str | None = None
    """Set when the estimator asks for a month's count of these messages: what to count."""
    direct_send: bool = False
    """Whether a business may send a message of it with Direct Send, without an approved
    template (a timeline's ``direct_send`` ``category``)."""

    @property
    def template_category(self) -> str | None:
        """The template category a message charged under it was sent as, if a template."""
        if self.rate_of is not None:
            return self.rate_of
        return self.name if self.template else None


@dataclass(frozen=True)
class Route:
    """An API a template can be sent through: a timeline's template ``via``."""

    name: str
    """As a timeline spells it."""
    words: str
    """How a reason names it."""
    categories: frozenset[str] | None
    """The template categories it sends; ``None``: every one."""
    reported: str | None
    """What Meta's webhooks report as ``pricing.category`` for templates sent through it;
    ``None``: the category's own spelling."""
    max_price_per: int | None
    """For how many deliveries a max price is set, if a template sent through it may carry one
    (Meta sets it per 1,000 deliveries); ``None`` if none may."""


@dataclass(frozen=True)
class PricingType:
    """``pricing.type`` of a status webhook under per-message pricing: why a message was or
    was not charged."""

    name: str
    """As the webhook spells it, and the rules predict it."""
    analytics: str
    """As ``pricing_analytics`` spells it in ``pricing_type``."""
    charged: bool
    conversation_analytics: tuple[str, ...] = ()
    """How ``conversation_analytics`` spells the like in ``conversation_type``, for months under
    conversation-based pricing: ``FREE_TIER`` for a conversation free within the month's
    allowance, ``FREE_ENTRY`` for a free entry point's."""


KINDS = (
    MessageKind("customer_message", 0, "customer message", needs_window=False, opens_window=True),
    MessageKind("free_form", 2, "free-form message", needs_window=True),
    MessageKind("template", 1, "template", needs_window=False),
    MessageKind("agent_message", 3, "Meta Business Agent message", needs_window=True),
    MessageKind("direct_send", 4, "Direct Send message", needs_window=False),
    MessageKind(
        "customer_call", 5, "call from the customer", needs_window=False, opens_window=True
    ),
    MessageKind("business_call", 6, "call to the customer", needs_window=False),
)
"""Every kind of event a timeline holds, in the order the error messages list them."""

TEMPLATE = frozenset({"template"})
FREE_FORM = frozenset({"free_form"})
WHOLE_CONVERSATION = frozenset({"template", "free_form"})

CATEGORIES = (
    Category(
        "marketing",
        column="Marketing",
        template=True,
        conversation=True,
        covers=TEMPLATE,
        # marketing_lite: sent through the Marketing Messages API, charged as marketing.
        webhook=("marketing", "marketing_lite"),
        analytics=("MARKETING", "MARKETING_LITE"),
        sent_by="the business, as an approved template, at any time",
        legend="Marketing conversation",
        shown="Marketing template",
        estimated="marketing templates, each to a customer with no window open",
    ),
    Category(
        "utility",
        column="Utility",
        template=True,
        conversation=True,
        covers=TEMPLATE,
        webhook=("utility",),
        analytics=("UTILITY",),
        tiered=True,
        sent_by=(
            "the business, as an approved template, at any time; also with Direct Send, "
            "without one (since Meta launched it)"
        ),
        legend="Utility conversation",
        shown="Utility template",
        estimated="utility templates, each to a customer with no window open",
        direct_send=True,
    ),
    Category(
        "authentication",
        column="Authentication",
        template=True,
        conversation=True,
        covers=TEMPLATE,
        webhook=("authentication",),
        analytics=("AUTHENTICATION",),
        tiered=True,
        sent_by="the business, as an approved template, at any time",
        legend="Authentication conversation",
        shown="Authentication template",
        estimated="authentication templates, each to a customer with no window open",
        direct_send=True,
    ),
    Category(
        "authentication-international",
        column="Authentication-International",
        template=False,
        conversation=False,
        covers=TEMPLATE,
        webhook=("authentication-international", "authentication_international"),
        analytics=("AUTHENTICATION_INTERNATIONAL",),
        rate_of="authentication",
        # Meta's pricing page, "Volume tiers" (its example of a business charged this rate from
        # the 15th of a month): from then the tiers price this rate, and the month's count of
        # the market's authentication messages goes on.
        tiered=True,
        sent_by=(
            "the business, as an authentication template, to a market outside its primary "
            "location, from an account Meta charges international rates (from June 2024)"
        ),
        shown="Authentication, international rate",
    ),
    Category(
        "service",
        column="Service",
        template=False,
        conversation=True,
        covers=FREE_FORM,
        webhook=("service",),
        analytics=("SERVICE",),
        sent_by="the business, as a free-form message, inside the customer service window",
        legend="Service conversation",
        shown="Service (non-template) message",
        estimated="Free-form replies to customers who wrote first, spread evenly among them.",
    ),
    Category(
        "free_entry_point",
        column=None,
        template=False,
        conversation=True,
        covers=WHOLE_CONVERSATION,
        webhook=("referral_conversion",),
        sent_by=(
            "the business, any message, within 24 hours of a customer coming through a "
            "click-to-WhatsApp ad or a Facebook Page button, and for the window it opens"
        ),
        legend="Free entry point conversation: every message in it is free",
    ),
    Category(
        "user_initiated",
        column=None,
        template=False,
        conversation=True,
        covers=WHOLE_CONVERSATION,
        # customer_initiated: how Meta's SDK spelled user_initiated.
        webhook=("user_initiated", "customer_initiated"),
        # conversation_analytics names the two categories in conversation_direction.
        analytics=("USER_INITIATED",),
        sent_by=(
            "the business, any message, inside the customer service window (under "
            "conversation-based pricing with two categories)"
        ),
        legend="User-initiated conversation",
    ),
    Category(
        "business_initiated",
        column=None,
        template=False,
        conversation=True,
        covers=WHOLE_CONVERSATION,
        webhook=("business_initiated",),
        analytics=("BUSINESS_INITIATED",),
        sent_by=(
            "the business, a template, outside the customer service window (under "
            "conversation-based pricing with two categories)"
        ),
        legend="Business-initiated conversation",
    ),
)
"""Every category, in the order the site lists them."""

ROUTES = (
    Route("cloud_api", "the Cloud API", categories=None, reported=None, max_price_per=None),
    Route(
        "marketing_messages_api",
        "the Marketing Messages API",
        categories=frozenset({"marketing"}),
        reported="marketing_lite",
        max_price_per=1000,
    ),
)
"""Every API a template can be sent through; the first is a timeline's default."""

PRICING_TYPES = (
    PricingType("regular", "REGULAR", charged=True, conversation_analytics=("REGULAR",)),
    PricingType(
        "free_customer_service",
        "FREE_CUSTOMER_SERVICE",
        charged=False,
        conversation_analytics=("FREE_TIER",),
    ),
    PricingType(
        "free_entry_point",
        "FREE_ENTRY_POINT",
        charged=False,
        conversation_analytics=("FREE_ENTRY", "FREE_ENTRY_POINT"),
    ),
)


@dataclass(frozen=True)
class AnalyticsPoint:
    """One data point of Meta's ``pricing_analytics``, read through the vocabulary."""

    category: Category
    pricing_type: PricingType


@dataclass(frozen=True)
class Vocabulary:
    """The tables as one value, with every lookup derived from them once.

    Lookups are built on first use and kept: the engine reads them per message, never the rows.
    """

    kinds: tuple[MessageKind, ...] = KINDS
    categories: tuple[Category, ...] = CATEGORIES
    pricing_types: tuple[PricingType, ...] = PRICING_TYPES
    routes: tuple[Route, ...] = ROUTES
    periods: tuple[Period, ...] | None = None
    """The pricing periods the rules apply; ``None``: those of :mod:`~whatsapp_pricing.periods`."""

    def with_categories(self, *categories: Category) -> Vocabulary:
        """This vocabulary with more categories (or rows replacing those of the same name)."""
        new = {category.name: category for category in categories}
        kept = tuple(new.pop(category.name, category) for category in self.categories)
        return replace(self, categories=kept + tuple(new.values()))

    def with_periods(self, periods: Iterable[Period]) -> Vocabulary:
        """This vocabulary applying other pricing periods (a test's made-up one, say)."""
        return replace(self, periods=tuple(periods))

    def kind(self, name: str) -> MessageKind:
        return self.kind_named[name]

    def category(self, name: str) -> Category:
        return self.category_named[name]

    def pricing_type(self, name: str) -> PricingType:
        return next(kind for kind in self.pricing_types if kind.name == name)

    @cached_property
    def kind_named(self) -> Mapping[str, MessageKind]:
        return {kind.name: kind for kind in self.kinds}

    @cached_property
    def category_named(self) -> Mapping[str, Category]:
        return {category.name: category for category in self.categories}

    @cached_property
    def event_types(self) -> tuple[str, ...]:
        """Every event ``type`` of a timeline."""
        return tuple(kind.name for kind in self.kinds)

    @cached_property
    def route_named(self) -> Mapping[str, Route]:
        return {route.name: route for route in self.routes}

    @cached_property
    def direct_send_categories(self) -> tuple[str, ...]:
        """The categories Direct Send sends."""
        return tuple(category.name for category in self.categories if category.direct_send)

    @cached_property
    def opening_window(self) -> frozenset[int]:
        """The codes of the kinds that always open or refresh the customer service window."""
        return frozenset(kind.code for kind in self.kinds if kind.opens_window)

    @cached_property
    def template_categories(self) -> tuple[str, ...]:
        return tuple(category.name for category in self.categories if category.template)

    @cached_property
    def conversation_categories(self) -> tuple[str, ...]:
        return tuple(category.name for category in self.categories if category.conversation)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The rate columns of Meta's cards, as Meta's header spells them, in its order."""
        return tuple(category.column for category in self.categories if category.column)

    @cached_property
    def column_of(self) -> Mapping[str, str]:
        """A category's rate column, by the category's name."""
        return {category.name: category.column for category in self.categories if category.column}

    @cached_property
    def tiered_columns(self) -> tuple[str, ...]:
        """The rate columns Meta gives volume tiers."""
        return tuple(c.column for c in self.categories if c.tiered and c.column)

    @cached_property
    def tiered(self) -> frozenset[str]:
        """The categories whose rates volume tiers lower."""
        return frozenset(category.name for category in self.categories if category.tiered)

    @cached_property
    def international(self) -> Category:
        """The rate that charges another category's templates outside the business's country."""
        return next(category for category in self.categories if category.rate_of is not None)

    @cached_property
    def reported(self) -> Mapping[str, Category]:
        """Each category by each of its spellings in Meta's webhooks."""
        return {spelling: category for category in self.categories for spelling in category.webhook}

    @cached_property
    def webhook_spelling(self) -> Mapping[str, str]:
        """Each webhook spelling mapped to the one the rules predict for its category."""
        return {spelling: category.webhook[0] for spelling, category in self.reported.items()}

    @cached_property
    def sent_as(self) -> Mapping[str, str]:
        """The template category of a message Meta reports under a webhook spelling, for the
        spellings that only templates are reported under."""
        return {
            spelling: category.template_category
            for spelling, category in self.reported.items()
            if category.template_category is not None
        }

    @cached_property
    def whole_conversation(self) -> frozenset[str]:
        """Webhook spellings of categories that cover templates and free-form messages alike:
        the message needs no open window, and the log does not say its template category."""
        return frozenset(
            spelling
            for spelling, category in self.reported.items()
            if category.covers >= WHOLE_CONVERSATION
        )

    @cached_property
    def webhook_name(self) -> Mapping[str, str]:
        """The spelling the rules predict in ``pricing.category``, by category name."""
        return {
            category.name: category.webhook[0] for category in self.categories if category.webhook
        }

    @cached_property
    def estimated(self) -> tuple[Category, ...]:
        """The categories the estimator asks a month's count of, in table order."""
        return tuple(category for category in self.categories if category.estimated)

    @cached_property
    def analytics_category(self) -> Mapping[str, Category]:
        """Each category by each of its spellings in ``pricing_analytics``."""
        return {
            spelling: category for category in self.categories for spelling in category.analytics
        }

    @cached_property
    def analytics_type(self) -> Mapping[str, PricingType]:
        return {kind.analytics: kind for kind in self.pricing_types}

    @cached_property
    def conversation_analytics_type(self) -> Mapping[str, PricingType]:
        """Each pricing type by its spellings in ``conversation_type`` of
        ``conversation_analytics``."""
        return {
            spelling: kind
            for kind in self.pricing_types
            for spelling in kind.conversation_analytics
        }

    def from_analytics(self, pricing_category: str, pricing_type: str) -> AnalyticsPoint:
        """Reads ``pricing_category`` and ``pricing_type`` of a ``pricing_analytics`` point.

        Raises :class:`KeyError` for a spelling no row has.
        """
        return AnalyticsPoint(
            self.analytics_category[pricing_category], self.analytics_type[pricing_type]
        )


def enum(name: str, values: Iterable[str], doc: str, module: str) -> type[StrEnum]:
    """A :class:`~enum.StrEnum` of names from the tables (``free_entry_point`` becomes the
    member ``FREE_ENTRY_POINT``), for pydantic models, their JSON schema and the tests."""
    members = [(value.upper().replace("-", "_"), value) for value in values]
    made = StrEnum(name, members)  # type: ignore[misc]  # built from the tables, not literals
    made.__doc__ = doc
    made.__module__ = module
    return made


VOCABULARY = Vocabulary()
"""The vocabulary of Meta's rules as this package knows them."""
