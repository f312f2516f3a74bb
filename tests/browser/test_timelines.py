"""A timeline picture shows in the browser, in light and dark mode alike."""

from __future__ import annotations

import struct
import zlib

import pytest
from playwright.sync_api import Page


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
