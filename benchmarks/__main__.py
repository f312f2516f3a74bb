"""Runs every benchmark and prints its figures."""

from benchmarks import site

for benchmark in (site.run,):
    benchmark()
