"""`swdw backup` and `swdw restore` on the sample at 1x and 16x, against pg_dump and pg_restore alone.

At each --scale (default 1 and 16): a throw-away SWDW_HOME with its own embedded PostgreSQL; the
sample at that scale ingested and built; then, each as a user runs it (a subprocess):
- `swdw backup --out DIR`: timed, and its size; the anchor is `pg_dump --format=custom` of the same
  schemas alone (the database part of the backup, without the manifest, the kept files and checks);
- `swdw restore DIR` into a second, empty SWDW_HOME: timed; the anchor is `pg_restore` of the
  anchor dump into an empty database of the first server;
- the drill's digests: an md5 over every row of every raw, audit and marts table in the source
  and in the restored warehouse, which must be equal (the run stops if they are not).

    .venv/bin/python benchmarks/backup_restore.py               # 1x and 16x
    .venv/bin/python benchmarks/backup_restore.py --scale 1     # the quick look

Prints a table; the last line is machine-readable:

    backup_restore: backup_vs_pg_dump_<s>x=<x> restore_vs_pg_restore_<s>x=<x> ...
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SWDW = REPO / ".venv" / "bin" / "swdw"
TABLES_SQL = (
    "select format('%I.%I', schemaname, tablename) from pg_tables "
    "where schemaname in ('raw', 'audit', 'marts') order by 1"
)

# the register's paths to kept files: a restore into another home moves them there
MOVED_WITH_THE_HOME = ("archive_path", "feedback_path")


def _swdw(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SWDW_HOME": str(home)}
    env.pop("SWDW_WAREHOUSE_DSN", None)
    result = subprocess.run([str(SWDW), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"swdw {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


def _timed(what, *args) -> tuple[float, object]:
    started = time.perf_counter()
    value = what(*args)
    return time.perf_counter() - started, value


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _digests(dsn: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        tables = [t for (t,) in conn.execute(TABLES_SQL).fetchall()]
        digest = {}
        for table in tables:
            row = f"(to_jsonb(t) - array{list(MOVED_WITH_THE_HOME)})::text"
            [(md5,)] = conn.execute(
                f"select md5(coalesce(string_agg({row}, '|' order by {row}), '')) from {table} t"
            ).fetchall()
            digest[table] = md5
    return digest


def _load(scale: int, root: Path) -> None:
    """The sample at this scale ingested and built into the home of this process."""
    from ingest import samples
    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import dbt_build

    landing = root / "landing"
    os.environ.update(SWDW_HOME=str(root / "home"), SWDW_LANDING_DIR=str(landing))
    started = time.perf_counter()
    written = samples.write_samples(landing, scale=scale)
    ingest_landing(trigger="bench", progress=None)
    if not dbt_build():
        raise SystemExit("the build failed")
    print(f"  {scale}x: {len(written)} files loaded and built in {time.perf_counter() - started:.0f} s", flush=True)


def measure(scale: int) -> dict:
    from ingest.warehouse.connection import stop_embedded, warehouse_dsn
    from ingest.warehouse.dump import SWDW_SCHEMAS, pg_tool

    root = Path(tempfile.mkdtemp(prefix=f"swdw-backup-{scale}x-"))
    try:
        _load(scale, root)
        source_home, target_home = root / "home", root / "restored"
        dsn = warehouse_dsn()
        before = _digests(dsn)

        backup_s, _ = _timed(_swdw, source_home, "backup", "--out", str(root / "backup"))
        dump = root / "anchor.dump"
        schemas = [f"--schema={s}" for s in SWDW_SCHEMAS]
        pg_dump_s, _ = _timed(
            lambda: subprocess.run([pg_tool("pg_dump"), "--format=custom", *schemas, f"--file={dump}", dsn], check=True)
        )
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("drop database if exists anchor")
            conn.execute("create database anchor")
        anchor_dsn = dsn.rsplit("/", 1)[0] + "/anchor"
        anchor = [pg_tool("pg_restore"), "--no-owner", "--single-transaction", f"--dbname={anchor_dsn}", str(dump)]
        pg_restore_s, _ = _timed(lambda: subprocess.run(anchor, check=True))
        stop_embedded()

        restore_s, _ = _timed(_swdw, target_home, "restore", str(root / "backup"))
        restored_dsn = _swdw(target_home, "dsn").stdout.strip()
        after = _digests(restored_dsn)
        _swdw(target_home, "stop")
        if after != before:
            differing = sorted(t for t in before if before[t] != after.get(t))
            raise SystemExit(f"{scale}x: the restored warehouse differs from the source in {differing}")
        drill = hashlib.sha256("".join(f"{t}={d};" for t, d in sorted(before.items())).encode()).hexdigest()[:16]
        return {
            "scale": scale,
            "backup_s": backup_s,
            "pg_dump_s": pg_dump_s,
            "restore_s": restore_s,
            "pg_restore_s": pg_restore_s,
            "backup_bytes": _size(root / "backup"),
            "dump_bytes": dump.stat().st_size,
            "tables": len(before),
            "drill": drill,
        }
    finally:
        from ingest.warehouse.connection import stop_embedded

        stop_embedded()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=int, action="append", help="sample scale (repeatable; default 1 and 16)")
    args = parser.parse_args()
    os.environ.setdefault("SWDW_PII_KEY", "benchmark-pii-key")
    results = [measure(scale) for scale in sorted(set(args.scale or [1, 16]))]
    print(
        f"\n{'scale':>5} {'backup s':>9} {'pg_dump s':>10} {'ratio':>6} {'restore s':>10} {'pg_restore s':>13} "
        f"{'ratio':>6} {'backup MB':>10} {'dump MB':>8}  tables, digests equal (drill)"
    )
    for r in results:
        print(
            f"{r['scale']:>4}x {r['backup_s']:>9.1f} {r['pg_dump_s']:>10.1f} {r['backup_s'] / r['pg_dump_s']:>6.1f} "
            f"{r['restore_s']:>10.1f} {r['pg_restore_s']:>13.1f} {r['restore_s'] / r['pg_restore_s']:>6.1f} "
            f"{r['backup_bytes'] / 1e6:>10.1f} {r['dump_bytes'] / 1e6:>8.1f}  {r['tables']}, yes ({r['drill']})"
        )
    print(
        "backup_restore: "
        + " ".join(
            f"backup_vs_pg_dump_{r['scale']}x={r['backup_s'] / r['pg_dump_s']:.2f} "
            f"restore_vs_pg_restore_{r['scale']}x={r['restore_s'] / r['pg_restore_s']:.2f}"
            for r in results
        )
    )


if __name__ == "__main__":
    main()
