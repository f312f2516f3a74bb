"""Spark's own start, the floor the reconciler's fixed cost is measured against.

``python -m benchmarks.spark_floor MASTER LOG`` starts the session a local run starts (the
same JVM options, class archive and Python workers' daemon), reads the log as a run reads it
(:func:`whatsapp_pricing.spark.log_text`: each line with its file and block, in Arrow batches
Spark does not measure), passes every line through one Python function that returns it
unchanged, takes the lines back to the driver as Arrow, and ends as the ``reconcile`` command
ends (its JVM with its Python). That much any reconciler built the way issue #23 asks (read as
text, parse with ``mapInArrow``) pays before it does any of its own work; what a run costs
beyond it is the reconciler's: its further jobs, shuffles and Python functions.

It exits with status 1 if the lines that came back are not the log's (compared in sorted
order), so that a floor that measured nothing cannot pass for one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow  # type: ignore[import-untyped]

from whatsapp_pricing.spark import ARROW_BATCH_BYTES, UNMEASURED, log_text, session


def unchanged(batches: Iterable[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
    """Every batch as it came: a Python worker that reads each line, and does nothing else."""
    yield from batches


def main(master: str, log: str) -> int:
    spark = session(master, [log])
    spark.conf.set(ARROW_BATCH_BYTES, UNMEASURED)
    text = log_text(spark, [log])
    came_back = text.mapInArrow(unchanged, text.schema).toArrow().column("value").to_pylist()
    lines = Path(log).read_text(encoding="utf-8").split("\n")  # Spark's lines: at \n or \r\n
    lines = [line.removesuffix("\r") for line in lines[: -1 if lines[-1] == "" else None]]
    if sorted(came_back) != sorted(lines):
        print(
            f"{log}: the {len(came_back)} lines that came back are not its {len(lines)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
