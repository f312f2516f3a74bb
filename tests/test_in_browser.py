"""The in-browser bridge answers as the command line does, and never raises."""

from __future__ import annotations

import json

import pytest

from tests.browser.test_engine import docs_timelines
from whatsapp_pricing import Timeline, simulate
from whatsapp_pricing.estimate import Traffic, estimate
from whatsapp_pricing.in_browser import estimate_json, simulate_json
from whatsapp_pricing.providers import PROVIDER_PROFILES


@pytest.mark.parametrize("timeline", docs_timelines()[:6])
def test_the_verdict_is_the_simulators(timeline: str) -> None:
    expected = simulate(Timeline.model_validate_json(timeline)).model_dump(mode="json")
    assert json.loads(simulate_json(timeline)) == expected


def test_the_estimate_covers_the_month_and_a_year_earlier() -> None:
    asked = Traffic.model_validate(
        {
            "month": "2026-11",
            "markets": [{"market": "India", "marketing": 5, "utility": 7}],
            "provider": PROVIDER_PROFILES[0].model_dump(),
        }
    )
    answer = json.loads(estimate_json(asked.model_dump_json()))
    assert answer["month"] == estimate(asked).model_dump(mode="json")
    assert answer["a_year_earlier"] == estimate(asked.a_year_earlier()).model_dump(mode="json")
    assert answer["csv"] == estimate(asked).to_csv()


def test_the_volume_of_a_mid_size_business_is_estimated() -> None:
    """Issue 24's report: Brazil with 50,000 marketing, 200,000 utility and 100,000 service
    messages was refused with the validator's "less than or equal to 120000"."""
    asked = {
        "month": "2026-11",
        "markets": [
            {
                "market": "Brazil",
                "marketing": 50_000,
                "utility": 200_000,
                "service": 100_000,
                "customers_writing_first": 40_000,
            }
        ],
    }
    answer = json.loads(estimate_json(json.dumps(asked)))
    assert answer["month"]["total"] == str(estimate(Traffic.model_validate(asked)).total)


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ({"market": "Brazil", "utility": -4}, "Row 2 (Brazil), utility: write 0 or more"),
        ({"market": "Brazil", "utility": 1.5}, "Row 2 (Brazil), utility: write a whole number"),
        ({"market": "Brazil", "utilty": 4}, "Row 2 (Brazil), utilty: not a column"),
        ({"country": "BR", "utilty": 4}, "Row 2 (BR), utilty: not a column"),
        ({"country": "Atlantis", "utility": 4}, "Row 2 (Atlantis): no country or market"),
        ({"utility": 4}, "Row 2, country or market: fill it in"),
        (
            {"market": "Brazil", "service": 4},
            "Row 2 (Brazil): service replies need at least one customer who writes first",
        ),
    ],
)
def test_a_mistake_in_the_table_is_told_in_the_forms_words(
    row: dict[str, object], said: str
) -> None:
    asked = {"month": "2026-11", "markets": [{"market": "India"}, row]}
    answer = json.loads(estimate_json(json.dumps(asked)))
    assert answer["error"].startswith(said)
    assert "Input should" not in answer["error"]


@pytest.mark.parametrize(
    ("call", "argument", "problem"),
    [
        (simulate_json, "{", "JSON"),
        (simulate_json, '{"account": {"time_zone": "Mars/Base"}, "events": []}', "time zone"),
        (
            estimate_json,
            '{"month": "2026-11", "markets": [{"market": "India", "via_ads": 1}]}',
            "through an ad",
        ),
        (estimate_json, '{"month": "2026-11", "markets": [{"market": "Atlantis"}]}', "Atlantis"),
        (estimate_json, "[]", "object"),
    ],
)
def test_input_the_rules_refuse_is_one_line(call, argument: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    answer = json.loads(call(argument))
    assert set(answer) == {"error"}
    assert problem in answer["error"]
    assert "\n" not in answer["error"]
