"""Arrow columns of numbers, text and bytes, made from Python values without pandas.

The rows a Spark task returns are Arrow columns of a few plain types. ``pyarrow.array`` would
make them, but first asks pandas whether the values are one of its arrays, and so imports
pandas, with numpy's and pyarrow's own modules that pandas loads: an import of about 0.3 s in
every Python worker a Spark run starts (the daemon cannot import it for them before it forks:
pyarrow starts threads, which a fork does not carry over). The columns here are laid out as
Arrow lays them out, from the values' own bytes: which values are present (a bitmap, or none
if all are), then the values themselves (8-byte numbers; or for text and bytes, where each
value ends and all of them one after another).
"""

from __future__ import annotations

import array
import itertools
import sys
from collections.abc import Sequence
from typing import Any

import pyarrow  # type: ignore[import-untyped]

_NUMBERS = {pyarrow.int64(): "q", pyarrow.float64(): "d"}
"""The number types, with the code of the :mod:`array` of 8-byte machine numbers each is."""
_VARIABLE = (pyarrow.string(), pyarrow.binary())
"""The types of variable size, whose values end at 32-bit offsets (``array`` code ``i``)."""
_NATIVE = sys.byteorder == "little" and array.array("i").itemsize == 4
"""Whether this machine's numbers are laid out as Arrow's (little-endian, a 4-byte ``int``);
elsewhere ``pyarrow.array`` makes the columns."""


def column(values: Sequence[Any], kind: pyarrow.DataType) -> pyarrow.Array:
    """An Arrow array of ``kind`` (64-bit integers or floats, text or bytes) with ``values``,
    ``None`` for a missing one: what ``pyarrow.array(values, kind)`` gives."""
    if not _NATIVE or (kind not in _NUMBERS and kind not in _VARIABLE):
        return pyarrow.array(values, kind)
    missing = sum(value is None for value in values)
    present = _bitmap(values) if missing else None
    if kind in _NUMBERS:
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


def _bitmap(values: Sequence[Any]) -> pyarrow.Buffer:
    """Which values are present: bit ``i % 8`` of byte ``i // 8`` for value ``i``."""
    bits = bytearray((len(values) + 7) // 8)
    for index, value in enumerate(values):
        if value is not None:
            bits[index >> 3] |= 1 << (index & 7)
    return pyarrow.py_buffer(bytes(bits))
