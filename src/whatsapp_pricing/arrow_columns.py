"""Arrow columns of numbers, text and bytes, made from Python values without pandas.

The rows a Spark task returns are Arrow columns of a few plain types. ``pyarrow.array`` would
make them, but first asks pandas whether the values are one of its arrays, and so imports
pandas, with numpy's and pyarrow's own modules that pandas loads: an import of about 0.3 s in
every Python worker a Spark run starts (the daemon cannot import it for them before it forks:
pyarrow starts threads, which a fork does not carry over). The columns here are laid out as
Arrow lays them out, from the values' own bytes: which values are present (a bitmap, or none
if all are), then the values themselves (8-byte numbers; a bit for each boolean; or for text
and bytes, where each value ends and all of them one after another).

pyarrow imports pandas in the same way to turn a Python number into a scalar (which a compute
function does with a number it is given), and to turn a column into NumPy's array or back:
:func:`scalar`, :func:`to_numpy` and :func:`from_numpy` do these from the bytes too.
"""

from __future__ import annotations

import array
import itertools
import sys
from collections.abc import Sequence
from typing import Any

import numpy
import pyarrow  # type: ignore[import-untyped]

_NUMBERS = {pyarrow.int64(): "q", pyarrow.float64(): "d"}
"""The number types, with the code of the :mod:`array` of 8-byte machine numbers each is."""
_VARIABLE = (pyarrow.string(), pyarrow.binary())
"""The types of variable size, whose values end at 32-bit offsets (``array`` code ``i``)."""
_NATIVE = sys.byteorder == "little" and array.array("i").itemsize == 4
"""Whether this machine's numbers are laid out as Arrow's (little-endian, a 4-byte ``int``);
elsewhere ``pyarrow.array`` makes the columns."""


def column(values: Sequence[Any], kind: pyarrow.DataType) -> pyarrow.Array:
    """An Arrow array of ``kind`` (64-bit integers or floats, booleans, text or bytes) with
    ``values``, ``None`` for a missing one: what ``pyarrow.array(values, kind)`` gives."""
    boolean = kind == pyarrow.bool_()
    if not _NATIVE or (kind not in _NUMBERS and kind not in _VARIABLE and not boolean):
        return pyarrow.array(values, kind)
    missing = sum(value is None for value in values)
    present = _bitmap([value is not None for value in values]) if missing else None
    if boolean:
        buffers = [present, _bitmap([bool(value) for value in values])]
    elif kind in _NUMBERS:
        numbers = array.array(_NUMBERS[kind], [0 if value is None else value for value in values])
        buffers = [present, pyarrow.py_buffer(numbers)]
    else:
        pieces = [_bytes(value) for value in values]
        ends = array.array("i", itertools.accumulate(map(len, pieces), initial=0))
        buffers = [present, pyarrow.py_buffer(ends), pyarrow.py_buffer(b"".join(pieces))]
    return pyarrow.Array.from_buffers(kind, len(values), buffers, null_count=missing)


def _bytes(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value


def _bitmap(flags: Sequence[bool]) -> pyarrow.Buffer:
    """Arrow's bits (which values are present, or which booleans are true): bit ``i % 8`` of
    byte ``i // 8`` for flag ``i``."""
    bits = bytearray((len(flags) + 7) // 8)
    for index, flag in enumerate(flags):
        if flag:
            bits[index >> 3] |= 1 << (index & 7)
    return pyarrow.py_buffer(bytes(bits))


def scalar(value: int) -> pyarrow.Scalar:
    """A 64-bit integer as Arrow's scalar, to compare a column with: ``pyarrow.scalar(value)``."""
    return column([value], pyarrow.int64())[0]


Numbers = numpy.ndarray[Any, numpy.dtype[Any]]
"""NumPy's array of 64-bit integers or of booleans."""


def to_numpy(values: pyarrow.Array | pyarrow.ChunkedArray) -> Numbers:
    """A column of 64-bit integers or booleans, none missing, as NumPy's array: what
    ``values.to_numpy(zero_copy_only=False)`` gives (integers are a view of Arrow's bytes)."""
    if not _NATIVE:
        made: Numbers = values.to_numpy(zero_copy_only=False)
        return made
    chunks = values.chunks if isinstance(values, pyarrow.ChunkedArray) else [values]
    boolean = values.type == pyarrow.bool_()
    parts = [_chunk_to_numpy(chunk, boolean) for chunk in chunks]
    if len(parts) == 1:
        return parts[0]
    return numpy.concatenate(parts) if parts else numpy.zeros(0, bool if boolean else numpy.int64)


def _chunk_to_numpy(chunk: pyarrow.Array, boolean: bool) -> Numbers:
    if chunk.null_count:
        raise ValueError("a column with missing values has no NumPy array of its type")
    data = chunk.buffers()[1]
    if boolean:
        bits = numpy.unpackbits(numpy.frombuffer(data, numpy.uint8), bitorder="little")
        return bits[chunk.offset : chunk.offset + len(chunk)].astype(bool)
    numbers = numpy.frombuffer(data, numpy.int64, len(chunk), chunk.offset * 8)
    numbers.flags.writeable = False  # a view of Arrow's bytes, which may be writable
    return numbers


def from_numpy(values: Numbers) -> pyarrow.Array:
    """NumPy's array of 64-bit integers or booleans as an Arrow column, as
    ``pyarrow.array(values)`` makes it."""
    if not _NATIVE:
        return pyarrow.array(values)
    if values.dtype not in (numpy.int64, numpy.bool_):
        raise TypeError(f"Arrow's column of NumPy's {values.dtype} is not made here")
    if values.dtype == bool:
        bits = numpy.packbits(values, bitorder="little")
        return pyarrow.Array.from_buffers(
            pyarrow.bool_(), len(values), [None, pyarrow.py_buffer(bits)]
        )
    numbers = numpy.ascontiguousarray(values)
    return pyarrow.Array.from_buffers(
        pyarrow.int64(), len(numbers), [None, pyarrow.py_buffer(numbers)]
    )
