"""Why was I charged? One message's charge, rule and period, from a paste or four choices.

Support staff have one of two things in hand: the status webhook Meta sent for the message (or a
few lines of the log around it), or what the customer told them (the day, the country, the kind
of message, and whether the customer had written in the day before). Either becomes a small
timeline, priced by :func:`~whatsapp_pricing.simulation.simulate` like any other, so the answer
is the engine's own. For a pasted webhook, what Meta reported in ``pricing`` is set beside what
the rules say it should report, and what the paste cannot tell (Meta's webhooks never say
whether the customer service window was open) is said, not guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from whatsapp_pricing.domain import (
    CountryCode,
    CurrencyCode,
    MessageStatus,
    MessageVerdict,
    Money,
    Timeline,
    TimeZoneName,
)
from whatsapp_pricing.errors import PricingError, UsageError, json_mistake
from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.identities import ContactBook
from whatsapp_pricing.markets import e164
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.simulation import simulate
from whatsapp_pricing.vocabulary import VOCABULARY
from whatsapp_pricing.webhooks import (
    Inbound,
    Skipped,
    StatusUpdate,
    read_log,
    without_logger_prefix,
)

BUSINESS_INITIATED_AS = "marketing"
"""The template category a business-initiated conversation (before 2023-06-01) is priced as:
every such conversation cost the same, whatever its template's category."""


def _event_of(spelling: str) -> tuple[str, str | None] | None:
    """What kind of business message Meta's ``pricing.category`` says was sent (the event type
    and the template's category), read through the vocabulary; ``None`` if the rules do not
    know the spelling."""
    template = VOCABULARY.sent_as.get(spelling)
    if template is not None:
        return "template", template
    category = VOCABULARY.reported.get(spelling)
    if category is None:
        return None
    if category.name == "business_initiated":
        return "template", BUSINESS_INITIATED_AS
    return "free_form", None


LAST_WROTE = {
    "no": None,
    "yes": timedelta(hours=1),
    "ad": timedelta(hours=1),
}
"""How long before the message the customer last wrote, for each answer to "did the customer
write in the 24 hours before?" (an hour: inside any window the rules have)."""
WINDOW_TYPES = {
    "free_customer_service": "the customer service window",
    "free_entry_point": "a free entry point window",
}
"""Meta's ``pricing.type`` values that tell an open window, and which."""
WROTE_BY_REPORT = {
    "free_customer_service": "yes",
    "free_entry_point": "ad",
    "service": "yes",
    "user_initiated": "yes",
    "free_entry_point_category": "ad",
}
"""What Meta's report of a message tells of the customer's last message when the reader does not
know: a free service or free entry point type, or a conversation only a customer's message opens
(service, user-initiated, a free entry point), means the customer had written."""
REJECTED_YET_DELIVERED = (
    "Meta delivered it, yet the rules reject a message that is not a template outside the "
    "customer service window: is the customer's last message missing from the paste?"
)
CHOSEN_AT = time(12, 0)
EVENT_FIELD = re.compile(r"^events\[\d+\]\.\w+: ")
"""A message picked by its day is priced at noon in the account's time zone."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pasted(_Model):
    """A status webhook, or a few lines of a webhook log, as the reader pasted them."""

    paste: str
    time_zone: TimeZoneName = "UTC"
    """The WhatsApp Business Account's time zone: the day, and so the rules, are its."""
    currency: CurrencyCode = "USD"
    customer_wrote: Literal["unknown", "no", "yes", "ad"] = "unknown"
    """What the reader knows of the customer's last message when the paste has none."""
    link: str = ""
    """The address of this answer, quoted in the ticket sentence."""
    site: str = ""
    """The site's address, for the rule's link."""


class Chosen(_Model):
    """A message described by its day, its customer's country and its kind."""

    day: date
    country: CountryCode
    category: Literal["marketing", "utility", "authentication", "service"]
    customer_wrote: Literal["no", "yes", "ad"]
    """Whether the customer wrote in the 24 hours before: ``ad`` through a click-to-WhatsApp ad
    or a Facebook Page button (a free entry point)."""
    time_zone: TimeZoneName = "UTC"
    currency: CurrencyCode = "USD"
    link: str = ""
    site: str = ""


