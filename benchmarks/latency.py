"""Landing-to-register and landing-to-marts latency on the running Airflow services, and the cost of
the build after one new file against a full refresh.

Latency (at each --scale, default 1 and 16): a throw-away SWDW_HOME with its own embedded
PostgreSQL; the sample landing zone at that scale with its two newest service_activity files held
back; the rest ingested and built (a year already loaded); `swdw airflow up`; once the services
have settled (the DAGs parsed, the landing watcher running in the triggerer, the start-up runs
finished), one held-back file is dropped into the landing zone and timed until
- the register shows it loaded (or quarantined with its feedback report): ``register_s``;
- marts.mart_build_info says the mart of its type was built after it: ``marts_s``.

Build (at 1, 4 and 16, or at the --scale given; in-process, no Airflow): after the same year, the other held-back file
is ingested, then `dbt build` with the selection the build DAG would use for it
(ingest.jobs.transform.incremental_selection) is timed against `dbt build --full-refresh`.

    .venv/bin/python benchmarks/latency.py                 # latency at 1x and 16x, builds at 1x, 4x, 16x
    .venv/bin/python benchmarks/latency.py --skip-16x      # the quick look: latency at 1x, builds at 1x and 4x
    .venv/bin/python benchmarks/latency.py --scale 16 --skip-latency   # the 16x build comparison only

Prints tables and asserts nothing. The last line is machine-readable:

    latency: register_s=<x> marts_s=<x> incremental_vs_full_16x=<x>

(register_s and marts_s at the smallest scale measured; ``nan`` where a figure was not measured.)
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from running_services import settled, wait


def _free_port() -> int:
    from ingest.ports import free_port  # after the path insert above

    return free_port()


HELD_TYPE = "service_activity"


class Home:
    """A throw-away SWDW_HOME and landing zone with the sample at one scale, a year loaded and built."""

    def __init__(self, scale: int, keep: bool):
        self.scale, self.keep = scale, keep
        self.root = Path(tempfile.mkdtemp(prefix=f"swdw-latency-{scale}x-"))
        self.landing, self.held = self.root / "landing", self.root / "held"

    def __enter__(self):
        os.environ.update(SWDW_HOME=str(self.root / ".swdw"), SWDW_LANDING_DIR=str(self.landing))
        os.environ.setdefault("SWDW_PII_KEY", "benchmark-pii-key")
        os.environ.pop("SWDW_WAREHOUSE_DSN", None)
        from ingest import samples
        from ingest.jobs.pipeline import ingest_landing
        from ingest.jobs.transform import dbt_build

        started = time.perf_counter()
        written = samples.write_samples(self.landing, scale=self.scale)
        newest = sorted((p for p in written if p.parent.name == HELD_TYPE), key=lambda p: p.stat().st_mtime)[-2:]
        self.held_files = []
        for path in newest:
            target = self.held / path.relative_to(self.landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            self.held_files.append(target)
        ingest_landing(trigger="bench", progress=None)
        if not dbt_build():
            raise SystemExit("the first build failed")
        print(
            f"  {self.scale}x: {len(written) - len(newest)} files loaded and built in "
            f"{time.perf_counter() - started:.0f} s (SWDW_HOME={self.root / '.swdw'})",
            flush=True,
        )
        return self

    def release(self, held: Path) -> tuple[Path, float]:
        """Drop a held-back file into the landing zone; where it landed and when (monotonic)."""
        target = self.landing / held.relative_to(self.held)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name("." + target.name)  # hidden while copied, then one rename
        shutil.copy2(held, staging)
        dropped = time.monotonic()
        staging.rename(target)
        return target, dropped

    def __exit__(self, *exc):
        from ingest.warehouse.connection import stop_embedded

        stop_embedded()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _query(sql: str, params=()):
    from ingest.warehouse.connection import connect

    with connect() as conn:
        return conn.execute(sql, params).fetchall()


def measure_latency(home: Home, port: int) -> dict:
    from ingest.airflow import services

    started = time.perf_counter()
    services.up(port=port)
    env = services.services_env(port=port)
    try:
        print(f"  {home.scale}x: Airflow up in {time.perf_counter() - started:.0f} s", flush=True)
        wait("the services to settle", lambda: settled(env), every=2)
        path, dropped = home.release(home.held_files[0])

        def registered():
            rows = _query(
                "select submission_id, status, feedback_path from audit.submission "
                "where file_name = %s and status in ('loaded', 'quarantined')",
                (path.name,),
            )
            if rows and (rows[0][1] == "loaded" or rows[0][2]):
                return rows[0]
            return None

        submission_id, status, _ = wait("the register", registered)
        register_s = time.monotonic() - dropped

        def built():
            rows = _query(
                "select register_max_submission_id from marts.mart_build_info where mart_name = 'mart_service_counts'"
            )
            return rows and rows[0][0] is not None and rows[0][0] >= submission_id

        wait("the marts", built)
        marts_s = time.monotonic() - dropped
        print(f"  {home.scale}x: {path.name} {status}: register {register_s:.1f} s, marts {marts_s:.1f} s")
        return {"register_s": register_s, "marts_s": marts_s, "status": status}
    finally:
        services.down()


def measure_build(home: Home) -> dict:
    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import dbt_build, incremental_selection

    path, _ = home.release(home.held_files[-1])
    ingest_landing(trigger="bench", progress=None)
    selection = incremental_selection([HELD_TYPE])
    started = time.perf_counter()
    if not dbt_build(select=selection):
        raise SystemExit("the incremental build failed")
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    if not dbt_build(full_refresh=True):
        raise SystemExit("the full refresh failed")
    full = time.perf_counter() - started
    print(f"  {home.scale}x: after {path.name}: incremental {incremental:.1f} s, full refresh {full:.1f} s")
    return {"incremental_s": incremental, "full_s": full, "ratio": incremental / full}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, action="append", help="latency at this scale (repeatable; default 1 and 16)"
    )
    parser.add_argument("--skip-16x", action="store_true", help="no 16x run (latency or build)")
    parser.add_argument("--skip-latency", action="store_true", help="only the build comparison")
    parser.add_argument("--port", type=int, default=0, help="api-server port (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep each scale's SWDW_HOME")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still stops what was started

    skipped = {16} if args.skip_16x else set()
    latency_scales = sorted(set(args.scale or [1, 16]) - skipped)
    # --scale picks the build scales too, so a quick run stays short
    build_scales = sorted(set(args.scale or [1, 4, 16]) - skipped)
    if args.skip_latency:
        latency_scales = []
    latency, builds = {}, {}
    print(f"latency benchmark: latency at {latency_scales}, builds at {build_scales}", flush=True)
    for scale in sorted(set(latency_scales) | set(build_scales)):
        with Home(scale, args.keep) as home:
            if scale in latency_scales:
                latency[scale] = measure_latency(home, args.port or _free_port())
            if scale in build_scales:
                builds[scale] = measure_build(home)

    print("\nlanding -> register / marts on the running services (one new file, a year loaded)")
    print("scale  register (s)  marts (s)  status")
    for scale, row in latency.items():
        print(f"{scale:>4}x  {row['register_s']:>12.1f}  {row['marts_s']:>9.1f}  {row['status']}")
    print("\ndbt build after one new file (incremental selection) vs full refresh")
    print("scale  incremental (s)  full refresh (s)  incremental/full")
    for scale, row in builds.items():
        print(f"{scale:>4}x  {row['incremental_s']:>15.1f}  {row['full_s']:>16.1f}  {row['ratio']:>16.2f}")
    first = latency[min(latency)] if latency else {}
    ratio = builds.get(16, {}).get("ratio", math.nan)
    print(
        f"latency: register_s={first.get('register_s', math.nan):.1f} "
        f"marts_s={first.get('marts_s', math.nan):.1f} incremental_vs_full_16x={ratio:.3f}"
    )


if __name__ == "__main__":
    main()
