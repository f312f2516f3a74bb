"""Runs every benchmark and prints its figures."""

from benchmarks import engine, site

for benchmark in (site.run, engine.run):
    benchmark()
