"""The benchmark runs, and scans stay far from pathological (generous bound: CI is noisy)."""

from __future__ import annotations

from safety.bench import bench


def test_bench_reports_microseconds() -> None:
    figures = bench(n=2000)
    assert set(figures) == {"n", "median_us", "p99_us", "mean_us"}
    assert 0 < figures["median_us"] <= figures["p99_us"]
    assert figures["median_us"] < 1000
