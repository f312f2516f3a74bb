"""Reconciling the same generated logs in one process and on Spark in local mode.

The logs are the reconcile benchmark's (a synthetic month that follows the rules), cut to each
size. Two months of the same traffic: October 2024 (conversation-based pricing) at every size,
and November 2026 (per-message pricing, with volume tiers on utility and authentication
messages) at the largest, in one process and ``local[1]``. The second is the kind of month a
provider reconciles today: a charged utility or authentication message's volume tier depends on
the account's count across all its customers, which no bucket of customers knows alone, so
nearly every such message is repriced in the second pass (in October 2024 only the free tier's
first 1,000 conversations are).

Every run is the ``reconcile`` command end to end in a fresh process, with the CPU time of
its whole process tree (Spark's JVM and Python workers included): the machine is shared, so CPU
time is the steadier figure and wall time the one a user waits. Runs of one size are
interleaved so that a busy minute falls on all: the single process runs before each Spark run
and after the last, and its figures are the median run's by CPU time (it is the denominator of
every ratio, and a single run of it moved by a quarter between otherwise quiet runs).

- *Fixed cost*: a log of a few hundred lines, where start-up is everything; ``local[1]`` also
  without the Java class archive that ``make install`` builds (:mod:`whatsapp_pricing.
  spark_classes`), in the same interleaved round, to show what the archive saves. Beside it,
  in the same rounds, its floor: Spark alone (:mod:`benchmarks.spark_floor`), the same session
  passing the small log through one Python function and back, which any reconciler that reads
  the log in Python workers pays; the rest of the fixed cost is the reconciler's own, taken
  round by round: the machine's spells move the fixed cost (from 5.4 s to 11.5 s of CPU in
  the runs on the Spark page) and its floor alike.
- *Marginal cost* per line and core: (CPU time at a size - CPU time of the small log) / the
  lines in between (the small log is the first month's, for every month: start-up does not
  depend on the month). CPU seconds are core-seconds, so this is per core whatever
  ``local[N]`` is; the goal is at most 2x the single process's marginal cost, measured the
  same way.
- Each size also checks that Spark's findings are the single process's (both write ``--csv``;
  a digest of the sorted rows must be the same).
- Peak memory per kind of process (the command, which is Spark's driver; the JVM; the Python
  workers, whose peak is what a task holds).

``SPARK_BENCH_LINES`` (comma-separated) sets the sizes; by default 100,000, 220,000 and 2,000,000
(the goal: a line costs the same from 100,000 lines to 2,000,000).
``SPARK_BENCH_MONTHS`` (comma-separated, each month as ``YYYY-MM``, from
:data:`benchmarks.engine.MONTHS`) sets the months; by default ``2024-10,2026-11``. The first is
measured at every size (and its small log gives the fixed cost), each further one at the largest;
so ``SPARK_BENCH_MONTHS=2026-11 SPARK_BENCH_LINES=2000000`` measures only November 2026 at 2M.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import msgspec

from benchmarks.command import measure
from benchmarks.engine import MONTH_START, MONTHS, synthetic_events
from tests.helpers import webhook_log
from whatsapp_pricing import Timeline, compiled, spark_classes

SIZES = [
    int(size) for size in os.environ.get("SPARK_BENCH_LINES", "100000,220000,2000000").split(",")
]
BY_YEAR_MONTH = {f"{start:%Y-%m}": (name, start) for name, start in MONTHS.items()}
"""The engine benchmark's months, by how ``SPARK_BENCH_MONTHS`` names them."""
SMALL = 600
"""The small log's lines: what every run costs before its first line."""
RUNS = ("one process", "local[1]", "local[2]")
FIXED_ROUNDS = 3
"""Interleaved rounds of the small log, whose figures are the median round's by CPU time: on a
shared machine one start can cost a third more than the next."""
WITHOUT_ARCHIVE = "local[1], no class archive"
"""The fixed cost's extra run: ``local[1]`` with the class archive switched off."""
ALONE = " alone"
"""Added to a master, the fixed cost's floor on it: Spark alone (:mod:`benchmarks.
spark_floor`), measured in the same rounds as the runs."""


