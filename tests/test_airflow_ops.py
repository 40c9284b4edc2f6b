"""Operating the warehouse through Airflow: the retry policy of process_file, on sample data.

Reprocessing and the reporting calendar through `airflow dags test` are driven by
tests/test_entry_points.py, beside the CLI over the same files.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from ingest import samples as sample
from ingest.airflow.tasks import process_file as process_file_task
from ingest.warehouse.connection import is_transient

from .helpers import REPO

ORG_FILE = ("duji", "org_coverage", "杜集区两个覆盖台账_202412.csv")
SUGGESTION_FILE = ("duji", "suggestion", "杜集区人民建议_202412.csv")
BAD_FILE = ("lieshan", "org_coverage", "烈山区两个覆盖台账2024年12月（补充）.csv")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    sample.write_samples(out)
    return out


def _land(samples, landing, *files):
    entries = []
    for department, kind, name in files:
        target = landing / department / kind / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(samples / department / kind / name, target)
        entries.append(
            {
                "path": str(target),
                "department_code": department,
                "submission_type": kind,
                "file_name": name,
                "modified": target.stat().st_mtime,
            }
        )
    return entries


def test_transient_database_fault_is_retryable(samples, tmp_path, monkeypatch):
    """Warehouse unreachable: the task raises WarehouseUnavailable, caused by the driver's error (Airflow retries it)."""
    import psycopg

    from ingest.warehouse.connection import WarehouseUnavailable

    [entry] = _land(samples, tmp_path / "landing", ORG_FILE)
    monkeypatch.setenv("SWDW_WAREHOUSE_DSN", "postgresql://swdw@127.0.0.1:1/swdw?connect_timeout=3")
    with pytest.raises(WarehouseUnavailable) as caught:
        process_file_task(entry)
    assert is_transient(caught.value) and isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert (tmp_path / "landing" / "duji" / "org_coverage" / ORG_FILE[2]).exists()  # nothing lost


def test_validation_failure_returns_quarantined_without_raising(samples, clean_warehouse, tmp_path):
    [entry] = _land(samples, tmp_path / "landing", BAD_FILE)
    outcome = process_file_task(entry)
    assert outcome["status"] == "quarantined" and outcome["error_count"] > 0
    assert not is_transient(ValueError("a defect")) and is_transient(ConnectionRefusedError())


def test_a_defect_fails_without_retry(tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    import ingest.airflow.tasks

    def broken(entry):
        raise KeyError("bug")

    monkeypatch.setattr(ingest.airflow.tasks, "process_landing_file", broken)
    with pytest.raises(AirflowFailException):
        process_file_task(
            {
                "path": str(tmp_path / "x.csv"),
                "department_code": "duji",
                "submission_type": "suggestion",
                "file_name": "x.csv",
                "modified": 0,
            }
        )


def _dags_test(env, *args, timeout=600):
    started = time.perf_counter()
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "airflow"), "dags", "test", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    print(f"airflow dags test {args[0]}: {time.perf_counter() - started:.1f}s")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    return result


def test_a_new_metadata_database_is_migrated_whatever_the_stamp_says(warehouse, tmp_path, monkeypatch):
    """A restored warehouse server (or a new SWDW_WAREHOUSE_DSN) lacks Airflow's metadata database
    while the Airflow home says it migrated one: `swdw airflow up` must migrate the new one."""
    import psycopg

    from ingest.airflow import services

    monkeypatch.setattr(services, "META_DATABASE", "airflow_meta_restore_case")
    env = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONN_SWDW_WAREHOUSE": warehouse}
    migrations = []
    monkeypatch.setattr(
        services.subprocess, "run", lambda *a, **k: migrations.append(a) or subprocess.CompletedProcess(a, 0)
    )
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop database if exists airflow_meta_restore_case")
    services.migrate_meta(env)  # the database is created and migrated, the stamp written
    assert len(migrations) == 1
    services.migrate_meta(env)  # nothing new: the stamp holds
    assert len(migrations) == 1
    with psycopg.connect(warehouse, autocommit=True) as conn:  # what a restore leaves: no database, a stamp
        conn.execute("drop database airflow_meta_restore_case")
    services.migrate_meta(env)
    assert len(migrations) == 2
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop database airflow_meta_restore_case")
