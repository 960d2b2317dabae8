"""The benchmark runs and reports what it measured. How fast scans are is the benchmark's to say
(`make bench`), side by side with a baseline, never a test's: CI shares its cores."""

from __future__ import annotations

from safety.bench import bench


def test_bench_reports_microseconds() -> None:
    figures = bench(n=2000)
    assert set(figures) == {"n", "median_us", "p99_us", "mean_us"}
    assert figures["n"] == 2000
    assert 0 < figures["median_us"] <= figures["p99_us"]
