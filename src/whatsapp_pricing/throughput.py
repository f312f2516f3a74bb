"""Campaign planning: how long a send takes at a throughput, and days under a messaging limit.

Sources: Meta's throughput page (Cloud API numbers start at 80 messages per second, counting
incoming and outgoing, and can reach 1,000; numbers shared with the Business app are held at 20)
and Meta's Cloud API vs On-Premises comparison (On-Premises up to 250); Meta's messaging limits
page (unique customers reached outside the service window per moving 24 hours).
"""

from __future__ import annotations

import math
from datetime import timedelta

CLOUD_API_DEFAULT = 80
"""Messages per second a Cloud API number starts with."""
CLOUD_API_HIGHEST = 1000
"""Messages per second a Cloud API number can be upgraded to, at no cost."""
COEXISTENCE = 20
"""Messages per second of a number also used in the WhatsApp Business app."""
ON_PREMISES_HIGHEST = 250
"""Messages per second Meta supported on the On-Premises API (retired on 2025-10-23)."""
MESSAGING_LIMITS = (250, 2_000, 10_000, 100_000)
"""Unique customers a business portfolio may reach outside the service window per 24 hours,
from a new portfolio upwards; the last step is unlimited."""


def send_time(messages: int, messages_per_second: int) -> timedelta:
    """How long sending takes at full throughput, ignoring incoming traffic and retries."""
    if messages < 0 or messages_per_second <= 0:
        raise ValueError("messages must be 0 or more and throughput more than 0")
    return timedelta(seconds=math.ceil(messages / messages_per_second))


def days_to_reach(customers: int, messaging_limit: int | None) -> int:
    """Days needed to reach that many new customers under a messaging limit (``None``: none)."""
    if messaging_limit is None:
        return 1
    return max(1, math.ceil(customers / messaging_limit))