FIELD_LABELS = {
    "paste": "The webhook box",
    "time_zone": "Account time zone",
    "currency": "Currency",
    "customer_wrote": "Did the customer write in the 24 hours before?",
    "day": "Day",
    "country": "Customer's country",
    "category": "Kind of message",
}
"""The form's name for each field, for a refusal."""


class PeriodShown(_Model):
    id: str
    name: str
    starts: date
    ends: date | None
    """The last day, or ``None`` for the period in force today."""


class Answer(_Model):
    """Why one message cost what it cost."""

    message: str
    customer: str
    market: str
    at: datetime
    """When it was delivered (or picked for), in the account's time zone."""
    when: str
    """The same, as a reader writes it: ``2026-11-02 15:30 IST``."""
    charge: Money
    period: PeriodShown
    rule: str
    rule_link: str
    reason: str
    meta: dict[str, Any] | None
    """What Meta's ``pricing`` said, for a pasted webhook."""
    expected: dict[str, Any] | None
    """What the rules say Meta's ``pricing`` should say."""
    differences: list[str]
    notes: list[str]
    """What the answer had to assume, and what the reader can do about it."""
    sentence: str
    """The answer in one sentence, to paste into a ticket."""


def answer(question: Pasted | Chosen) -> list[Answer]:
    """The answer for each business message of the question (one, for four choices)."""
    if isinstance(question, Chosen):
        return [_chosen(question)]
    return _pasted(question)


def _chosen(question: Chosen) -> Answer:
    zone = ZoneInfo(question.time_zone)
    at = datetime.combine(question.day, CHOSEN_AT, zone)
    customer = f"{question.country}.0"
    events: list[dict[str, Any]] = []
    before = LAST_WROTE[question.customer_wrote]
    if before is not None:
        wrote = {"type": "customer_message", "at": (at - before).isoformat(), "customer": customer}
        if question.customer_wrote == "ad":
            wrote["entry_point"] = "click_to_whatsapp_ad"
        events.append(wrote)
    kind = "free_form" if question.category == "service" else "template"
    message: dict[str, Any] = {"type": kind, "id": "message", "at": at.isoformat()}
    if kind == "template":
        message["category"] = question.category
    events.append({**message, "customer": customer})
    verdict = _priced(question.time_zone, question.currency, events, "Day")["message"]
    return _answer(verdict, at, question, meta=None, notes=[])


def question_from_json(text: str) -> Pasted | Chosen:
    """The question a form sent: a paste, or four choices; a refusal in the form's words."""
    try:
        fields = json.loads(text)
        model: type[Pasted | Chosen] = Pasted if "paste" in fields else Chosen
        return model.model_validate(fields)
    except ValidationError as error:
        problem = error.errors()[0]
        label = FIELD_LABELS.get(str(problem["loc"][0]) if problem["loc"] else "", "The form")
        raise UsageError(f"{label}: {problem['msg'].removeprefix('Value error, ')}.") from None


def _pasted(question: Pasted) -> list[Answer]:
    """Each account's lines are priced on their own, as Meta prices each account."""
    items = list(read_log(_as_log(question.paste)))
    by_account: dict[str, list[Inbound | StatusUpdate]] = {}
    for item in items:
        if isinstance(item, Inbound | StatusUpdate):
            by_account.setdefault(item.account, []).append(item)
    if not any(isinstance(item, StatusUpdate) for item in items):
        raise UsageError(_nothing_to_price(items))
    return [found for lines in by_account.values() for found in _account_answers(question, lines)]


