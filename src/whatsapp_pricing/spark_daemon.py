"""The daemon that starts a local Spark run's Python workers (``spark.python.daemon.module``).

Spark's own daemon cost a small log about 1.5 s of CPU for what it does not need to do:

- Spark puts the copy of pyspark zipped inside its installation first on its workers' path,
  and Python compiles every module it imports from a zip anew, each time (it caches compiled
  code only beside files in folders): about half a second for the daemon and again for each
  worker. Where that zip lies inside the pyspark package this interpreter has installed (a
  local run of pip's pyspark, whose zip is a copy of the very package), the workers import
  the package instead, compiled once.
- The daemon forks a worker per task slot, and each imported the reconciler's modules anew:
  here they are imported once, before the forks (none of them starts a thread, which a fork
  would not carry over; pyarrow does, so each worker imports it after its fork).

What every worker then holds is frozen out of the cycle collector's sight (``gc.freeze``): the
daemon runs a full collection after every task, which walked all of it each time.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path


def _zipped_copy(entry: str) -> bool:
    """Whether a path entry is a zip inside an installed pyspark package (``pyspark/python/
    lib/*.zip``), whose modules the package itself has, in folders."""
    path = Path(entry)
    package = path.parents[2] if len(path.parents) > 2 else None
    return (
        path.suffix == ".zip"
        and package is not None
        and package.name == "pyspark"
        and (package / "__init__.py").is_file()
    )


def main() -> None:
    """Spark's daemon, with the zipped copies off the path and the workers' modules loaded."""
    sys.path[:] = [entry for entry in sys.path if not _zipped_copy(entry)]
    from pyspark import daemon, worker  # noqa: F401 (imported for the forks)

    from whatsapp_pricing import reconcile  # noqa: F401 (imported for the forks)

    gc.freeze()
    daemon.manager()


if __name__ == "__main__":
    main()
