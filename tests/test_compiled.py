"""Which build runs: the pure Python reference, or the mypyc build of the reconciler's core
that ``make install`` makes where a C compiler is (``make test`` runs the core tests on both).

Each pass checks that it runs the build it claims to, so a compiled pass that silently fell back
to the pure code (or ran a build made from older sources) fails instead of passing twice."""

from __future__ import annotations

import os
import zipfile
from decimal import Decimal
from io import BytesIO

from hypothesis import given
from hypothesis import strategies as st

from whatsapp_pricing import compiled
from whatsapp_pricing.reconcile.findings import Amount, parts
from whatsapp_pricing.site.browser_engine import PACKAGE, package_zip

COMPILED = os.environ.get(compiled.SWITCH) == "1"


def test_the_build_asked_for_is_the_one_running() -> None:
    if COMPILED:
        assert compiled.running() == list(compiled.MODULES)
    else:
        assert compiled.running() == []


def test_a_compiled_run_uses_a_build_of_the_current_sources() -> None:
    if not COMPILED:
        return
    assert compiled.built_digest() == compiled.source_digest()


def test_ci_builds_the_compiled_core_where_a_compiler_is() -> None:
    """Under CI, a machine with a C compiler and Python's headers must have the compiled build
    (make install makes it), so that ``make test`` runs the core tests on it too."""
    if os.environ.get("CI") != "true" or not compiled.can_build():
        return
    assert compiled.built_digest() == compiled.source_digest()


def test_the_browser_gets_the_pure_sources_whichever_build_runs() -> None:
    assert (PACKAGE / "engine.py").is_file()
    assert not PACKAGE.is_relative_to(compiled.TREE.resolve())
    names = zipfile.ZipFile(BytesIO(package_zip())).namelist()
    assert "whatsapp_pricing/engine.py" in names
    assert not [name for name in names if not name.endswith((".py", ".csv", ".json", ".md"))]


AMOUNTS = st.builds(
    lambda units, exponent: Decimal(units).scaleb(exponent),
    st.integers(-(10**9), 10**9),
    st.integers(-8, 2),
)
"""Charges as a rate card writes them: a few digits, up to eight decimals, or whole tens."""


@given(st.lists(AMOUNTS, max_size=12))
def test_the_summary_adds_charges_exactly_as_decimals_add(amounts: list[Decimal]) -> None:
    """The summary sums a charge per message in integer units; it must write the same sum as
    adding the charges as ``Decimal`` from ``Decimal(0)`` would, trailing zeros and all."""
    total, expected = Amount(), Decimal(0)
    for amount in amounts:
        total.add(parts(str(amount)))
        expected += amount
    assert str(total) == str(expected)
