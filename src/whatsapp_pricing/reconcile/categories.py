"""How Meta's webhooks name a message's category, and which of those the rules know.

Kept apart, as one small table, because it is what a new kind of message changes: reconcile
reads a status's ``pricing.category`` (and ``conversation.origin.type``) through it alone.
"""

from __future__ import annotations

from whatsapp_pricing.domain import TemplateCategory
from whatsapp_pricing.records import FREE_ENTRY_POINT_CATEGORY

TEMPLATE_CATEGORIES = {
    "marketing": TemplateCategory.MARKETING.value,
    "marketing_lite": TemplateCategory.MARKETING.value,
    "utility": TemplateCategory.UTILITY.value,
    "authentication": TemplateCategory.AUTHENTICATION.value,
    "authentication-international": TemplateCategory.AUTHENTICATION.value,
    "authentication_international": TemplateCategory.AUTHENTICATION.value,
}
FREE_FORM_CATEGORIES = {"service", FREE_ENTRY_POINT_CATEGORY}
WHOLE_CONVERSATION_CATEGORIES = {"user_initiated", "customer_initiated", "business_initiated"}
"""Before 2023-06-01 a category named the conversation, which covered templates and free-form
messages alike (``customer_initiated`` is how Meta's SDK spelled ``user_initiated``)."""
GROUP_CATEGORIES = {"group_marketing", "group_utility", "group_service"}
"""Groups API messages: charged per delivered member, which these rules do not model."""
KNOWN_CATEGORIES = TEMPLATE_CATEGORIES.keys() | FREE_FORM_CATEGORIES | WHOLE_CONVERSATION_CATEGORIES
SPELLINGS = {"customer_initiated": "user_initiated"}
"""Values Meta wrote two ways, each mapped to the spelling the rules use."""
