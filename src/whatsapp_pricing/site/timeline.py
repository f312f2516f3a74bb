"""The ``timeline`` fence: a timeline drawn from the engine's own verdict, at build time.

A page holds a timeline in the simulation contract's JSON inside a ```` ```timeline ```` fence.
The fence becomes an inline SVG (a row of customer messages, a row of business messages, one lane
per customer service window and per conversation), a key to the marks that picture uses and a
compact table of the verdict, so a picture can never disagree with the rules. Bad timeline data
fails the build with the fence's line and the field at fault.

Every label sits on the page's background, never on a bar, so it can neither be clipped by a
short bar nor lose contrast against a coloured one; labels under the business messages are
stacked so that none overlaps another. The picture and its key carry ``data-search-exclude``:
their words would only be run-on junk in the search index, while the table stays searchable.

Register it as a pymdownx.superfences custom fence whose ``format`` is :func:`formatter`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from whatsapp_pricing.domain import CustomerCall, CustomerMessage, EntryPoint, Timeline
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.errors import InvalidTimeline
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.records import Charge, MessageRecord
from whatsapp_pricing.simulation import events_of, in_opening_order, run
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.vocabulary import VOCABULARY

WIDTH = 800
"""The picture's width in its own units; the stylesheet scales it to the page."""
EDGE = 4
"""No label comes nearer than this to the picture's sides."""
PLOT = (46.0, WIDTH - 46.0)
"""Where time runs, leaving room for the first and last tick's centred label."""
TEXT = 14
"""Font size of headings and labels, in picture units."""
ROW = 42
"""Height of one row: a heading line above a band of marks."""
LABEL_ROW = 18
"""Height of one line of message labels under the business messages."""
CLUSTER = 14
"""Marks nearer than this share a leader: their labels form one block."""
TICK_STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168)
PER_MESSAGE_PERIODS = frozenset(period.id for period in PERIODS if period.per_message)
CAME_THROUGH = {
    EntryPoint.CLICK_TO_WHATSAPP_AD: "a click-to-WhatsApp ad",
    EntryPoint.FACEBOOK_PAGE_CTA: "a Facebook Page button",
}

LEGEND = {
    "customer": "Message (or call) from the customer",
    "entry-point": "Customer came through an ad or a Facebook Page button (free entry point)",
    "delivered": "Business message, delivered",
    "rejected": "Business message, rejected by Meta",
    "undelivered": "Business message or call, not delivered (not answered): never charged",
    "named": "Under each business message: its id, as in the table",
    "charged": "Under each business message: its id and what it is charged",
    "window": "Customer service window: open 24 hours from the customer's last message",
    **{
        category.name: category.legend
        for category in VOCABULARY.categories
        if category.conversation and category.legend
    },
}
"""What each kind of mark means, in the order the key lists them; a conversation's lane is
marked with its category's legend in the vocabulary (and coloured as ``timeline.css`` says)."""


@dataclass(frozen=True)
class Lane:
    """One timer of the picture, running from ``start`` to ``end`` (Unix seconds)."""

    kind: str
    """``service-window`` or ``conversation``."""
    label: str
    """The lane's heading: what the timer is, when it runs and, for a conversation, its charge."""
    category: str
    start: float
    end: float


@dataclass(frozen=True)
class Mark:
    """A message on one of the two message rows."""

    kind: str
    """A key of :data:`LEGEND`: ``customer``, ``entry-point``, ``delivered`` or ``rejected``."""
    at: float
    title: str
    """The message spelt out, shown when the mark is hovered."""
    label: str = ""
    """What is written under a business message."""
    message: str = ""
    """The business message's id."""


@dataclass(frozen=True)
class Label:
    """A block of label lines to hang under a mark at ``at``."""

    at: float
    width: float
    lines: int = 1


@dataclass(frozen=True)
class Placement:
    """Where a label under the business messages goes: which line, and on which side."""

    line: int
    anchor: str
    """``start``: the label runs right from its leader; ``end``: it ends at it."""


def formatter(src: str, language: str, class_name: str, options: Any, md: Any, **_: Any) -> str:
    """The superfences entry point: the fence's source becomes a figure."""
    return render(src)


