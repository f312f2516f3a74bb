"""Runs every benchmark and prints its figures."""

from benchmarks import engine, reconcile, site

for benchmark in (site.run, engine.run, reconcile.run):
    benchmark()