def _account_answers(question: Pasted, items: list[Inbound | StatusUpdate]) -> list[Answer]:
    names = ContactBook(keep=math.inf)
    for item in items:
        names.named(item.customer, item.user_id, item.parent_user_id, item.at)

    def name(item: Inbound | StatusUpdate) -> str:
        return names.name_of(e164(item.customer))

    inbound = [item for item in items if isinstance(item, Inbound)]
    statuses: dict[str, list[StatusUpdate]] = {}
    for item in items:
        if isinstance(item, StatusUpdate):
            statuses.setdefault(item.message, []).append(item)
    zone = ZoneInfo(question.time_zone)
    events = [_customer_event(item, name(item)) for item in inbound]
    sent: dict[str, tuple[datetime, dict[str, Any], list[str]]] = {}
    for message, updates in statuses.items():
        at, pricing, notes = _delivery(message, updates)
        events.append(_business_event(message, name(updates[0]), at, pricing))
        sent[message] = (at.astimezone(zone), pricing, notes)
    said: str = question.customer_wrote
    if said == "unknown" and not inbound:
        said = _wrote_by_report([pricing for _, pricing, _ in sent.values()])
    wrote = LAST_WROTE.get(said)
    if not inbound and wrote is not None:
        first = min(at for at, _, _ in sent.values())
        customer = name(next(iter(statuses.values()))[0])
        told = {"type": "customer_message", "at": (first - wrote).isoformat(), "customer": customer}
        if said == "ad":
            told["entry_point"] = "click_to_whatsapp_ad"
        events.append(told)
    verdicts = _priced(question.time_zone, question.currency, events, "The paste's time")
    answers = []
    for message, (at, pricing, notes) in sent.items():
        if not inbound:
            notes = [*notes, _window_note(question.customer_wrote, said, pricing)]
        if verdicts[message].status == MessageStatus.REJECTED:
            notes = [*notes, REJECTED_YET_DELIVERED]
        answers.append(_answer(verdicts[message], at, question, meta=pricing, notes=notes))
    return answers


