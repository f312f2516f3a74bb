"""Timeline pictures are drawn from the engine's verdict, and the examples run the same data."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import DOCS, ROOT
from whatsapp_pricing import ConversationCategory, Timeline, simulate
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.simulation import events_of, run
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.site.timeline import EDGE, WIDTH, Label, Placement, place_labels, render

SVG = "{http://www.w3.org/2000/svg}"
TIMELINE_FENCE = re.compile(r"^```timeline\n(?P<json>.*?)^```$", re.S | re.M)
PYTHON_FENCE = re.compile(r"^```python[^\n]*\n(?P<body>.*?)^```$", re.S | re.M)
LITERAL_TIMELINE = re.compile(r'model_validate_json\(\s*"""\n(?P<json>.*?)"""\)', re.S)
FAQ_PAGES = sorted((DOCS / "faq").glob("*.md"))
FENCES = [
    (page, match["json"])
    for page in sorted(DOCS.rglob("*.md"))
    for match in TIMELINE_FENCE.finditer(page.read_text("utf-8"))
]


def fence_id(fence: tuple[Path, str]) -> str:
    page, source = fence
    return f"{page.relative_to(DOCS)}:{page.read_text('utf-8').index(source)}"


def svg_of(source: str) -> ElementTree.Element:
    html = render(source)
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    return ElementTree.fromstring(svg[0])


@pytest.mark.parametrize("fence", FENCES, ids=fence_id)
def test_the_picture_is_well_formed_and_described(fence: tuple[Path, str]) -> None:
    svg = svg_of(fence[1])
    assert svg.get("role") == "img"
    title, description = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text
    assert description is not None
    assert description.text


@pytest.mark.parametrize("fence", FENCES, ids=fence_id)
def test_the_lanes_are_the_verdicts_windows_and_conversations(fence: tuple[Path, str]) -> None:
    timeline = Timeline.model_validate_json(fence[1])
    verdict = simulate(timeline)
    engine = ConversationEngine(timeline.account, record_windows=True)
    list(run(engine, events_of(timeline)))
    expected_windows = [
        (datetime.fromtimestamp(window.opens, UTC), datetime.fromtimestamp(window.closes, UTC))
        for window in engine.service_windows
    ]
    lanes = [
        (
            lane.get("data-kind"),
            lane.get("data-category"),
            datetime.fromisoformat(lane.get("data-start", "")),
            datetime.fromisoformat(lane.get("data-end", "")),
        )
        for lane in svg_of(fence[1]).iter(f"{SVG}g")
        if lane.get("class") == "wp-lane"
    ]
    windows = [(lane[2], lane[3]) for lane in lanes if lane[0] == "service-window"]
    assert windows == expected_windows
    conversations = [lane[1:] for lane in lanes if lane[0] == "conversation"]
    assert conversations == [
        (conversation.category.value, conversation.opened_at, conversation.expires_at)
        for conversation in verdict.conversations
    ]


@pytest.mark.parametrize("page", FAQ_PAGES, ids=lambda page: page.name)
def test_every_worked_example_has_its_picture_and_every_picture_is_tested(page: Path) -> None:
    text = page.read_text("utf-8")
    pictures = {match["json"] for match in TIMELINE_FENCE.finditer(text)}
    examples = {
        literal["json"]
        for fence in PYTHON_FENCE.finditer(text)
        if (literal := LITERAL_TIMELINE.search(fence["body"]))
    }
    assert pictures == examples


def test_bad_timeline_data_names_the_line_and_field() -> None:
    source = (
        '{"account": {"time_zone": "UTC"},\n "events": [\n  {"type": "template", "id": "a",\n'
        '   "at": "2024-10-07T10:00:00", "customer": "+5511987654321", "category": "marketing"}'
        "\n ]}\n"
    )
    with pytest.raises(FenceError, match=r"line 3 of the fence: events\[0\]\.at: the timestamp"):
        render(source)
    with pytest.raises(FenceError, match="line 1 of the fence: the timeline is not valid JSON"):
        render("{")


def test_bad_timeline_data_fails_the_strict_build(tmp_path: Path) -> None:
    project = tmp_path / "site"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "site", ".*cache", "node_modules", "wheels"),
    )
    page = project / "docs" / "faq" / "categories.md"
    page.write_text(
        page.read_text("utf-8").replace('"category": "authentication"}', '"category": "promo"}', 1),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "faq/categories.md" in result.stderr
    assert re.search(r"line \d+ of the fence: events\[\d\]\.category", result.stderr)


def test_every_conversation_category_has_a_colour_in_both_palettes() -> None:
    stylesheet = (DOCS / "stylesheets" / "timeline.css").read_text("utf-8")
    missing = [
        category.value
        for category in ConversationCategory
        if stylesheet.count(f"--wp-{category.value}: #") != 2
        or f".wp-timeline .wp-{category.value} {{ fill: var(--wp-{category.value}); }}"
        not in stylesheet
    ]
    assert missing == []


def figure_of(source: str) -> ElementTree.Element:
    """The rendered figure as XML (the fence writes well-formed markup)."""
    return ElementTree.fromstring(
        render(source).replace(" data-search-exclude", ' data-search-exclude=""')
    )


def mark_kinds(element: ElementTree.Element) -> set[str]:
    """The kinds of mark drawn in ``element``: ``wp-delivered``, ``wp-marketing`` and so on."""
    return {
        kind
        for node in element.iter()
        if "wp-mark" in (classes := node.get("class", "").split())
        for kind in classes
        if kind not in ("wp-mark", "wp-bar", "wp-ring")
    }


@pytest.mark.parametrize("fence", FENCES, ids=fence_id)
def test_the_key_explains_exactly_the_marks_the_picture_uses(fence: tuple[Path, str]) -> None:
    figure = figure_of(fence[1])
    picture, legend = figure.find("div"), figure.find("ul")
    assert picture is not None
    assert legend is not None
    assert legend.get("aria-label")
    assert mark_kinds(legend) == mark_kinds(picture)
    assert all("".join(item.itertext()).strip() for item in legend)


@pytest.mark.parametrize("fence", FENCES, ids=fence_id)
def test_every_business_message_is_labelled_with_the_tables_charge_under_per_message_pricing(
    fence: tuple[Path, str],
) -> None:
    verdict = simulate(Timeline.model_validate_json(fence[1]))
    figure = figure_of(fence[1])
    charges = {row[1].text: row[4].text for row in figure.iter("tr") if row[0].tag == "td"}
    labels = {
        group.get("data-message"): group.find(f"{SVG}text").text
        for group in figure.iter(f"{SVG}g")
        if group.get("class") == "wp-message"
    }
    expected = {}
    for message in verdict.messages:
        delivered = message.status == "delivered"
        outcome = charges[message.id] if delivered else message.status
        shown = message.period.startswith("pmp-") or not delivered
        expected[message.id] = f"{message.id}: {outcome}" if shown else message.id
    assert labels == expected


def test_the_search_index_holds_the_tables_but_not_the_pictures(built_site: Path) -> None:
    index = json.loads((built_site / "search" / "search_index.json").read_text("utf-8"))
    text = " ".join(" ".join(entry["text"].split()) for entry in index["docs"])
    assert text.count("What the rules made of each message") == len(FENCES)
    leaks = []
    for _, source in FENCES:
        figure = figure_of(source)
        table = " ".join(figure.find("table").itertext())  # type: ignore[union-attr]
        for part in (figure.find("div"), figure.find("ul")):
            assert part is not None
            words = " ".join(" ".join(part.itertext()).split())
            pieces = [piece for piece in part.itertext() if len(piece) > 20 and piece not in table]
            leaks += [piece for piece in [words, *pieces] if piece in text]
    assert leaks == []


LABELS = st.lists(
    st.builds(
        Label,
        st.floats(min_value=EDGE, max_value=WIDTH - EDGE),
        st.floats(min_value=10, max_value=WIDTH / 2 - 2 * EDGE - 4),
        st.integers(min_value=1, max_value=3),
    ),
    max_size=12,
)


def text_extent(label: Label, anchor: str) -> tuple[float, float]:
    """Where a label's text runs: from 4 units right of its leader, or to 4 units left of it."""
    if anchor == "start":
        return label.at + 4, label.at + 4 + label.width
    return label.at - 4 - label.width, label.at - 4


