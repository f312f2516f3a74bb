"""The Java class archive that shortens a local Spark run's start.

A small log on Spark costs seconds of CPU before its first line: the driver's JVM loads and
checks some 15,000 classes of Spark's jars, every run. Java's class data sharing (CDS) keeps
them parsed and verified in an archive that the JVM maps instead (on this machine it took about
4 s of CPU off a 600-line run's 13 to 16). The archive is not shipped: ``make install`` builds it
here (``python -m whatsapp_pricing.spark_classes LOG...``) from the pinned jars and this
machine's Java, by running a local reconciliation of ``LOG`` on Spark with
``-XX:ArchiveClassesAtExit``, which writes the classes the run loaded when its JVM ends.

The archive is an optimisation, never a requirement: :func:`java_options` names it only if it
exists, and a JVM that finds it does not fit (another Java, other jars, another class path) runs
without it, as fast as before, without a word (its notice is switched off). It is written under
another name and renamed when complete, because a JVM given a cut-off archive crashes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ARCHIVE = Path(sys.prefix) / "spark-classes.jsa"
"""Where the archive goes: inside the environment whose jars it holds (as the compiled build)."""
SWITCH = "WHATSAPP_PRICING_SPARK_CLASSES"
"""The environment variable that names another archive to use, or ``off`` for none (the
benchmark measures the start with and without)."""
QUIET = "-Xlog:cds=off,cds+dynamic=off"
"""Says nothing of an archive that does not fit (the run goes on without it)."""
LAUNCHER = "import sys\nfrom whatsapp_pricing.cli import main\nsys.exit(main())\n"
"""The command line, for spark-submit (as the Spark page gives it)."""


def java_options() -> str:
    """The JVM options that use the archive, if there is one; else none."""
    chosen = os.environ.get(SWITCH) or str(ARCHIVE)
    if chosen == "off" or not Path(chosen).is_file():
        return ""
    return f"-XX:SharedArchiveFile={chosen} {QUIET}"


def build(logs: list[str], local_jvm: str) -> None:
    """Writes :data:`ARCHIVE` from a reconciliation of ``logs`` with ``--spark local[1]``.

    spark-submit runs it, so that its JVM is the process waited for: the archive is written
    as that JVM ends, after the command's Python has. ``local_jvm`` are the other options of a
    local driver's JVM, the same as when the archive is used."""
    import pyspark

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    partial = ARCHIVE.with_name(f"{ARCHIVE.name}.{os.getpid()}.partial")
    with tempfile.TemporaryDirectory() as folder:
        launcher = Path(folder, "reconcile.py")
        launcher.write_text(LAUNCHER, encoding="utf-8")
        command = [str(submit), "--master", "local[1]", "--driver-java-options",
                   f"{local_jvm} -XX:ArchiveClassesAtExit={partial} {QUIET}", str(launcher),
                   "reconcile", *logs, "--time-zone", "UTC", "--spark", "local[1]"]  # fmt: skip
        environment = {**os.environ, "PYSPARK_PYTHON": sys.executable}
        ran = subprocess.run(command, capture_output=True, text=True, env=environment)
    try:
        # 1: the log's findings disagree with the rules, which is no failure here.
        if ran.returncode not in (0, 1) or not partial.is_file():
            raise SystemExit(f"the Spark class archive was not built:\n{ran.stderr[-2000:]}")
        partial.replace(ARCHIVE)
    finally:
        partial.unlink(missing_ok=True)


if __name__ == "__main__":
    from whatsapp_pricing.spark import LOCAL_JVM

    build(sys.argv[1:], LOCAL_JVM)
