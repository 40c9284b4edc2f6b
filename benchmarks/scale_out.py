"""The same batch through the running services with one Celery worker, then with two.

For each worker count: a throw-away SWDW_HOME with its own embedded PostgreSQL, `swdw airflow up
--executor celery --workers N`, the services left to settle, then the batch (the sample landing
zone at --scale, or its first --files files) dropped at once and timed until
- every file is in a final register state: ``ingest_s``;
- marts.mart_build_info says every mart was built over the last of them: ``marts_s``.

    .venv/bin/python benchmarks/scale_out.py               # the sample at scale 2 (86 files, twice the rows)
    .venv/bin/python benchmarks/scale_out.py --files 12    # a short check

Prints a table (with the load average at the end of each run: this machine has 2 cores, so a
second worker mostly shows what the cores allow) and asserts nothing. The last line is:

    scale_out: files=<n> one_worker_s=<x> two_workers_s=<x> speedup=<x>

(the times to the marts; speedup = one_worker_s / two_workers_s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from running_services import settled, wait

BATCH_TIMEOUT_SECONDS = 3600

FINAL = ("loaded", "quarantined", "superseded")


def _query(sql: str, params=()):
    from ingest.warehouse.connection import connect

    with connect() as conn:
        return conn.execute(sql, params).fetchall()


def _final(landing: Path) -> bool:
    """Every file has left the landing zone (a processed file does) and every register row is final."""
    if any(p.is_file() for p in landing.rglob("*")):
        return False
    rows = _query("select count(*) filter (where status = any(%s)), count(*) from audit.submission", (list(FINAL),))
    done, registered = rows[0]
    return done == registered > 0


def _built_over_everything() -> bool:
    try:
        [(built,)] = _query("select min(register_max_submission_id) from marts.mart_build_info")
    except Exception:  # not built yet
        return False
    [(newest,)] = _query("select max(submission_id) from audit.submission")
    return built is not None and newest is not None and built >= newest


def batch_files(out: Path, scale: int, limit: int | None) -> list[Path]:
    """The sample at ``scale`` (name order = arrival order), its first ``limit`` files when given."""
    from ingest import samples

    written = samples.write_samples(out, scale=scale)
    return written[:limit] if limit else written


def run_batch(workers: int, batch: Path, files: list[Path]) -> dict:
    """One run with ``workers`` Celery workers in a home of its own: its times and load."""
    from ingest.airflow import services
    from ingest.ports import free_port
    from ingest.warehouse.connection import stop_embedded

    root = Path(tempfile.mkdtemp(prefix=f"swdw-scale-out-{workers}w-"))
    landing = root / "landing"
    landing.mkdir()
    os.environ.update(SWDW_HOME=str(root / ".swdw"), SWDW_LANDING_DIR=str(landing))
    started = time.perf_counter()
    port = free_port()
    services.up(port=port, executor="celery", workers=workers)
    env = services.services_env(port=port)
    try:
        wait("the services to settle", lambda: settled(env), every=2)
        print(f"  {workers} worker(s): up and settled in {time.perf_counter() - started:.0f} s", flush=True)
        for path in files:  # each file hidden while copied, then one rename: the watcher sees whole files
            target = landing / path.relative_to(batch)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target.with_name("." + target.name))
        dropped = time.monotonic()
        for path in files:
            target = landing / path.relative_to(batch)
            target.with_name("." + target.name).rename(target)
        wait("every file final", lambda: _final(landing), BATCH_TIMEOUT_SECONDS, every=1)
        ingest_s = time.monotonic() - dropped
        wait("the marts built over every file", _built_over_everything, BATCH_TIMEOUT_SECONDS, every=1)
        marts_s = time.monotonic() - dropped
        load = os.getloadavg()[0]
        print(f"  {workers} worker(s): final {ingest_s:.0f} s, marts {marts_s:.0f} s, load {load:.1f}", flush=True)
        return {"workers": workers, "ingest_s": ingest_s, "marts_s": marts_s, "load": load}
    finally:
        services.down()
        stop_embedded()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="only the first N files of the sample")
    parser.add_argument("--scale", type=int, default=2, help="sample scale (default 2)")
    args = parser.parse_args()
    os.environ.setdefault("SWDW_PII_KEY", "benchmark-pii-key")
    os.environ.pop("SWDW_WAREHOUSE_DSN", None)  # each run its own embedded server
    batch = Path(tempfile.mkdtemp(prefix="swdw-scale-out-batch-"))
    files = batch_files(batch, args.scale, args.files)
    print(f"scale-out: {len(files)} files, {os.cpu_count()} cores", flush=True)
    runs = [run_batch(workers, batch, files) for workers in (1, 2)]
    print(f"{'workers':>8} {'files':>6} {'final_s':>8} {'marts_s':>8} {'files/min':>10} {'load1':>6}")
    for run in runs:
        rate = len(files) / run["marts_s"] * 60
        print(
            f"{run['workers']:>8} {len(files):>6} {run['ingest_s']:>8.1f} {run['marts_s']:>8.1f} "
            f"{rate:>10.1f} {run['load']:>6.1f}"
        )
    one, two = runs[0]["marts_s"], runs[1]["marts_s"]
    shutil.rmtree(batch, ignore_errors=True)
    print(f"scale_out: files={len(files)} one_worker_s={one:.1f} two_workers_s={two:.1f} speedup={one / two:.2f}")


if __name__ == "__main__":
    main()
