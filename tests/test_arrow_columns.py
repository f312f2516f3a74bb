"""The Arrow columns the Spark tasks return, made without pandas, are pyarrow's own."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pyarrow  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from whatsapp_pricing.arrow_columns import column

KINDS = {
    "int64": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "string": st.text(),
    "binary": st.binary(),
}


@pytest.mark.parametrize("name", KINDS)
@given(data=st.data())
def test_a_column_is_what_pyarrow_array_makes(name: str, data: Any) -> None:
    """Values of each type, some missing (none, some or all of them, across a byte of the
    bitmap or not), give the array ``pyarrow.array`` gives: same type, values and nulls."""
    kind = {"int64": pyarrow.int64(), "double": pyarrow.float64(),
            "string": pyarrow.string(), "binary": pyarrow.binary()}[name]  # fmt: skip
    values = data.draw(st.lists(st.none() | KINDS[name], max_size=40))
    made = column(values, kind)
    made.validate(full=True)
    expected = pyarrow.array(values, kind)
    assert made.type == expected.type
    assert made.null_count == expected.null_count
    assert made.equals(expected)
    assert made.to_pylist() == values


def test_a_column_does_not_import_pandas() -> None:
    """The reason for the module: a Spark worker that makes its rows' columns does not load
    pandas (``pyarrow.array`` would)."""
    script = (
        "import sys, pyarrow\n"
        "from whatsapp_pricing.arrow_columns import column\n"
        "column([1, None], pyarrow.int64()); column(['a', None], pyarrow.string())\n"
        "column([b'x'], pyarrow.binary()); column([0.5], pyarrow.float64())\n"
        "print('pandas' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert ran.stdout.strip() == "False", ran.stderr
