"""The in-browser bridge answers as the command line does, and never raises."""

from __future__ import annotations

import json

import pytest

from tests.browser.test_engine import docs_timelines
from whatsapp_pricing import Timeline, simulate
from whatsapp_pricing.estimate import Traffic, estimate
from whatsapp_pricing.in_browser import estimate_json, simulate_json


@pytest.mark.parametrize("timeline", docs_timelines()[:6])
def test_the_verdict_is_the_simulators(timeline: str) -> None:
    expected = simulate(Timeline.model_validate_json(timeline)).model_dump(mode="json")
    assert json.loads(simulate_json(timeline)) == expected


def test_the_estimate_covers_the_month_and_a_year_earlier() -> None:
    asked = Traffic(market="India", month="2026-11", marketing=5, utility=7)
    answer = json.loads(estimate_json(asked.model_dump_json()))
    assert answer["month"] == estimate(asked).model_dump(mode="json")
    assert answer["a_year_earlier"] == estimate(asked.a_year_earlier()).model_dump(mode="json")


@pytest.mark.parametrize(
    ("call", "argument", "problem"),
    [
        (simulate_json, "{", "JSON"),
        (simulate_json, '{"account": {"time_zone": "Mars/Base"}, "events": []}', "time zone"),
        (estimate_json, '{"market": "India", "month": "2026-11", "via_ads": 1}', "through an ad"),
        (estimate_json, '{"market": "Atlantis", "month": "2026-11"}', "Atlantis"),
        (estimate_json, "[]", "object"),
    ],
)
def test_input_the_rules_refuse_is_one_line(call, argument: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    answer = json.loads(call(argument))
    assert set(answer) == {"error"}
    assert problem in answer["error"]
    assert "\n" not in answer["error"]
