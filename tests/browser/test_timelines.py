"""Timeline pictures in the browser: drawn in light and dark mode, every label inside the
picture and clear of the others, WCAG AA contrast in both palettes, legible on a phone."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import DOCS, page_url_path

PICTURE_PAGES = [
    page_url_path(page)
    for page in sorted(DOCS.rglob("*.md"))
    if "```timeline\n" in page.read_text("utf-8")
]
SCHEMES = ["default", "slate"]
PHONE, DESKTOP = 390, 1280
TEXT_CONTRAST, MARK_CONTRAST = 4.5, 3.0
"""WCAG 2.2 AA: 1.4.3 for text, 1.4.11 for the graphical objects needed to read the picture."""
SMALLEST_TEXT = 11.0
"""Pixels: below this a phone reader has to zoom to read a label."""

COLOURS = """() => {
  const background = element => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      layers.push(colour);
      if (colour.startsWith("rgb(")) break;
    }
    return layers;
  };
  const found = [];
  for (const figure of document.querySelectorAll("figure.wp-timeline")) {
    for (const text of figure.querySelectorAll("svg text")) {
      found.push({kind: "text", what: text.textContent, colour: getComputedStyle(text).fill,
                  background: background(figure)});
    }
    for (const item of figure.querySelectorAll(".wp-timeline-legend li")) {
      found.push({kind: "text", what: item.textContent, colour: getComputedStyle(item).color,
                  background: background(item)});
    }
    for (const mark of figure.querySelectorAll(".wp-mark, .wp-leader")) {
      const style = getComputedStyle(mark);
      const what = mark.getAttribute("class") + " in " + (mark.closest("[id]")?.id || "");
      found.push({kind: "mark", what, colour: style.stroke === "none" ? style.fill : style.stroke,
                  background: background(mark)});
    }
  }
  return found;
}"""

BOXES = """() => [...document.querySelectorAll("svg.wp-timeline-svg")].map(svg => {
  const box = element => {
    const r = element.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  return {
    picture: svg.closest("figure").id,
    bounds: box(svg),
    texts: [...svg.querySelectorAll("text")].map(
      text => ({what: text.textContent, box: box(text)})),
    marks: [...svg.querySelectorAll(".wp-mark")].map(
      mark => ({what: mark.getAttribute("class"), box: box(mark)})),
  };
})"""


def distinct_colours(png: bytes) -> int:
    """How many different pixel values an 8-bit, non-interlaced RGB or RGBA PNG holds."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, width, height, channels = 8, b"", 0, 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        chunk = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8
            channels = {2: 3, 6: 4}[colour_type]
        elif kind == b"IDAT":
            data += chunk
        position += 12 + length
    raw = zlib.decompress(data)
    stride = width * channels
    previous = bytearray(stride)
    pixels: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for index in range(stride):
            left = line[index - channels] if index >= channels else 0
            up = previous[index]
            corner = previous[index - channels] if index >= channels else 0
            if kind == 1:
                line[index] = (line[index] + left) % 256
            elif kind == 2:
                line[index] = (line[index] + up) % 256
            elif kind == 3:
                line[index] = (line[index] + (left + up) // 2) % 256
            elif kind == 4:
                estimate = left + up - corner
                nearest = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )[2]
                line[index] = (line[index] + nearest) % 256
        pixels.update(bytes(line[i : i + channels]) for i in range(0, stride, channels))
        previous = line
    return len(pixels)


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_a_timeline_is_drawn_in_light_and_dark_mode(
    page: Page, site_server: str, scheme: str
) -> None:
    page.goto(site_server + "/faq/opening-conversations/#two-timers", wait_until="networkidle")
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    picture = page.locator("#two-timers ~ figure.wp-timeline svg").first
    box = picture.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert distinct_colours(picture.screenshot()) > 20


def rgba(colour: str) -> tuple[float, float, float, float]:
    """A computed CSS colour, ``rgb(r, g, b)`` or ``rgba(r, g, b, a)``, as numbers."""
    numbers = [float(number) for number in re.findall(r"[\d.]+", colour)]
    assert colour.startswith("rgb"), colour
    assert len(numbers) in (3, 4), colour
    return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) == 4 else 1.0)


def over(
    top: tuple[float, float, float, float], below: tuple[float, float, float]
) -> tuple[float, float, float]:
    """``top`` painted over the opaque colour ``below``."""
    alpha = top[3]
    return (
        top[0] * alpha + below[0] * (1 - alpha),
        top[1] * alpha + below[1] * (1 - alpha),
        top[2] * alpha + below[2] * (1 - alpha),
    )


