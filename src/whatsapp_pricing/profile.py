"""The business profile a customer sees, with the limits the Cloud API enforces.

Only limits we could source are checked; where sources disagree the model says which it follows.
Sources: Meta's business profiles reference (the fields, and ``about`` at 1 to 139 characters);
provider documentation transcribing Meta's limits for the other fields.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field


def _web_address(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("a website must start with http:// or https://")
    return url


Website = Annotated[str, Field(max_length=256), AfterValidator(_web_address)]


class BusinessProfile(BaseModel):
    """The fields of a business phone number's profile (``whatsapp_business_profile``).

    Opening hours are not a Cloud API profile field (the Business app has them), so a profile
    with ``hours`` is refused like any unknown field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    about: Annotated[str, Field(min_length=1, max_length=139)] | None = None
    """The short text under the name: 1 to 139 characters, emoji allowed."""
    address: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    """Up to 512 characters, as most sources give; one provider's documentation says 256."""
    email: Annotated[EmailStr, Field(max_length=128)] | None = None
    websites: Annotated[list[Website], Field(max_length=2)] = []
    """At most two addresses, each up to 256 characters, with http:// or https://."""
    vertical: str | None = None
    """The industry, such as ``RETAIL`` or ``TRAVEL``; Meta's full list is not sourced here."""
