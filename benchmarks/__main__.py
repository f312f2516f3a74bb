"""Runs every benchmark and prints its figures."""

from benchmarks import engine, estimate, reconcile, site, spark

for benchmark in (site.run, engine.run, estimate.run, reconcile.run, spark.run):
    benchmark()
