"""The ``timeline`` fence: a timeline drawn from the engine's own verdict, at build time.

A page holds a timeline in the simulation contract's JSON inside a ```` ```timeline ```` fence.
The fence becomes an inline SVG (one lane per customer service window and per conversation,
markers for every message) and a compact table of the verdict, so a picture can never disagree
with the rules. Bad timeline data fails the build with the fence's line and the field at fault.

Register it as a pymdownx.superfences custom fence whose ``format`` is :func:`formatter`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from whatsapp_pricing.domain import CustomerMessage, Timeline
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.errors import InvalidTimeline
from whatsapp_pricing.records import Charge, MessageRecord
from whatsapp_pricing.simulation import events_of, in_opening_order, run
from whatsapp_pricing.site import FenceError

WIDTH = 800
LABELS = 170
"""Room on the left for lane names."""
ROW = 30
TICK_STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168)


@dataclass(frozen=True)
class Lane:
    """One row of the picture: a timer that runs from ``start`` to ``end`` (Unix seconds)."""

    kind: str
    """``service-window`` or ``conversation``."""
    label: str
    category: str
    start: float
    end: float
    note: str = ""


def formatter(src: str, language: str, class_name: str, options: Any, md: Any, **_: Any) -> str:
    """The superfences entry point: the fence's source becomes a figure."""
    return render(src)


def render(source: str) -> str:
    """The figure (SVG and table) for a timeline in the contract's JSON."""
    timeline = _parse(source)
    engine = ConversationEngine(timeline.account, record_windows=True)
    try:
        messages = list(run(engine, events_of(timeline)))
    except InvalidTimeline as error:
        raise FenceError(f"timeline fence: {error}") from None
    conversations = in_opening_order(engine.finish())
    zone = ZoneInfo(timeline.account.time_zone)
    lanes = [
        Lane("service-window", "Service window", "window", window.opens, window.closes)
        for window in engine.service_windows
    ] + [
        Lane(
            "conversation",
            f"{conversation.id} {conversation.category.replace('_', ' ')}",
            conversation.category,
            conversation.opened_at,
            conversation.expires_at,
            _money(conversation.charge),
        )
        for conversation in conversations
    ]
    figure_id = "timeline-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    svg = _svg(figure_id, timeline, lanes, messages, zone)
    table = _table(timeline, messages, zone)
    picture = f'<div class="wp-timeline-picture">{svg}</div>'
    return f'<figure class="wp-timeline" id="{figure_id}">{picture}{table}</figure>'


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