@given(LABELS)
def test_stacked_labels_stay_in_the_picture_and_never_overlap(labels: list[Label]) -> None:
    blocks = []
    for label, place in zip(labels, place_labels(labels), strict=True):
        left, right = text_extent(label, place.anchor)
        assert left >= EDGE
        assert right <= WIDTH - EDGE
        blocks.append((place.line, place.line + label.lines, left, right))
    for index, (top, bottom, left, right) in enumerate(blocks):
        for other_top, other_bottom, other_left, other_right in blocks[index + 1 :]:
            beside = top < other_bottom and other_top < bottom
            assert not (beside and left < other_right and other_left < right)


def test_labels_of_marks_at_one_moment_stack_on_the_same_side() -> None:
    places = place_labels([Label(400, 120), Label(400, 120)])
    assert {(place.line, place.anchor) for place in places} == {(0, "start"), (1, "start")}


def test_a_label_left_of_its_leader_never_hides_a_leader_to_its_left() -> None:
    places = place_labels([Label(126, 40), Label(206, 115), Label(228, 180), Label(641, 50)])
    assert places == [
        Placement(0, "start"),
        Placement(1, "start"),
        Placement(0, "start"),
        Placement(0, "start"),
    ]


def test_labels_of_marks_close_together_stack_down_without_crossing_a_leader() -> None:
    places = place_labels([Label(100, 150), Label(120, 150), Label(140, 150)])
    assert places == [Placement(2, "start"), Placement(1, "start"), Placement(0, "start")]


def test_a_label_at_the_right_edge_hangs_to_the_left_of_its_mark() -> None:
    assert place_labels([Label(WIDTH - 10, 150)]) == [Placement(0, "end")]
