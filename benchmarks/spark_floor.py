"""Spark's own start, the floor the reconciler's fixed cost is measured against.

``python -m benchmarks.spark_floor MASTER LOG`` starts the session a local run starts (the
same JVM options, class archive and Python workers' daemon), reads the log as text, passes
every line through one Python function that returns it unchanged, takes the lines back to the
driver as Arrow, and stops. That much any reconciler built the way issue #23 asks (read as
text, parse with ``mapInArrow``) pays before it does any of its own work; what a run costs
beyond it is the reconciler's: its further jobs, shuffles and Python functions.

It exits with status 1 if the lines that came back are not the log's, so that a floor that
measured nothing cannot pass for one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow  # type: ignore[import-untyped]

from whatsapp_pricing.spark import session


def unchanged(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """Every batch as it came: a Python worker that reads each line, and does nothing else."""
    yield from batches


def main(master: str, log: str) -> int:
    spark = session(master, [log])
    try:
        text = spark.read.text(log)
        came_back = text.mapInArrow(unchanged, text.schema).toArrow().num_rows
    finally:
        spark.stop()
    with Path(log).open("rb") as file:
        lines = sum(1 for _ in file)
    if came_back != lines:
        print(f"{log}: {came_back} lines came back of {lines}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
