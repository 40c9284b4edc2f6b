"""`swdw run` skips the dbt build and the docs when it loads nothing over current marts (issue 25).

Current is decided from facts in marts.mart_build_info: every marts table stamped with the register's
position as it is now (dbt macro register_position) and with the hash of the dbt project files as they
are (ingest.jobs.transform.dbt_project_hash). A new file, a superseded snapshot, a status change
(a reprocess that loads, a withdrawal by quarantine) or an edited model makes the marts stale.
Real PostgreSQL, real dbt.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ingest.airflow.cosmos_build import _hold_build_lock, _release_build_lock
from ingest.config import PROJECT_HASH_ENV, dbt_project_hash
from ingest.jobs import transform
from ingest.jobs.pipeline import ingest_landing
from ingest.jobs.transform import current_register_position, dbt_build, stale_marts
from ingest.warehouse import register
from ingest.warehouse.connection import connect

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import query, run_cli

SKIPPED = "marts current at register position {}: build skipped; --build forces one"


def _org_file(landing: Path, name: str, period: str, rows: int, mtime: float | None = None) -> Path:
    return write_csv(
        landing_path(landing, "xiangshan", "org_coverage", name),
        [ORG_HEADER, *(org_row(n, period=period) for n in range(1, rows + 1))],
        mtime=mtime,
    )


def _built_at(dsn: str) -> list:
    return query(dsn, "select mart_name, built_at from marts.mart_build_info order by mart_name")


def _timed_run(*args: str):
    started = time.monotonic()
    result = run_cli("run", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result, time.monotonic() - started


@pytest.mark.slow  # four `swdw run` builds
def test_a_rerun_with_nothing_new_skips_the_build_and_docs(clean_warehouse):
    dsn, landing = clean_warehouse, Path(os.environ["SWDW_LANDING_DIR"])
    _org_file(landing, "2024年11月台账.csv", "2024-11", 3)
    first, build_seconds = _timed_run()
    assert "dbt docs:" in first.stdout and "build skipped" not in first.stdout
    built = _built_at(dsn)
    assert built and all(at is not None for _, at in built)
    [(position,)] = query(dsn, "select max(submission_id) from audit.submission")

    again, skip_seconds = _timed_run()
    assert SKIPPED.format(position) in again.stdout
    assert "dbt docs:" not in again.stdout
    assert _built_at(dsn) == built  # no marts table was rebuilt
    assert skip_seconds < build_seconds / 3, (skip_seconds, build_seconds)

    forced, _ = _timed_run("--build")
    assert "dbt docs:" in forced.stdout and "build skipped" not in forced.stdout
    rebuilt = _built_at(dsn)
    assert all(after > before for (_, before), (_, after) in zip(built, rebuilt, strict=True))

    _org_file(landing, "2024年12月台账.csv", "2024-12", 4)
    newer, _ = _timed_run()
    assert "loaded" in newer.stdout and "dbt docs:" in newer.stdout and "build skipped" not in newer.stdout
    assert all(after > before for (_, before), (_, after) in zip(rebuilt, _built_at(dsn), strict=True))
    assert SKIPPED.format(position + 1) in run_cli("run").stdout


@pytest.mark.slow  # three dbt builds
def test_the_marts_go_stale_when_the_register_or_the_project_moves(clean_warehouse, tmp_path, monkeypatch):
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    assert current_register_position() is None  # before the first build
    _org_file(landing, "v1.csv", "2024-12", 3, mtime=time.time() - 60)
    [loaded] = ingest_landing(trigger="test", progress=None)
    assert loaded.status == "loaded"
    assert dbt_build()
    assert current_register_position() == loaded.submission_id and stale_marts() == []

    # a newer snapshot of the same month supersedes the first: a new register row and a status change
    _org_file(landing, "v2.csv", "2024-12", 4)
    [newer] = ingest_landing(trigger="test", progress=None)
    assert newer.status == "loaded" and newer.superseded
    assert current_register_position() is None and stale_marts()
    assert dbt_build()
    assert current_register_position() == newer.submission_id

    # a status change alone (what a reprocess that loads or a withdrawal writes) moves the position
    with connect(autocommit=True) as conn:
        register.set_status(conn, newer.submission_id, register.SubmissionStatus.QUARANTINED)
    assert current_register_position() is None
    assert set(stale_marts()) >= {"mart_coverage", "mart_submission_quality"}
    assert dbt_build()
    assert current_register_position() == newer.submission_id

    # an edited model: the project hash moves; what dbt writes into the project does not
    project = tmp_path / "dbt_project"
    shutil.copytree(transform.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    assert dbt_project_hash(project) == dbt_project_hash()
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    assert dbt_project_hash(project) == dbt_project_hash()
    model = project / "models" / "marts" / "mart_coverage.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    edited = dbt_project_hash(project)
    assert edited != dbt_project_hash()
    monkeypatch.setattr(transform, "dbt_project_hash", lambda: edited)
    assert current_register_position() is None
    assert transform.build_skip_reason([], forced=False) is None
    monkeypatch.undo()
    assert transform.build_skip_reason([], forced=False) == SKIPPED.format(newer.submission_id)
    assert transform.build_skip_reason([], forced=True) is None
    assert transform.build_skip_reason(["org_coverage"], forced=False) is None


def test_the_build_dags_producer_passes_the_project_hash(warehouse, monkeypatch):
    """The build DAG's dbt (in the producer's process) stamps the same hash as `swdw build`."""
    monkeypatch.delenv(PROJECT_HASH_ENV, raising=False)
    _hold_build_lock({})
    try:
        assert os.environ[PROJECT_HASH_ENV] == dbt_project_hash()
    finally:
        _release_build_lock({})