def write_log(path: Path, lines: int, start: datetime = MONTH_START) -> None:
    """The notifications of the synthetic month that begins at ``start``, cut to ``lines``."""
    events = synthetic_events(events=lines * 2 // 3 + 10, start=start)
    timeline = Timeline.model_validate({"account": {"time_zone": "UTC"}, "events": events})
    path.write_text("\n".join(webhook_log(timeline)[:lines]) + "\n", encoding="utf-8")


def _build() -> str:
    """Which build every run of this benchmark uses: each inherits this process's environment
    (Spark's Python workers through its JVM), so all use the same one."""
    if os.environ.get(compiled.SWITCH) == "1" and compiled.built_digest() is not None:
        return f"compiled ({compiled.SWITCH}=1)"
    return f"pure Python ({compiled.SWITCH} not set to 1)"


def _run(path: Path, run: str, csv: Path) -> dict[str, float]:
    command = [str(Path(sys.executable).with_name("whatsapp-pricing")), "reconcile", str(path)]
    command += ["--time-zone", "UTC", "--csv", str(csv)]
    environment = {}
    if run == WITHOUT_ARCHIVE:
        run, environment = "local[1]", {spark_classes.SWITCH: "off"}
    if run != "one process":
        command += ["--spark", run]
    return measure(command, environment=environment)


def _alone(path: Path, master: str) -> dict[str, float]:
    """Spark alone on ``master``: its session passing the log through one Python function."""
    return measure([sys.executable, "-m", "benchmarks.spark_floor", master, str(path)])


def _decoding(path: Path) -> float:
    """The floor: CPU seconds msgspec takes to decode every line of the log."""
    decode = msgspec.json.Decoder().decode
    started = time.process_time()
    with path.open("rb") as log:
        for line in log:
            decode(line)
    return time.process_time() - started


def _digest(path: Path) -> str:
    """The findings a run wrote, as a digest of their rows in sorted order (row order in the
    file is the log's, which the two runs tell apart only where it has none)."""
    with path.open(encoding="utf-8") as file:
        rows = sorted(file)
    return hashlib.sha256("".join(rows).encode()).hexdigest()[:16]


def _months() -> list[tuple[str, datetime]]:
    """The months ``SPARK_BENCH_MONTHS`` chooses, each as its name and first instant."""
    chosen = os.environ.get("SPARK_BENCH_MONTHS", ",".join(BY_YEAR_MONTH)).split(",")
    unknown = [month for month in chosen if month not in BY_YEAR_MONTH]
    if unknown:
        raise SystemExit(
            f"SPARK_BENCH_MONTHS: no synthetic month {', '.join(unknown)} "
            f"(there are {', '.join(BY_YEAR_MONTH)})"
        )
    return [BY_YEAR_MONTH[month] for month in chosen]


def _size(
    folder: Path,
    lines: int,
    runs: tuple[str, ...] = RUNS,
    start: datetime = MONTH_START,
    alone: tuple[str, ...] = (),
) -> dict[str, dict[str, float]]:
    """The figures of each run on a log of ``lines``, and of Spark alone on each master of
    ``alone``, after the runs."""
    path = folder / f"log-{start:%Y-%m}-{lines}.jsonl"
    write_log(path, lines, start)
    csvs = {run: folder / f"findings-{index}.csv" for index, run in enumerate(runs)}
    single, *spark = runs
    singles = [_run(path, single, csvs[single])]
    figures = {}
    for run in spark:
        figures[run] = _run(path, run, csvs[run])
        singles.append(_run(path, single, csvs[single]))
    figures[single] = _median(singles)
    for master in alone:
        try:
            figures[master + ALONE] = _alone(path, master)
        except RuntimeError as error:
            print(f"  Spark alone on {master}: not measured, {error}")
    figures["decoding"] = {"cpu_seconds": _decoding(path)}
    digests = {run: _digest(csvs[run]) for run in runs}
    for run in runs:
        figures[run]["same"] = float(digests[run] == digests[runs[0]])
    digest = digests[runs[0]]
    print(f"  (findings of {lines:,} lines of {start:%B %Y}: digest {digest} in one process)")
    for file in (path, *csvs.values()):
        file.unlink()
    return figures


def run() -> None:
    if shutil.which("java") is None or importlib.util.find_spec("pyspark") is None:
        print("spark: skipped (needs pyspark and a Java runtime)")
        return
    archive = bool(spark_classes.java_options())
    first, *further = _months()
    with tempfile.TemporaryDirectory() as folder:
        small = _fixed(Path(folder), (*RUNS, WITHOUT_ARCHIVE) if archive else RUNS, first[1])
        print("spark: generated clean logs; CPU time of the whole process tree (wall in brackets)")
        print(f"  build: {_build()} (the single process and Spark's Python workers alike)")
        for run in RUNS:
            _print_fixed(run, small[run], small.get(run + ALONE))
        if archive:
            _print_fixed(WITHOUT_ARCHIVE, small[WITHOUT_ARCHIVE], None)
        else:
            print(f"  (no Java class archive at {spark_classes.ARCHIVE}: make install builds it)")
        sizes = _month(Path(folder), first, SIZES, RUNS, small)
        for month in further:
            _month(Path(folder), month, [max(SIZES)], RUNS[:2], small)
    if len(sizes) > 1:
        least, most = min(sizes), max(sizes)
        for run in RUNS:
            ratio = _marginal(sizes[most], small, run, most) / _marginal(
                sizes[least], small, run, least
            )
            print(
                f"  {run}: marginal cost at {most:,} lines {ratio:.2f}x that at {least:,} "
                f"of {first[0]} (goal: flat, 1x)"
            )


def _month(
    folder: Path,
    month: tuple[str, datetime],
    sizes: list[int],
    runs: tuple[str, ...],
    small: dict[str, dict[str, float]],
) -> dict[int, dict[str, dict[str, float]]]:
    """Each size of one month, measured and printed; the figures of those measured."""
    name, start = month
    measured = {}
    for lines in sizes:
        try:
            measured[lines] = _size(folder, lines, runs, start)
        except RuntimeError as error:
            print(f"  {lines:,} lines of {name}: not measured, {error}")
            continue
        _print_size(lines, name, measured[lines], small)
    return measured


def _fixed(folder: Path, runs: tuple[str, ...], start: datetime) -> dict[str, dict[str, float]]:
    """The small log's figures: of each run, its median round's; of Spark alone on a master,
    also the median of the rounds' differences between the run and it (``own_cpu_seconds``),
    each taken within one round, where the machine's spell moved both alike."""
    masters = tuple(run for run in RUNS[1:] if run in runs)
    rounds = [_size(folder, SMALL, runs, start, masters) for _ in range(FIXED_ROUNDS)]
    fixed = {run: _median([each[run] for each in rounds]) for run in runs}
    for master in masters:
        measured = [each for each in rounds if master + ALONE in each]
        if measured:
            own = [each[master]["cpu_seconds"] - each[master + ALONE]["cpu_seconds"]
                   for each in measured]  # fmt: skip
            alone = _median([each[master + ALONE] for each in measured])
            fixed[master + ALONE] = {**alone, "own_cpu_seconds": statistics.median(own)}
    return fixed


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """The figures of the median run by CPU time (of an even number, the slower middle one)."""
    return sorted(runs, key=lambda figures: figures["cpu_seconds"])[len(runs) // 2]


def _print_fixed(run: str, fixed: dict[str, float], alone: dict[str, float] | None) -> None:
    """A run's fixed cost; beside it, where measured, Spark alone's and what is left."""
    goal = "" if run == "one process" else " (goal for Spark: under 8 s)"
    same = "" if fixed["same"] else ", FINDINGS DIFFER"
    peaks = _peaks(fixed)
    print(
        f"  {run}: fixed cost {fixed['cpu_seconds']:.1f} s CPU ({fixed['seconds']:.1f} s wall) "
        f"for {SMALL} lines, median of {FIXED_ROUNDS}{goal}{same}"
        + (f"; by process: {peaks}" if peaks else "")
    )
    if alone is None:
        return
    peaks = _peaks(alone)
    print(
        f"    Spark alone, the floor (the same session passing the lines through one Python "
        f"function): {alone['cpu_seconds']:.1f} s CPU ({alone['seconds']:.1f} s wall), median "
        f"of {FIXED_ROUNDS}; the reconciler's own {alone['own_cpu_seconds']:.1f} s beyond it "
        "(the median of each round's difference)" + (f"; by process: {peaks}" if peaks else "")
    )


def _print_size(
    lines: int,
    month: str,
    figures: dict[str, dict[str, float]],
    small: dict[str, dict[str, float]],
) -> None:
    single = _marginal(figures, small, "one process", lines)
    decoding = figures["decoding"]["cpu_seconds"] / lines
    print(
        f"  {lines:,} lines of {month} (msgspec decoding every line: {decoding * 1e6:.1f} us "
        f"a line; the single process {single / decoding:.1f}x that at the margin):"
    )
    singles = sum(run in figures for run in RUNS)  # before each Spark run, and after the last
    for run in (run for run in RUNS if run in figures):
        each = figures[run]
        marginal = _marginal(figures, small, run, lines)
        same = f", median of {singles} runs" if run == RUNS[0] else (
            ", findings identical" if each["same"] else ", FINDINGS DIFFER"
        )  # fmt: skip
        print(
            f"    {run}: {each['seconds']:.1f} s wall "
            f"({lines / each['seconds']:,.0f} lines/s), "
            f"{each['cpu_seconds']:.1f} s CPU; marginal {marginal * 1e6:.1f} us a line and "
            f"core ({3600 / marginal / 1e6:,.0f} M lines a core-hour), "
            f"{marginal / single:.2f}x the single process's (goal for Spark: 2x){same}"
        )
        if peaks := _peaks(each):
            print(f"      peak memory (and CPU) by process: {peaks}")
    if "local[2]" in figures:
        one, two = figures["local[1]"]["seconds"], figures["local[2]"]["seconds"]
        print(f"    local[2] against local[1]: {one / two:.2f}x faster in wall time (2 cores)")


def _peaks(figures: dict[str, float]) -> str:
    """The peak memory and CPU time of each kind of process: the command (Spark's driver),
    Java, Python workers."""
    kinds = {"command": "command", "java": "JVM", "python": "Python workers"}
    return ", ".join(
        f"{name} {figures[f'peak_{kind}_mb']:,.0f} MB ({figures[f'cpu_{kind}_seconds']:.1f} s CPU)"
        for kind, name in kinds.items()
        if f"peak_{kind}_mb" in figures and f"cpu_{kind}_seconds" in figures
    )


def _marginal(
    figures: dict[str, dict[str, float]], small: dict[str, dict[str, float]], run: str, lines: int
) -> float:
    """CPU seconds per line beyond what the small log cost."""
    return (figures[run]["cpu_seconds"] - small[run]["cpu_seconds"]) / (lines - SMALL)