def _svg(
    figure_id: str,
    timeline: Timeline,
    lanes: list[Lane],
    messages: list[MessageRecord],
    zone: ZoneInfo,
) -> str:
    times = [event.at.timestamp() for event in timeline.events]
    first = min(times)
    last = max([*times, *(lane.end for lane in lanes)])
    span = max(last - first, 3600.0)

    def x(moment: float) -> float:
        return round(LABELS + (moment - first) / span * (WIDTH - LABELS - 45), 1)

    rows = ["Customer", "Business", *(lane.label for lane in lanes)]
    height = ROW * (len(rows) + 1)
    parts = [_ticks(first, last, zone, x, height)]
    for index, label in enumerate(rows):
        parts.append(f'<text class="wp-label" x="4" y="{ROW * index + 20}">{escape(label)}</text>')
    for event in timeline.events:
        if isinstance(event, CustomerMessage):
            cx = x(event.at.timestamp())
            kind = "entry point" if event.entry_point else "message"
            parts.append(
                f'<circle class="wp-customer" cx="{cx}" cy="15" r="5"><title>'
                f"Customer {kind}, {_when(event.at.timestamp(), zone)}</title></circle>"
            )
    delivered = {message.id: message for message in messages}
    for event in timeline.events:
        if isinstance(event, CustomerMessage):
            continue
        message = delivered[event.id]
        cx = x(event.at.timestamp())
        state = message.status
        parts.append(
            f'<rect class="wp-business wp-{state}" x="{cx - 5}" y="{ROW + 10}" width="10" '
            f'height="10" transform="rotate(45 {cx} {ROW + 15})"><title>{escape(event.id)}: '
            f"{state}, {_money(message.charge)}</title></rect>"
        )
    for index, lane in enumerate(lanes, start=2):
        top = ROW * index + 6
        start, end = x(lane.start), x(lane.end)
        parts.append(
            f'<g class="wp-lane" data-kind="{lane.kind}" data-category="{lane.category}" '
            f'data-start="{_iso(lane.start)}" data-end="{_iso(lane.end)}">'
            f'<rect class="wp-bar wp-{lane.category}" x="{start}" y="{top}" '
            f'width="{max(end - start, 2)}" height="{ROW - 12}" rx="3"/>'
            f'<text class="wp-bar-text" x="{start + 4}" y="{top + 13}">'
            f"{escape(_when(lane.start, zone))} to {escape(_when(lane.end, zone))}"
            f"{escape(', ' + lane.note) if lane.note else ''}</text></g>"
        )
    title = (
        f"Timeline of {len(messages)} business message(s), {len(lanes)} timer(s); "
        f"times in {timeline.account.time_zone}"
    )
    description = " ".join(
        f"{lane.label} from {_when(lane.start, zone)} to {_when(lane.end, zone)}"
        f"{', ' + lane.note if lane.note else ''}."
        for lane in lanes
    )
    return (
        f'<svg class="wp-timeline-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{figure_id}-title '
        f'{figure_id}-desc"><title id="{figure_id}-title">{escape(title)}</title>'
        f'<desc id="{figure_id}-desc">{escape(description)}</desc>{"".join(parts)}</svg>'
    )


def _ticks(first: float, last: float, zone: ZoneInfo, x: Any, height: int) -> str:
    hours = (last - first) / 3600
    step = next((step for step in TICK_STEPS_HOURS if hours / step <= 8), TICK_STEPS_HOURS[-1])
    start = datetime.fromtimestamp(first, zone).replace(minute=0, second=0, microsecond=0)
    ticks = []
    moment = start
    while moment.timestamp() <= last:
        if moment.timestamp() >= first:
            tx = x(moment.timestamp())
            ticks.append(
                f'<line class="wp-tick" x1="{tx}" y1="0" x2="{tx}" y2="{height - ROW + 4}"/>'
                f'<text class="wp-tick-text" x="{tx}" y="{height - 8}" text-anchor="middle">'
                f"{moment:%a %H:%M}</text>"
            )
        moment += timedelta(hours=step)
    return "".join(ticks)


def _table(timeline: Timeline, messages: list[MessageRecord], zone: ZoneInfo) -> str:
    times = {event.id: event.at for event in timeline.events if hasattr(event, "id")}
    rows = "".join(
        "<tr>"
        f"<td>{escape(_when(times[message.id].timestamp(), zone))}</td>"
        f"<td>{escape(message.id)}</td><td>{message.status}</td>"
        f"<td>{_conversation(message)}</td><td>{escape(_money(message.charge))}</td>"
        "</tr>"
        for message in messages
    )
    return (
        "<table><caption>What the rules made of each message "
        f"(times in {escape(timeline.account.time_zone)})</caption><thead><tr>"
        "<th>Delivered</th><th>Message</th><th>Status</th><th>Conversation</th><th>Charge</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _conversation(message: MessageRecord) -> str:
    reference = message.conversation
    if reference is None:
        return "none"
    return f"{reference.id} ({reference.category.replace('_', ' ')})"


def _money(charge: Charge) -> str:
    return "unpriced" if charge.amount is None else f"{charge.amount} {charge.currency}"


def _when(moment: float, zone: ZoneInfo) -> str:
    return f"{datetime.fromtimestamp(moment, zone):%a %d %b %H:%M}"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, ZoneInfo("UTC")).isoformat()
