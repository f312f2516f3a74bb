"""The rules page: each rule's reason shows the facts of its own periods."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.records import Rule
from whatsapp_pricing.site import rule_codes
from whatsapp_pricing.site.rule_codes import FREE_TIER_ALLOWANCE, wording

SERVICE_TIERS = (Rule.CBP_FREE_TIER, Rule.CBP_SERVICE_OPENED)


def test_every_rule_that_names_an_allowance_says_whose_it_is() -> None:
    named = {rule for rule in Rule if "allowance" in inspect.signature(rule.reason).parameters}
    assert named == set(FREE_TIER_ALLOWANCE)


@pytest.mark.parametrize(
    ("changed", "unchanged", "field"),
    [
        ((Rule.CBP2_FREE_TIER,), SERVICE_TIERS, "free_conversations"),
        (SERVICE_TIERS, (Rule.CBP2_FREE_TIER,), "free_service_conversations"),
    ],
    ids=["two categories", "four categories"],
)
def test_a_free_tiers_page_shows_its_own_periods_allowance(
    monkeypatch: pytest.MonkeyPatch,
    changed: tuple[Rule, ...],
    unchanged: tuple[Rule, ...],
    field: str,
) -> None:
    """One kind of free tier's allowance changed in its periods: only its rules' pages say so."""
    before = {rule: wording(rule) for rule in unchanged}
    periods = tuple(
        replace(period, **{field: 2345}) if getattr(period, field) else period for period in PERIODS
    )
    monkeypatch.setattr(rule_codes, "PERIODS", periods)
    for rule in changed:
        assert "2,345" in wording(rule), rule
    assert {rule: wording(rule) for rule in unchanged} == before