def _as_log(paste: str) -> str:
    """The paste as a log of one notification per line.

    A notification copied from a dashboard or Meta's pages spans many lines; a log's lines may
    start with a logger's time and level. A bare ``value``, or one status, is put back into
    Meta's envelope.
    """
    text = paste.strip()
    if not text:
        raise UsageError("The box is empty: paste a status webhook, or a few lines of your log.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        # One line with a logger's prefix is a log too: only a paste that starts as JSON (or
        # holds none) is read, and reported, as one document.
        one_document = text.startswith(("{", "[")) and ("\n" not in text or not _one_per_line(text))
        if one_document or "{" not in text:
            raise UsageError(json_mistake(text, "The paste")) from None
        return "\n".join(_line(line) for line in text.splitlines() if line.strip())
    if isinstance(document, list):
        return "\n".join(json.dumps(_enveloped(item)) for item in document)
    return json.dumps(_enveloped(document))


def _line(line: str) -> str:
    """One line of a log, a bare ``value`` or status put back into Meta's envelope (after the
    logger's prefix, read as the command line reads it)."""
    try:
        return json.dumps(_enveloped(json.loads(_logged(line))))
    except json.JSONDecodeError:
        return line  # read_log says what is wrong with it


def _logged(line: str) -> str:
    return without_logger_prefix(line.encode("utf-8")).decode("utf-8")


def _one_per_line(text: str) -> bool:
    """Whether every line that holds JSON is a whole JSON document of its own."""
    for line in text.splitlines():
        if "{" not in line:
            continue
        try:
            json.loads(_logged(line))
        except json.JSONDecodeError:
            return False
    return True


def _enveloped(document: Any) -> Any:
    """Meta's envelope around a bare ``value`` or a bare status; anything else as it is."""
    if not isinstance(document, dict) or "entry" in document:
        return document
    if "status" in document and "id" in document:
        document = {"messaging_product": "whatsapp", "statuses": [document]}
    if "statuses" in document or "messages" in document:
        change = {"field": "messages", "value": document}
        return {"object": "whatsapp_business_account", "entry": [{"id": "", "changes": [change]}]}
    return document


def _nothing_to_price(items: Iterable[Any]) -> str:
    broken = [item for item in items if isinstance(item, Skipped)]
    if broken:
        first = broken[0]
        return (
            f"Nothing in the paste is a status of a message you sent. Line {first.line}: "
            f'{first.why}. Paste the notification whose value holds "statuses".'
        )
    return (
        "The paste holds no status of a message you sent (only customers' messages, or "
        'nothing Meta sends). Paste the notification whose value holds "statuses".'
    )


def _delivery(
    message: str, updates: list[StatusUpdate]
) -> tuple[datetime, dict[str, Any], list[str]]:
    """When the message counts as delivered, the ``pricing`` Meta reported, and notes."""
    seen = {update.status: update for update in sorted(updates, key=lambda update: update.at)}
    priced = [update for update in updates if update.pricing is not None]
    if "failed" in seen and not ({"delivered", "read"} & seen.keys()):
        # The error code is what the person asking needs next: what to fix, as reconcile says.
        codes = dict.fromkeys(code for update in updates for code in update.errors)
        why = "".join(f" Error {code}: {meaning_of(code)}." for code in codes)
        raise UsageError(
            f"Message {message} failed: Meta never charges a message it did not deliver.{why}"
        )
    if not priced:
        raise UsageError(
            f'No status of message {message} in the paste carries Meta\'s "pricing": paste its '
            '"sent" or "delivered" status (see Which status webhook carries the price?).'
        )
    reported = next(
        (update.pricing for update in priced if update.status != "sent"), priced[0].pricing
    )
    assert reported is not None
    pricing = reported.given(("billable", "pricing_model", "category", "type"))
    delivered = [seen[status] for status in ("delivered", "read") if status in seen]
    notes = []
    if delivered:
        at = min(update.at for update in delivered)
    else:
        at = min(update.at for update in updates)
        notes.append(
            "The paste has no delivered or read status, only when the message was sent; Meta "
            "charges a message once it is delivered, so it is priced as if delivered then."
        )
    return datetime.fromtimestamp(at, UTC), pricing, notes


def _customer_event(item: Inbound, customer: str) -> dict[str, Any]:
    event = {
        "type": "customer_message",
        "at": datetime.fromtimestamp(item.at, UTC).isoformat(),
        "customer": customer,
    }
    if item.entry_point is not None:
        event["entry_point"] = item.entry_point.value
    return event


def _business_event(
    message: str, customer: str, at: datetime, pricing: dict[str, Any]
) -> dict[str, Any]:
    category = str(pricing.get("category", ""))
    known = _event_of(category)
    if known is None:
        raise UsageError(
            f"Message {message}: Meta's pricing category {category!r} is not one the rules know "
            f"(they know {', '.join(sorted(VOCABULARY.reported))})."
        )
    kind, template = known
    event = {"type": kind, "id": message, "at": at.isoformat(), "customer": customer}
    return {**event, "category": template} if template else event


def _wrote_by_report(reports: list[dict[str, Any]]) -> str:
    """Whether Meta's reports say the customer had written (``"yes"``, ``"ad"``), else
    ``"unknown"``."""
    for pricing in reports:
        category = VOCABULARY.reported.get(str(pricing.get("category", "")))
        named = (
            "free_entry_point_category" if category and category.name == "free_entry_point" else ""
        )
        for key in (str(pricing.get("type", "")), named, category.name if category else ""):
            if key in WROTE_BY_REPORT:
                return WROTE_BY_REPORT[key]
    return "unknown"


def _window_note(customer_wrote: str, taken: str, pricing: dict[str, Any]) -> str:
    """What the paste cannot say: whether the customer had written in the day before."""
    if customer_wrote == "unknown" and taken != "unknown":
        window = WINDOW_TYPES.get(str(pricing.get("type")))
        evidence = (
            f"Meta's type {pricing['type']} says {window} was open"
            if window
            else f"Meta's category {pricing.get('category')!r} follows only a customer's message"
        )
        how = "through an ad" if taken == "ad" else "in the 24 hours before"
        return (
            "The paste has no message from the customer, and Meta's status webhooks never say "
            f"when the customer last wrote. {evidence}, so the rules take it that the customer had "
            f"written {how}, an hour before this message. Paste the customer's last message to "
            "be exact."
        )
    if customer_wrote != "unknown":
        said = {"no": "had not written", "yes": "had written", "ad": "had written through an ad"}
        return (
            f"The paste has no message from the customer; as you said, the customer "
            f"{said[customer_wrote]} in the 24 hours before, an hour before this message."
        )
    note = (
        "The paste has no message from the customer, and Meta's status webhooks never say "
        "whether the customer service window was open, so the rules take it as closed."
    )
    window = WINDOW_TYPES.get(str(pricing.get("type")))
    if window:
        note += f" Meta's type {pricing['type']} says {window} was open."
    return f"{note} Paste the customer's last message too, or say when they last wrote."


def _priced(
    time_zone: str, currency: str, events: list[dict[str, Any]], when: str
) -> dict[str, MessageVerdict]:
    """The engine's verdict on each message; a time the rules refuse is named as the form
    names it (``when``), not as the timeline's ``events[0].at``."""
    try:
        timeline = Timeline.model_validate(
            {"account": {"time_zone": time_zone, "currency": currency}, "events": events}
        )
        return {message.id: message for message in simulate(timeline).messages}
    except ValidationError as error:
        raise UsageError(
            EVENT_FIELD.sub(f"{when}: ", str(PricingError.from_problems(error.errors())))
        ) from None
    except PricingError as error:
        raise UsageError(EVENT_FIELD.sub(f"{when}: ", str(error))) from None


def _answer(
    verdict: MessageVerdict,
    at: datetime,
    question: Pasted | Chosen,
    *,
    meta: dict[str, Any] | None,
    notes: list[str],
) -> Answer:
    expected = None if verdict.webhook is None else verdict.webhook.model_dump(exclude_none=True)
    differences = []
    if meta is not None and expected is not None:
        differences = [
            f"{field}: Meta says {meta[field]!r}, the rules say {value!r}"
            for field, value in expected.items()
            if field in meta and _same(meta[field]) != _same(value)
        ]
    period = next(period for period in PERIODS if period.id == verdict.period)
    following = [later.starts for later in PERIODS if later.starts > period.starts]
    shown = PeriodShown(
        id=period.id,
        name=period.name,
        starts=period.starts,
        ends=following[0] - timedelta(days=1) if following else None,
    )
    rule_link = f"{question.site}rules/#{verdict.rule.anchor}"
    answer = Answer(
        message=verdict.id,
        customer=verdict.customer,
        market=verdict.market,
        at=at,
        when=f"{at:%Y-%m-%d %H:%M} {at.tzname()}",
        charge=verdict.charge,
        period=shown,
        rule=verdict.rule.value,
        rule_link=rule_link,
        reason=verdict.reason,
        meta=meta,
        expected=expected,
        differences=differences,
        notes=notes,
        sentence="",
    )
    return answer.model_copy(update={"sentence": _sentence(answer, question.link)})


def _same(value: Any) -> Any:
    """Meta's spellings made comparable: ``authentication_international`` is the hyphenated."""
    return value.replace("_", "-") if isinstance(value, str) else value


def _sentence(answer: Answer, link: str) -> str:
    """The answer as one sentence for a ticket, with where to read more."""
    charge = answer.charge
    cost = (
        "an unknown amount (no sourced rate)"
        if charge.amount is None
        else (f"{charge.amount} {charge.currency}")
    )
    subject = f"Message {answer.message}" if answer.meta is not None else "This message"
    text = (
        f"{subject} (to {answer.market}, {answer.when}) costs {cost} under Meta's rules: "
        f"{answer.reason} Rule {answer.rule} ({answer.rule_link}), period {answer.period.id} "
        f"({answer.period.name}, from {answer.period.starts})."
    )
    if answer.differences:
        text += f" Meta's webhook differs: {'; '.join(answer.differences)}."
    return f"{text} Details: {link}" if link else text
