"""Beyond one process: `swdw airflow up --executor celery --workers 2` through a lost worker and a
broker restart.

The sample's files of three districts (44 files, all three types, a resubmission and a
byte-identical copy among them; the whole sample is benchmarks/scale_out.py's batch) are dropped into the landing zone of the running services. Midway,
one worker and then the scheduler are killed with SIGKILL (supervisord starts each again) and
later the Redis broker is stopped for 20 s and started again. The workers share an artifact store
on an S3-compatible server (moto), so nothing passes between them through local disk. Then every
file has ended in a final state exactly once, every accepted row is in raw exactly once, every kept
original reads back from the store with its sha256 and every feedback report and validation page is
there, and the marts equal those of a one-process `swdw run` over the same files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import time
from pathlib import Path

import psycopg
import pytest

from ingest import samples as sample
from ingest.artifact_store import ARTIFACTS_URL_ENV, read
from ingest.ports import free_port

from .helpers import query, run_cli, table_digest, wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

BATCH_SECONDS = 900
FAULT_DEPARTMENTS = ("xiangshan", "duji", "lieshan")
BROKER_DOWN_SECONDS = 20
FINAL = ("loaded", "quarantined", "superseded")
# what differs between two runs over the same files: register ids and the times files arrived
RUN_SPECIFIC = ("submission_id", "latest_submission_id", "received_at", "first_received_at", "last_received_at")


def _registered(dsn: str) -> int:
    return query(dsn, "select count(*) from audit.submission")[0][0]


def _state(services, name: str):
    return next(s for s in services.services() if s.name == name)


def _marts(dsn: str) -> dict[str, tuple[int, str]]:
    tables = query(
        dsn, "select tablename from pg_tables where schemaname = 'marts' and tablename <> 'mart_build_info' order by 1"
    )
    return {table: table_digest(dsn, f"marts.{table}", RUN_SPECIFIC) for (table,) in tables}


def _register(dsn: str) -> list[tuple]:
    return query(
        dsn,
        "select department_code, submission_type, file_name, sha256, status, row_count from audit.submission "
        "order by department_code, submission_type, file_name, sha256",
    )


def _built_after_everything(dsn: str) -> bool:
    try:
        stamps = query(dsn, "select min(register_max_submission_id) from marts.mart_build_info")
    except Exception:  # not built yet
        return False
    newest = query(dsn, "select max(submission_id) from audit.submission")[0][0]
    return stamps[0][0] is not None and stamps[0][0] >= newest


def _drop(batch: Path, landing: Path) -> int:
    files = [p for p in batch.rglob("*") if p.is_file()]
    for path in files:
        target = landing / path.relative_to(batch)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return len(files)


def test_two_workers_survive_a_lost_worker_a_crashed_scheduler_and_a_broker_restart(
    clean_warehouse, s3_env, tmp_path, monkeypatch, record_testsuite_property
):
    from ingest.airflow import services

    started = time.monotonic()
    phases: dict[str, float] = {}  # seconds from the start to the end of each phase: the test's time varies

    def reached(phase: str) -> None:
        phases[phase] = round(time.monotonic() - started, 1)

    # a task whose message the broker lost while down is queued again after 60 s, not the deployment's 180
    monkeypatch.setenv(services.QUEUED_TIMEOUT_ENV, "60")
    shared_store = s3_env[ARTIFACTS_URL_ENV]  # the services started below inherit the store
    dsn, landing = clean_warehouse, Path(os.environ["SWDW_LANDING_DIR"])
    batch = tmp_path / "batch"
    sample.write_samples(batch)
    for department in batch.iterdir():  # three districts: at least 40 files, half the time of all seven
        if department.name not in FAULT_DEPARTMENTS:
            shutil.rmtree(department)
    services.up(port=free_port(), executor="celery", workers=2)
    reached("services up")
    recorded = services.services()
    try:
        assert {"redis", "worker-1", "worker-2"} <= {s.name for s in recorded if s.running}
        dropped = _drop(batch, landing)
        assert dropped >= 40

        wait_for("a tenth of the batch registered", lambda: _registered(dsn) >= dropped // 10, BATCH_SECONDS, 0.5)
        reached("a tenth registered")
        lost = _state(services, "worker-1")
        os.killpg(lost.pid, signal.SIGKILL)  # the worker and the tasks it was running, without warning
        back = wait_for(
            "worker-1 started again by supervisord",
            lambda: (s := _state(services, "worker-1")).running and s.pid != lost.pid and s,
            120,
        )

        crashed = _state(services, "scheduler")
        os.killpg(crashed.pid, signal.SIGKILL)  # a crashed scheduler comes back the same way
        wait_for(
            "the scheduler started again by supervisord",
            lambda: (s := _state(services, "scheduler")).running and s.pid != crashed.pid,
            120,
        )
        reached("worker and scheduler back")

        wait_for("half the batch registered", lambda: _registered(dsn) >= dropped // 2, BATCH_SECONDS)
        reached("half registered")
        services.stop_service("redis")
        time.sleep(BROKER_DOWN_SECONDS)
        services.start_service("redis")
        reached("broker back")

        def settled():
            left = [p for p in landing.rglob("*") if p.is_file()]
            open_rows = query(dsn, "select count(*) from audit.submission where status <> all(%s)", (list(FINAL),))
            return not left and open_rows[0][0] == 0 and _built_after_everything(dsn)

        wait_for("every file final and the marts built over all of them", settled, BATCH_SECONDS, 2)
        reached("every file final, marts built")
        print(f"worker-1 pid {lost.pid} killed, back as {back.pid}; broker down {BROKER_DOWN_SECONDS} s")
    finally:
        services.down()
        # in the junit report (a suite property: xunit2 has none per test): where a slow run spent its time
        record_testsuite_property("celery_fault_phase_seconds", phases)
    left = [s.name for s in recorded if services.process_running(s.pid)]
    assert not left, f"still running after down: {left}"

    # exactly once: one register row per distinct file, each accepted row once in raw
    register = _register(dsn)
    assert len({(d, t, sha) for d, t, _, sha, _, _ in register}) == len(register)
    for submission_id, table, row_count in query(
        dsn,
        "select submission_id, submission_type, row_count from audit.submission where status in ('loaded', 'superseded')",
    ):
        [(in_raw,)] = query(dsn, f"select count(*) from raw.{table} where submission_id = %s", (submission_id,))
        assert in_raw == row_count, (submission_id, table, in_raw, row_count)
    # every kept original reads back from the shared store, byte for byte, and every report is there
    kept = query(
        dsn,
        "select sha256, archive_path, feedback_path, data_docs_url, status from audit.submission "
        "where archive_path is not null",
    )
    for sha256, archive_path, feedback_path, page, status in kept:
        assert archive_path.startswith(shared_store + "/"), archive_path
        assert hashlib.sha256(read(archive_path)).hexdigest() == sha256
        assert status != "quarantined" or read(feedback_path)[:2] == b"PK"  # an xlsx
        assert page is None or read(page).startswith(b"<!DOCTYPE html>")
    celery_register, celery_marts = register, _marts(dsn)

    # the same files through one process, into an emptied warehouse (new chains: the old heads go)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain", ignore_errors=True)
    _drop(batch, landing)
    done = run_cli("run")
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: the batch holds files to quarantine
    assert _register(dsn) == celery_register
    assert _marts(dsn) == celery_marts