def page_colour(layers: list[str]) -> tuple[float, float, float]:
    """The opaque colour behind an element: its ancestors' backgrounds over the white canvas."""
    colour = (255.0, 255.0, 255.0)
    for layer in reversed(layers):
        colour = over(rgba(layer), colour)
    return colour


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    linear = [
        value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        for value in (channel / 255 for channel in colour)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def open_pictures(page: Page, site: str, address: str, width: int, scheme: str) -> None:
    """The page as a reader whose system is set to light (``default``) or dark (``slate``) sees it:
    Material picks its palette from the system's colour scheme."""
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme="dark" if scheme == "slate" else "light")
    page.goto(site + address, wait_until="networkidle")
    assert page.evaluate("document.body.dataset.mdColorScheme") == scheme


def test_the_palette_toggle_recolours_the_pictures(page: Page, site_server: str) -> None:
    open_pictures(page, site_server, PICTURE_PAGES[0], DESKTOP, "default")
    marker = page.locator("figure.wp-timeline .wp-delivered").first
    light = marker.evaluate("mark => getComputedStyle(mark).fill")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function("document.body.dataset.mdColorScheme === 'slate'")
    assert marker.evaluate("mark => getComputedStyle(mark).fill") != light


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("address", PICTURE_PAGES)
def test_every_text_and_mark_meets_wcag_aa_contrast(
    page: Page, site_server: str, address: str, scheme: str
) -> None:
    open_pictures(page, site_server, address, DESKTOP, scheme)
    found: list[dict[str, Any]] = page.evaluate(COLOURS)
    assert {item["kind"] for item in found} == {"text", "mark"}
    backgrounds = {page_colour(item["background"]) for item in found}
    assert all((luminance(colour) < 0.05) == (scheme == "slate") for colour in backgrounds)
    too_faint = []
    for item in found:
        background = page_colour(item["background"])
        ratio = contrast(over(rgba(item["colour"]), background), background)
        if ratio < (TEXT_CONTRAST if item["kind"] == "text" else MARK_CONTRAST):
            too_faint.append(f"{item['kind']} {item['what'][:50]!r}: {ratio:.2f}")
    assert too_faint == []


def overlaps(first: list[float], second: list[float]) -> bool:
    return (
        first[0] < second[2]
        and second[0] < first[2]
        and first[1] < second[3]
        and second[1] < first[3]
    )


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("address", PICTURE_PAGES)
def test_no_label_is_clipped_or_covered(
    page: Page, site_server: str, address: str, width: int
) -> None:
    open_pictures(page, site_server, address, width, "default")
    problems = []
    for picture in page.evaluate(BOXES):
        left, top, right, bottom = picture["bounds"]
        texts, marks = picture["texts"], picture["marks"]
        assert texts
        for index, text in enumerate(texts):
            box, what = text["box"], f"{picture['picture']}: {text['what']!r}"
            if (
                box[0] < left - 0.5
                or box[1] < top - 0.5
                or box[2] > right + 0.5
                or box[3] > bottom + 0.5
            ):
                problems.append(f"{what} runs out of the picture")
            problems += [
                f"{what} overlaps {other['what']!r}"
                for other in texts[index + 1 :]
                if overlaps(box, other["box"])
            ]
            problems += [
                f"{what} lies on a {mark['what']}" for mark in marks if overlaps(box, mark["box"])
            ]
    assert problems == []


@pytest.mark.parametrize("address", PICTURE_PAGES)
def test_a_phone_reads_the_pictures_without_scrolling_the_page(
    page: Page, site_server: str, address: str
) -> None:
    open_pictures(page, site_server, address, PHONE, "default")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    sizes = page.evaluate(
        """() => [...document.querySelectorAll("svg.wp-timeline-svg")].map(svg => {
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          const box = svg.closest(".wp-timeline-picture").getBoundingClientRect();
          return {
            right: box.right,
            smallest: Math.min(...[...svg.querySelectorAll("text")].map(
              text => parseFloat(getComputedStyle(text).fontSize) * scale)),
          };
        })"""
    )
    assert sizes
    assert all(size["right"] <= PHONE for size in sizes)
    keys = page.evaluate(
        """() => [...document.querySelectorAll(".wp-timeline-legend")].map(
          key => key.scrollWidth - key.clientWidth)"""
    )
    assert keys
    assert max(keys) == 0
    assert min(size["smallest"] for size in sizes) >= SMALLEST_TEXT


def test_on_a_phone_every_verdict_cell_is_on_the_screen(page: Page, site_server: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site_server}/faq/pricing/", wait_until="networkidle")
    rights = page.locator("figure.wp-timeline td").evaluate_all(
        "cells => cells.map(cell => cell.getBoundingClientRect().right)"
    )
    assert rights
    assert max(rights) <= 390
