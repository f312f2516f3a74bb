"""Timeline pictures are drawn from the engine's verdict, and the examples run the same data."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import DOCS, ROOT
from whatsapp_pricing import ConversationCategory, Timeline, simulate
from whatsapp_pricing.engine import ConversationEngine
from whatsapp_pricing.simulation import events_of, run
from whatsapp_pricing.site import FenceError
from whatsapp_pricing.site.timeline import render

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


def test_every_conversation_category_has_a_colour_in_the_pictures() -> None:
    stylesheet = (DOCS / "stylesheets" / "site.css").read_text("utf-8")
    missing = [
        category.value
        for category in ConversationCategory
        if f".wp-timeline-svg .wp-{category.value} {{ fill:" not in stylesheet
    ]
    assert missing == []
