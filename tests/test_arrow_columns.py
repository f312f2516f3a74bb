"""The Arrow columns the Spark tasks return, made without pandas, are pyarrow's own; so are
the scalars they compare columns with, and the NumPy arrays they turn columns into and back."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pyarrow  # type: ignore[import-untyped]
import pyarrow.compute  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whatsapp_pricing.arrow_columns import column, from_numpy, scalar, to_numpy

PYARROWS_OWN = settings(deadline=None)
"""For the tests that compare with pyarrow's own conversions: their first example imports pandas
(which those conversions load), longer than hypothesis allows an example by default."""

KINDS = {
    "int64": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False),
    "string": st.text(),
    "binary": st.binary(),
    "bool": st.booleans(),
}


@pytest.mark.parametrize("name", KINDS)
@PYARROWS_OWN
@given(data=st.data())
def test_a_column_is_what_pyarrow_array_makes(name: str, data: Any) -> None:
    """Values of each type, some missing (none, some or all of them, across a byte of the
    bitmap or not), give the array ``pyarrow.array`` gives: same type, values and nulls."""
    kind = {"int64": pyarrow.int64(), "double": pyarrow.float64(), "string": pyarrow.string(),
            "binary": pyarrow.binary(), "bool": pyarrow.bool_()}[name]  # fmt: skip
    values = data.draw(st.lists(st.none() | KINDS[name], max_size=40))
    made = column(values, kind)
    made.validate(full=True)
    expected = pyarrow.array(values, kind)
    assert made.type == expected.type
    assert made.null_count == expected.null_count
    assert made.equals(expected)
    assert made.to_pylist() == values


@PYARROWS_OWN
@given(
    values=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=3),
    start=st.integers(0, 3),
)
def test_numbers_cross_to_numpy_and_back_as_pyarrow_takes_them(
    values: list[int], cuts: list[int], start: int
) -> None:
    """Integers, and whether each is odd, in chunks (one, several or none) and sliced (an
    array's offset, even inside a byte of booleans), come to NumPy as pyarrow brings them, and
    back to Arrow as ``pyarrow.array`` takes them."""
    bounds = sorted({0, len(values), *(cut for cut in cuts if cut <= len(values))})
    chunks = [values[a:b] for a, b in itertools.pairwise(bounds)]
    odd = [[value % 2 == 1 for value in chunk] for chunk in chunks]
    for kind, parts in ((pyarrow.int64(), chunks), (pyarrow.bool_(), odd)):
        whole = pyarrow.chunked_array(parts, kind)
        for chosen in (whole, whole.slice(min(start, len(whole)))):
            expected = chosen.to_numpy()
            made = to_numpy(chosen)
            assert made.dtype == expected.dtype
            assert made.tolist() == expected.tolist()
            assert from_numpy(made).equals(pyarrow.array(expected))
    if values:
        flat = pyarrow.array(values, pyarrow.int64()).slice(start % len(values))
        assert to_numpy(flat).tolist() == flat.to_numpy().tolist()


def test_numbers_as_numpy_are_read_only_and_only_of_the_two_types() -> None:
    """A column's integers in NumPy are a view of Arrow's bytes, which NumPy must not change
    (pyarrow's own are read-only too); and only NumPy's 64-bit integers and booleans are made
    a column, not cast from another type without a word."""
    numbers = to_numpy(column([1, 2], pyarrow.int64()))
    with pytest.raises(ValueError, match="read-only"):
        numbers[0] = 5
    with pytest.raises(TypeError, match="int32"):
        from_numpy(numbers.astype("int32"))


def test_a_column_with_a_missing_value_has_no_numpy_array() -> None:
    """A missing value has no integer or boolean to be in NumPy's array: it is said, not
    turned into something else."""
    with pytest.raises(ValueError, match="missing"):
        to_numpy(pyarrow.array([1, None], pyarrow.int64()))


@PYARROWS_OWN
@given(value=st.integers(-(2**63), 2**63 - 1))
def test_a_scalar_compares_as_pyarrows_own(value: int) -> None:
    """A column compared with the scalar gives what comparing it with pyarrow's gives."""
    values = pyarrow.array([value, 0, None, value], pyarrow.int64())
    made = pyarrow.compute.equal(values, scalar(value))
    assert made.equals(pyarrow.compute.equal(values, pyarrow.scalar(value, pyarrow.int64())))


def test_nothing_here_imports_pandas() -> None:
    """The reason for the module: a Spark worker that makes its rows' columns, compares a
    column with a number, or turns a column into NumPy's array and back, does not load pandas
    (``pyarrow.array``, a number given to a compute function, and ``to_numpy`` would)."""
    script = (
        "import sys, numpy, pyarrow, pyarrow.compute\n"
        "from whatsapp_pricing.arrow_columns import column, from_numpy, scalar, to_numpy\n"
        "column([1, None], pyarrow.int64()); column(['a', None], pyarrow.string())\n"
        "column([b'x'], pyarrow.binary()); column([0.5], pyarrow.float64())\n"
        "column([True, None, False], pyarrow.bool_())\n"
        "numbers = column([1, 2, 3], pyarrow.int64())\n"
        "odd = pyarrow.compute.equal(numbers, scalar(1))\n"
        "from_numpy(to_numpy(numbers)); from_numpy(to_numpy(odd))\n"
        "print('pandas' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert ran.stdout.strip() == "False", ran.stderr
