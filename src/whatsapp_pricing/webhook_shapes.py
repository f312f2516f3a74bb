"""Meta's webhook notifications in their usual shape, as msgspec types: what most lines of a log
decode into directly, the ``pricing`` and ``conversation`` objects a finding keeps, and the
items a customer's message and a status are read into (:class:`Inbound`,
:class:`StatusUpdate`), which the reconciler holds as they are: a msgspec struct is built for a
fifth of what a NamedTuple costs (see :mod:`.records`), once or more a line.

Kept apart from :mod:`.webhooks`, which reads them: these classes are built by msgspec from
their annotations, so they stay plain Python when the reader is compiled
(:mod:`.compiled`). None is tracked by the cycle collector (``gc=False``): what JSON decodes into
holds no cycles, and a log decodes millions of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from whatsapp_pricing.domain import EntryPoint


class ReportedPricing(msgspec.Struct, frozen=True, gc=False):
    """A status's ``pricing`` object as Meta sent it, the fields reconcile compares.

    Each field holds the JSON value Meta gave, whatever its type (it is compared with what the
    rules say, never trusted), and is ``UNSET`` where Meta left it out.
    """

    category: Any = msgspec.UNSET
    billable: Any = msgspec.UNSET
    pricing_model: Any = msgspec.UNSET
    type: Any = msgspec.UNSET
    cost: Any = msgspec.UNSET
    """With a max price, Meta's estimate of the charge (``amount``, ``currency``); kept, not
    compared."""

    def given(self, names: Iterable[str]) -> dict[str, Any]:
        """The fields among ``names`` that Meta gave, by name."""
        unset = msgspec.UNSET
        return {name: value for name in names if (value := getattr(self, name, unset)) is not unset}


class ReportedOrigin(msgspec.Struct, frozen=True, gc=False):
    """A conversation's ``origin`` object as Meta sent it: its ``type`` (any JSON value; ``None``
    where Meta left it out)."""

    type: Any = None


OtherJson = str | int | float | bool | list[Any] | None
"""Any JSON value that is not an object."""


class ReportedConversation(msgspec.Struct, frozen=True, gc=False):
    """A status's ``conversation`` object (API versions before per-message pricing), as Meta
    sent it: each field as given, ``UNSET`` where Meta left it out."""

    id: Any = msgspec.UNSET
    origin: ReportedOrigin | OtherJson | msgspec.UnsetType = msgspec.UNSET
    """An object whose ``type`` names the conversation's category, read into a struct rather
    than a dict (three of four statuses of a log before per-message pricing carry one); any
    other JSON value as it is, to be compared, never trusted."""
    expiration_timestamp: Any = msgspec.UNSET


class Inbound(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """A customer's message to the business. msgspec encodes it as an array of its fields in
    their order, not an object of their names: Spark moves every one between processes, where
    the names would cost more than the values."""

    customer: str
    """The customer's number (``+`` and digits), or their business-scoped user id when Meta
    withholds the number."""
    at: float
    entry_point: EntryPoint | None
    line: int
    user_id: str = ""
    """The customer's business-scoped user id, when the line carries one."""
    account: str = ""
    """The WhatsApp Business Account the notification is for (the entry's ``id``)."""
    parent_user_id: str = ""
    """The customer's parent business-scoped user id (``US.ENT.…``), shared across a provider's
    portfolios, when the line carries one."""
    business_number: str = ""
    """The business phone number the line is for (``metadata.phone_number_id``)."""


class StatusUpdate(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One status of one of the business's messages, with Meta's pricing if it carried any.
    msgspec encodes it as an array of its fields in their order, as :class:`Inbound`."""

    message: str
    customer: str
    status: str
    at: float
    pricing: ReportedPricing | None
    conversation: ReportedConversation | None
    line: int
    user_id: str = ""
    """The recipient's business-scoped user id, when the line carries one."""
    account: str = ""
    """The WhatsApp Business Account the notification is for (the entry's ``id``)."""
    parent_user_id: str = ""
    """The recipient's parent business-scoped user id, when the line carries one."""
    business_number: str = ""
    """The business phone number that sent the message (``metadata.phone_number_id``)."""
    errors: tuple[int, ...] = ()
    """The ``code`` of each of Meta's ``errors`` on a failed status (see :mod:`.failures`)."""


class CustomerMessage(msgspec.Struct, rename={"sender": "from"}, gc=False):
    timestamp: str
    sender: str | None = None
    from_user_id: str | None = None
    from_parent_user_id: str | None = None
    referral: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class Error(msgspec.Struct, gc=False):
    code: int


class Status(msgspec.Struct, gc=False):
    id: str
    status: str
    timestamp: str
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    recipient_parent_user_id: str | None = None
    pricing: ReportedPricing | None = None
    conversation: ReportedConversation | None = None
    errors: list[Error] | None = None


class Contact(msgspec.Struct, gc=False):
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None


class Metadata(msgspec.Struct, gc=False):
    phone_number_id: str | None = None
    display_phone_number: str | None = None


class Value(msgspec.Struct, gc=False):
    messages: list[CustomerMessage] | None = None
    statuses: list[Status] | None = None
    contacts: list[Contact] | None = None
    metadata: Metadata | None = None


class Change(msgspec.Struct, gc=False):
    field: Literal["messages"]
    """The usual change (a literal: decoded without a string made for it, and a change of any
    other field is not of the usual shape)."""
    value: Value


class Entry(msgspec.Struct, gc=False):
    changes: list[Change]
    id: str = ""


class Notification(msgspec.Struct, gc=False):
    object: Literal["whatsapp_business_account"]
    """A literal, as :attr:`Change.field` is."""
    entry: list[Entry]
