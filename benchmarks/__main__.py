"""Runs every benchmark and prints its figures."""

from benchmarks import engine, reconcile, site, spark

for benchmark in (site.run, engine.run, reconcile.run, spark.run):
    benchmark()
