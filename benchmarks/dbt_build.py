"""`dbt build` wall time on the sample: full refresh vs incremental after one new month.

For each scale: write the sample landing zone, hold back the files that landed in the last
month, ingest the rest and build from scratch; then ingest the held-back month and time an
incremental `dbt build`, then a `dbt build --full-refresh` over the same data. Each scale
runs in its own throw-away SWDW_HOME with its own embedded PostgreSQL.

    .venv/bin/python benchmarks/dbt_build.py --scale 1 --scale 10

Figures only; nothing here asserts on timing (tests/test_dbt.py checks correctness).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


WATCHED = ("int_service_activity", "mart_service_counts", "int_org_coverage_history")


def hold_back_last_month(landing: Path, held: Path) -> int:
    """Move the files that landed in the latest arrival month out of the landing zone."""
    files = [p for p in landing.rglob("*") if p.is_file()]
    latest = max(dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in files)
    cutoff = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    moved = 0
    for path in files:
        if path.stat().st_mtime >= cutoff:
            target = held / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            moved += 1
    return moved


def release(held: Path, landing: Path) -> None:
    for path in [p for p in held.rglob("*") if p.is_file()]:
        target = landing / path.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)


def timed(label: str, action) -> float:
    started = time.perf_counter()
    ok = action()
    seconds = time.perf_counter() - started
    if ok is False:
        raise SystemExit(f"{label} failed")
    print(f"  {label:<44} {seconds:8.1f} s", flush=True)
    return seconds


def node_seconds(*names: str) -> str:
    """Execution time of some dbt nodes in the last invocation (target/run_results.json)."""
    import json

    from ingest.config import DBT_PROJECT_DIR

    results = json.loads((DBT_PROJECT_DIR / "target" / "run_results.json").read_text())["results"]
    times = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results if r["unique_id"].startswith("model.")}
    return ", ".join(f"{name} {times.get(name, float('nan')):.2f} s" for name in names)


def raw_rows() -> str:
    from ingest.warehouse.connection import connect

    with connect() as conn:
        counts = [
            conn.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("org_coverage", "service_activity", "suggestion")
        ]
    return "raw rows org_coverage/service_activity/suggestion: " + "/".join(map(str, counts))


def bench(scale: int, keep: bool) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"swdw-bench-{scale}x-"))
    os.environ.update(SWDW_HOME=str(home / ".swdw"), SWDW_LANDING_DIR=str(home / "landing"))
    os.environ.setdefault("SWDW_PII_KEY", "benchmark-pii-key")
    os.environ.pop("SWDW_WAREHOUSE_DSN", None)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    from ingest import samples as sample
    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import dbt_build
    from ingest.warehouse.connection import stop_embedded

    landing, held = home / "landing", home / "held"
    print(f"scale {scale}x (SWDW_HOME={home / '.swdw'})", flush=True)
    figures = {}
    try:
        sample.write_samples(landing, scale=scale)
        moved = hold_back_last_month(landing, held)
        print(f"  held back {moved} files of the last month", flush=True)
        timed("ingest all but the last month", lambda: bool(ingest_landing(trigger="bench", progress=None)))
        print("  " + raw_rows(), flush=True)
        figures["first_build"] = timed("dbt build (empty warehouse, all but last)", lambda: dbt_build())
        release(held, landing)
        timed("ingest the last month", lambda: bool(ingest_landing(trigger="bench", progress=None)))
        print("  " + raw_rows(), flush=True)
        figures["incremental"] = timed("dbt build, incremental after one month", lambda: dbt_build())
        print("    " + node_seconds(*WATCHED), flush=True)
        figures["full_refresh"] = timed("dbt build --full-refresh (same data)", lambda: dbt_build(full_refresh=True))
        print("    " + node_seconds(*WATCHED), flush=True)
        figures["noop_incremental"] = timed("dbt build, incremental, nothing new", lambda: dbt_build())
    finally:
        stop_embedded()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="sample scale (repeatable; default 1 and 10)")
    parser.add_argument("--keep", action="store_true", help="keep each scale's SWDW_HOME")
    args = parser.parse_args()
    # a kill still stops the embedded PostgreSQL (the finally in bench)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = {scale: bench(scale, args.keep) for scale in (args.scale or [1, 10])}
    print("\nscale  full refresh  incremental (+1 month)  incremental (nothing new)")
    for scale, f in results.items():
        print(
            f"{scale:>4}x  {f['full_refresh']:>10.1f} s  {f['incremental']:>20.1f} s  {f['noop_incremental']:>23.1f} s"
        )


if __name__ == "__main__":
    main()