def render(source: str) -> str:
    """The figure (picture, key and table) for a timeline in the contract's JSON."""
    timeline = _parse(source)
    engine = ConversationEngine(timeline.account, record_windows=True)
    try:
        messages = list(run(engine, events_of(timeline)))
    except InvalidTimeline as error:
        raise FenceError(f"timeline fence: {error}") from None
    zone = ZoneInfo(timeline.account.time_zone)
    lanes = _lanes(timeline, engine, zone)
    per_message = any(message.period in PER_MESSAGE_PERIODS for message in messages)
    marks = _marks(timeline, messages, zone)
    figure_id = "timeline-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    svg = _svg(figure_id, timeline, lanes, marks, zone, per_message)
    # On a narrow screen the picture scrolls inside this box; tabindex lets a keyboard scroll it.
    picture = (
        f'<div class="wp-timeline-picture" tabindex="0" role="group" '
        f'aria-labelledby="{figure_id}-title" data-search-exclude>{svg}</div>'
    )
    labels = (["charged" if per_message else "named"]) if messages else []
    legend = _legend([mark.kind for mark in marks] + labels + [lane.category for lane in lanes])
    table = _table(timeline, messages, zone)
    editable = base64.urlsafe_b64encode(source.strip().encode()).decode().rstrip("=")
    return (
        f'<figure class="wp-timeline" id="{figure_id}" data-timeline="{editable}">'
        f"{picture}{legend}{table}</figure>"
    )


def _parse(source: str) -> Timeline:
    try:
        return Timeline.model_validate_json(source)
    except ValidationError as error:
        line = _line_of(source, error.errors()[0])
        problem = InvalidTimeline.from_problems(error.errors())
        raise FenceError(f"timeline fence, line {line} of the fence: {problem}") from None


def _line_of(source: str, problem: ErrorDetails) -> int:
    """The fence line of the faulty event, or of a JSON syntax error, counting from 1."""
    location = problem["loc"]
    if len(location) >= 2 and location[0] == "events" and isinstance(location[1], int):
        starts = [match.start() for match in re.finditer(r'"type"\s*:', source)]
        if location[1] < len(starts):
            return source.count("\n", 0, starts[location[1]]) + 1
    match = re.search(r"line (\d+)", problem["msg"])
    return int(match[1]) if match else 1


def _lanes(timeline: Timeline, engine: ConversationEngine, zone: ZoneInfo) -> list[Lane]:
    """The service windows, then the conversations in the order they opened.

    With more than one customer on the timeline, each heading says whose timer it is.
    """
    several = len({event.customer for event in timeline.events}) > 1

    def whose(customer: str) -> str:
        return f" with {customer}" if several else ""

    lanes = [
        Lane(
            "service-window",
            f"Customer service window{whose(window.customer)}, "
            f"{_span(window.opens, window.closes, zone)}",
            "window",
            window.opens,
            window.closes,
        )
        for window in engine.service_windows
    ]
    for conversation in in_opening_order(engine.finish()):
        name = f"{conversation.id} {conversation.category.replace('_', ' ')} conversation"
        when = _span(conversation.opened_at, conversation.expires_at, zone)
        lanes.append(
            Lane(
                "conversation",
                f"{name}{whose(conversation.customer)}, {when}: {_money(conversation.charge)}",
                conversation.category,
                conversation.opened_at,
                conversation.expires_at,
            )
        )
    return lanes


def _marks(timeline: Timeline, messages: list[MessageRecord], zone: ZoneInfo) -> list[Mark]:
    """A mark per message; a business message's label names it and, per message, its charge."""
    verdicts = {message.id: message for message in messages}
    marks = []
    for event in timeline.events:
        at = event.at.timestamp()
        if isinstance(event, CustomerMessage):
            kind = "entry-point" if event.entry_point else "customer"
            how = f" through {CAME_THROUGH[event.entry_point]}" if event.entry_point else ""
            marks.append(Mark(kind, at, f"Customer message{how}, {_when(at, zone)}"))
            continue
        if isinstance(event, CustomerCall):
            marks.append(Mark("customer", at, f"Call from the customer, {_when(at, zone)}"))
            continue
        verdict = verdicts[event.id]
        refused = verdict.status != "delivered"
        outcome = verdict.status if refused else _money(verdict.charge)
        per_message = verdict.period in PER_MESSAGE_PERIODS or refused
        label = f"{event.id}: {outcome}" if per_message else event.id
        title = f"{event.id}, {_when(at, zone)}: {verdict.status}, {_money(verdict.charge)}"
        marks.append(Mark(verdict.status, at, title, label, event.id))
    return marks


