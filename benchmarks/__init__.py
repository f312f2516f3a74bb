"""Benchmarks printed by ``make bench``. They report figures; they never pass or fail on time."""
