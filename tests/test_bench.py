"""`make bench` keeps its contract on a small file: every run side by side, and the last line the
machine-readable ratios (docs/design.md and benchmarks/README.md name its fields)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .helpers import REPO

pytestmark = pytest.mark.slow

NUMBER = r"\d+(?:\.\d+)?"
RATIOS = re.compile(
    rf"^ratios: csv_vs_copy=(?P<csv_vs_copy>{NUMBER}) csv_vs_naive=(?P<csv_vs_naive>{NUMBER}) "
    rf"xlsx_vs_naive=(?P<xlsx_vs_naive>{NUMBER}) docs_growth_1000_vs_10=(?P<growth>{NUMBER}) "
    rf"peak_rss_mb_500k=(?P<rss>\d+)$"
)


def test_bench_prints_each_runs_ratios_and_the_ratios_line_last(tmp_path):
    runs = 2
    done = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "--rows", "300", "--runs", str(runs), "--history", "12"]
        + ["--rss-rows", "300"],
        cwd=REPO,
        env={**os.environ, "SWDW_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    last = RATIOS.match(lines[-1])
    assert last, lines[-1]
    per_run = next(line for line in lines if line.startswith("ratio of each run"))
    for name in ("csv_vs_copy", "csv_vs_naive", "xlsx_vs_naive"):
        values = [float(v) for v in re.search(rf"{name} ((?:{NUMBER} ?)+)", per_run).group(1).split()]
        assert len(values) == runs, per_run
        assert min(values) <= float(last[name]) <= max(values)  # the line gives the median run's ratio
    assert float(last["growth"]) > 0 and 100 < int(last["rss"]) < 1500
    assert "per-file validation cost after    12 prior validations" in done.stdout