def _svg(
    figure_id: str,
    timeline: Timeline,
    lanes: list[Lane],
    marks: list[Mark],
    zone: ZoneInfo,
    per_message: bool,
) -> str:
    times = [mark.at for mark in marks]
    first = min(times)
    last = max([*times, *(lane.end for lane in lanes)])
    span = max(last - first, 3600.0)

    def x(moment: float) -> float:
        return round(PLOT[0] + (moment - first) / span * (PLOT[1] - PLOT[0]), 1)

    customers = [mark for mark in marks if not mark.message]
    business = [mark for mark in marks if mark.message]
    parts = [
        _heading(
            EDGE,
            0,
            "Messages and calls from the customer" if customers else "No message from the customer",
        )
    ]
    parts += [_shape(mark.kind, x(mark.at), ROW - 14, mark.title) for mark in customers]
    parts.append(_heading(EDGE, ROW, _business_heading(business, per_message)))
    labels, lines = _labels(business, x, 2 * ROW - 7)
    parts.append(labels)
    bottom = 2 * ROW + lines * LABEL_ROW + (6 if lines else 0)
    for lane in lanes:
        drawn, height = _lane(lane, x, bottom)
        parts.append(drawn)
        bottom += height
    parts.insert(0, _ticks(first, last, zone, x, bottom))
    title = (
        f"Timeline of {len(business)} business message(s), {len(lanes)} timer(s); "
        f"times in {timeline.account.time_zone}"
    )
    description = " ".join(
        [*(f"{mark.title}." for mark in marks), *(f"{lane.label}." for lane in lanes)]
    )
    return (
        f'<svg class="wp-timeline-svg" viewBox="0 0 {WIDTH} {bottom + 26}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{figure_id}-title '
        f'{figure_id}-desc"><title id="{figure_id}-title">{escape(title)}</title>'
        f'<desc id="{figure_id}-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )


def _business_heading(business: list[Mark], per_message: bool) -> str:
    if not business:
        return "No business message"
    if per_message:
        return "Business messages, each with its own charge (per-message pricing)"
    return "Business messages (the conversations below carry the charges)"


def _heading(left: float, top: float, text: str) -> str:
    return f'<text class="wp-text wp-heading" x="{left}" y="{top + 15}">{escape(text)}</text>'


def _lane(lane: Lane, x: Callable[[float], float], top: int) -> tuple[str, int]:
    """The lane's heading on the background above its bar, as near the bar's start as fits,
    and the lane's height. A heading too long for one line puts its times on a second."""
    start, end = x(lane.start), x(lane.end)
    lines = _heading_lines(lane.label)
    left = max(EDGE, min(start, WIDTH - EDGE - max(map(text_width, lines))))
    headings = "".join(
        _heading(left, top + index * LABEL_ROW, line) for index, line in enumerate(lines)
    )
    bar = top + (len(lines) - 1) * LABEL_ROW + 21
    return (
        f'<g class="wp-lane" data-kind="{lane.kind}" data-category="{lane.category}" '
        f'data-start="{_iso(lane.start)}" data-end="{_iso(lane.end)}">{headings}'
        f'<rect class="wp-mark wp-bar wp-{lane.category}" x="{start}" y="{bar}" '
        f'width="{round(max(end - start, 3), 1)}" height="14" rx="3"/></g>'
    ), ROW + (len(lines) - 1) * LABEL_ROW


def _heading_lines(label: str) -> list[str]:
    if text_width(label) <= WIDTH - 2 * EDGE:
        return [label]
    name, _, when = label.partition(", ")
    return [name, when]


def _labels(business: list[Mark], x: Callable[[float], float], middle: float) -> tuple[str, int]:
    """The business messages' marks with their labels stacked under them, and the line count.

    Marks closer together than a mark's width share one leader and one block of label lines.
    """
    clusters: list[list[Mark]] = []
    for mark in sorted(business, key=lambda mark: mark.at):
        if clusters and x(mark.at) - x(clusters[-1][-1].at) < CLUSTER:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    places = place_labels(
        [
            Label(x(cluster[0].at), max(text_width(mark.label) for mark in cluster), len(cluster))
            for cluster in clusters
        ]
    )
    parts = []
    for cluster, place in zip(clusters, places, strict=True):
        at = x(cluster[0].at)
        first = middle + 10 + (place.line + 1) * LABEL_ROW - 4
        last = first + (len(cluster) - 1) * LABEL_ROW
        side = 4 if place.anchor == "start" else -4
        parts.append(f'<line class="wp-leader" x1="{at}" y1="{middle + 8}" x2="{at}" y2="{last}"/>')
        parts += [
            f'<g class="wp-message" data-message="{escape(mark.message)}">'
            f"{_shape(mark.kind, x(mark.at), middle, mark.title)}"
            f'<text class="wp-text wp-message-label" x="{at + side}" '
            f'y="{first + index * LABEL_ROW}" text-anchor="{place.anchor}">'
            f"{escape(mark.label)}</text></g>"
            for index, mark in enumerate(cluster)
        ]
    lines = max(
        (place.line + len(cluster) for cluster, place in zip(clusters, places, strict=True)),
        default=0,
    )
    return "".join(parts), lines


def place_labels(labels: Sequence[Label]) -> list[Placement]:
    """Lines and sides for blocks of labels hung from marks by leader lines.

    Each block goes on the first line where it overlaps no other block, stays inside the picture,
    crosses no other block's leader and is crossed by none: a reader can always follow a leader
    from a mark to its own label. Blocks run right from their leader wherever that fits (from
    the rightmost mark on, so close marks form a staircase), else left of it.
    """
    placed: list[tuple[Label, Placement]] = []
    depth = sum(label.lines for label in labels)
    for label in sorted(labels, key=lambda label: -label.at):
        place = next(
            (
                place
                for anchor in ("start", "end")
                for line in range(depth + 1)
                if _fits(label, place := Placement(line, anchor), placed)
            ),
            Placement(
                max((where.line + other.lines for other, where in placed), default=0),
                "start" if label.at + 4 + label.width <= WIDTH - EDGE else "end",
            ),
        )
        placed.append((label, place))
    places = {id(label): place for label, place in placed}
    return [places[id(label)] for label in labels]


def _fits(label: Label, place: Placement, placed: list[tuple[Label, Placement]]) -> bool:
    left, right = _extent(label, place.anchor)
    if left < EDGE or right > WIDTH - EDGE:
        return False
    bottom = place.line + label.lines
    for other, where in placed:
        their_left, their_right = _extent(other, where.anchor)
        their_bottom = where.line + other.lines
        beside = place.line < their_bottom and where.line < bottom
        if beside and not (right + 6 < their_left or their_right + 6 < left):
            return False
        if where.line < place.line and their_left - 3 < label.at < their_right + 3:
            return False
        if place.line < where.line and left - 3 < other.at < right + 3:
            return False
    return True


def _extent(label: Label, anchor: str) -> tuple[float, float]:
    """The left and right ends of a block's text, which ``anchor`` puts beside its leader."""
    if anchor == "start":
        return label.at + 4, label.at + 4 + label.width
    return label.at - 4 - label.width, label.at - 4


def _shape(kind: str, cx: float, cy: float, title: str = "") -> str:
    """The mark for a kind of message: its shape, not only its colour, tells the kinds apart."""
    tip = f"<title>{escape(title)}</title>" if title else ""
    if kind == "customer":
        return f'<circle class="wp-mark wp-customer" cx="{cx}" cy="{cy}" r="5">{tip}</circle>'
    if kind == "entry-point":
        return (
            f'<g><circle class="wp-mark wp-entry-point" cx="{cx}" cy="{cy}" r="3.5"/>'
            f'<circle class="wp-mark wp-entry-point wp-ring" cx="{cx}" cy="{cy}" r="7">{tip}'
            "</circle></g>"
        )
    if kind == "undelivered":
        return f'<circle class="wp-mark wp-undelivered" cx="{cx}" cy="{cy}" r="5.5">{tip}</circle>'
    if kind == "rejected":
        return (
            f'<path class="wp-mark wp-rejected" d="M{cx - 5} {cy - 5}l10 10m0 -10l-10 10">'
            f"{tip}</path>"
        )
    if kind == "delivered":
        points = f"{cx},{cy - 7} {cx + 7},{cy} {cx},{cy + 7} {cx - 7},{cy}"
        return f'<polygon class="wp-mark wp-delivered" points="{points}">{tip}</polygon>'
    return (
        f'<rect class="wp-mark wp-bar wp-{kind}" x="{cx - 12}" y="{cy - 6}" width="24" '
        'height="12" rx="3"/>'
    )


def _legend(kinds: list[str]) -> str:
    """A key to the kinds of mark this picture uses, as a list that screen readers read too."""
    items = "".join(
        f'<li><svg class="wp-swatch" viewBox="0 0 28 16" aria-hidden="true">'
        f"{_swatch(kind)}</svg>{escape(text)}</li>"
        for kind, text in LEGEND.items()
        if kind in kinds
    )
    return (
        '<ul class="wp-timeline-legend" aria-label="Key to the picture" data-search-exclude>'
        f"{items}</ul>"
    )


def _swatch(kind: str) -> str:
    if kind not in ("named", "charged"):
        return _shape(kind, 14, 8)
    return '<line class="wp-leader" x1="14" y1="0" x2="14" y2="16"/>'


def text_width(text: str, size: float = TEXT) -> float:
    """A generous estimate of how wide ``text`` is in a sans-serif font, in picture units.

    The browser tests measure the real text and check that it fits where this estimate put it.
    """
    return size * sum(_advance(char) for char in text)


def _advance(char: str) -> float:
    if char in "mwMW@":
        return 0.98
    if char.isupper():
        return 0.78
    if char.isdigit() or char.islower():
        return 0.64
    return 0.4


def _ticks(
    first: float, last: float, zone: ZoneInfo, x: Callable[[float], float], bottom: float
) -> str:
    hours = (last - first) / 3600
    step = next((step for step in TICK_STEPS_HOURS if hours / step <= 7), TICK_STEPS_HOURS[-1])
    moment = datetime.fromtimestamp(first, zone).replace(minute=0, second=0, microsecond=0)
    ticks = []
    while moment.timestamp() <= last:
        if moment.timestamp() >= first:
            tx = x(moment.timestamp())
            ticks.append(
                f'<line class="wp-tick" x1="{tx}" y1="0" x2="{tx}" y2="{bottom}"/>'
                f'<text class="wp-text wp-tick-text" x="{tx}" y="{bottom + 18}" '
                f'text-anchor="middle">{moment:%a %H:%M}</text>'
            )
        moment += timedelta(hours=step)
    return "".join(ticks)


COLUMNS = ("Delivered", "Message", "Status", "Conversation", "Charge")
"""The verdict table's columns; each cell names its own, for the stacked rows of a phone."""


def _table(timeline: Timeline, messages: list[MessageRecord], zone: ZoneInfo) -> str:
    times = {event.id: event.at for event in timeline.events if hasattr(event, "id")}

    def row(message: MessageRecord) -> str:
        cells = (
            escape(_when(times[message.id].timestamp(), zone)),
            escape(message.id),
            message.status,
            _conversation(message),
            escape(_money(message.charge)),
        )
        labelled = (
            f'<td data-label="{name}">{cell}</td>'
            for name, cell in zip(COLUMNS, cells, strict=True)
        )
        return f"<tr>{''.join(labelled)}</tr>"

    head = "".join(f"<th>{name}</th>" for name in COLUMNS)
    return (
        "<table><caption>What the rules made of each message "
        f"(times in {escape(timeline.account.time_zone)})</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(map(row, messages))}</tbody></table>"
    )


def _conversation(message: MessageRecord) -> str:
    reference = message.conversation
    if reference is None:
        return "none"
    return f"{reference.id} ({reference.category.replace('_', ' ')})"


def _money(charge: Charge) -> str:
    if charge.amount is None:
        return "unpriced"
    return f"{'at most ' if charge.at_most else ''}{charge.amount} {charge.currency}"


def _span(start: float, end: float, zone: ZoneInfo) -> str:
    return f"{_when(start, zone)} to {_when(end, zone)}"


def _when(moment: float, zone: ZoneInfo) -> str:
    return f"{datetime.fromtimestamp(moment, zone):%a %d %b %H:%M}"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, ZoneInfo("UTC")).isoformat()
