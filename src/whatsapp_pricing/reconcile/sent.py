"""The business's own record of the templates it sent: webhooks do not name the template."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from whatsapp_pricing.errors import UsageError


@dataclass(frozen=True, slots=True)
class SentTemplate:
    """What the business's own records say it sent: webhooks do not name the template."""

    template: str
    category: str | None = None
    """The category the business sent it as, if it knows."""


def read_sent(data: bytes, source: str) -> dict[str, SentTemplate]:
    """The business's own record of templates sent, a CSV: ``message_id,template[,category]``.

    ``source`` names the file in errors, which say which line is at fault.
    """
    rows = csv.DictReader(data.decode("utf-8-sig", errors="replace").splitlines())
    if not {"message_id", "template"} <= set(rows.fieldnames or ()):
        raise UsageError(f"{source}: needs the columns message_id and template (category optional)")
    sent = {}
    for number, row in enumerate(rows, start=2):
        if not row["message_id"] or not row["template"]:
            raise UsageError(f"{source}, line {number}: message_id and template must not be empty")
        category = (row.get("category") or "").strip().lower() or None
        sent[row["message_id"]] = SentTemplate(row["template"], category)
    return sent
