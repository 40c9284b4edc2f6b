"""Operating the warehouse through Airflow: retry policy of process_file, reprocessing a
submission and the reporting calendar, each through `airflow dags test` on sample data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from ingest import samples as sample
from ingest.airflow.local_runner import airflow_env
from ingest.airflow.tasks import process_file as process_file_task
from ingest.warehouse.connection import is_transient

from .helpers import REPO, query, webhook_server

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


@pytest.mark.slow
def test_reprocess_and_calendar_through_airflow(samples, clean_warehouse, tmp_path, monkeypatch):
    from ingest.airflow.local_runner import ensure_airflow_db
    from ingest.jobs.pipeline import process_landing_file
    from ingest.jobs.transform import dbt_build

    landing = tmp_path / "landing"
    org, suggestion, bad = _land(samples, landing, ORG_FILE, SUGGESTION_FILE, BAD_FILE)
    # an operational limit set too low rejects a good file; raising it is a reason to reprocess
    monkeypatch.setenv("SWDW_MAX_ROWS", "1")
    org_outcome = process_landing_file(org)
    monkeypatch.delenv("SWDW_MAX_ROWS")
    assert org_outcome["status"] == "quarantined", org_outcome
    assert process_landing_file(suggestion)["status"] == "loaded"
    assert process_landing_file(bad)["status"] == "quarantined"
    assert dbt_build()
    org_id = org_outcome["submission_id"]
    assert query(clean_warehouse, "select count(*) from marts.mart_coverage")[0][0] == 0

    with webhook_server() as (url, received):
        env = airflow_env(
            {**os.environ, "SWDW_LANDING_DIR": str(landing), "AIRFLOW_CONN_SWDW_WEBHOOK": url}, warehouse=True
        )
        ensure_airflow_db(env)
        conf = {
            "department_code": "duji",
            "submission_type": "org_coverage",
            "report_period": "2024-12",
            "submission_id": org_id,
        }
        _dags_test(env, "swdw_reprocess", "--conf", json.dumps(conf))

        # the reprocessed submission is loaded under its own id; the register has no new row
        assert query(
            clean_warehouse,
            "select status, row_count > 1, status_reason like 'reprocess #%%' "
            "from audit.submission where submission_id = %s",
            (org_id,),
        ) == [("loaded", True, True)]
        assert query(clean_warehouse, "select count(*) from audit.submission")[0][0] == 3
        assert query(
            clean_warehouse, "select previous_status, verdict, action, sha256_verified from audit.reprocess_run"
        ) == [("quarantined", "accepted", "loaded", True)]
        # the first decision stays on record; the archive holds the original now
        assert (
            query(
                clean_warehouse,
                "select count(*) from audit.submission_finding where submission_id = %s and severity = 'error'",
                (org_id,),
            )[0][0]
            >= 1
        )
        assert query(clean_warehouse, "select count(distinct district_code) from marts.mart_coverage") == [(1,)]
        assert query(
            clean_warehouse,
            "select submissions_accepted from marts.mart_submission_quality where "
            "department_code = 'duji' and submission_type = 'org_coverage' "
            "and period_month = '2024-12-01'",
        ) == [(1,)]

        # an id that is not duji/org_coverage is refused (the run fails)
        bad_id = (
            bad["path"]
            and query(clean_warehouse, "select submission_id from audit.submission where department_code = 'lieshan'")[
                0
            ][0]
        )
        still = {
            "department_code": "lieshan",
            "submission_type": "org_coverage",
            "report_period": "2024-12",
            "submission_id": bad_id,
        }
        _dags_test(env, "swdw_reprocess", "--conf", json.dumps(still))
        assert query(
            clean_warehouse,
            "select action, new_status, feedback_path like '%%reprocess_%%' "
            "from audit.reprocess_run where submission_id = %s",
            (bad_id,),
        ) == [("still_rejected", "quarantined", True)]

        # the 10th of January has passed: December 2024 is overdue for everyone but duji's two reports
        _dags_test(env, "swdw_submission_calendar", "2025-01-20")
        checks = {
            (d, t): s
            for d, t, s in query(
                clean_warehouse,
                "select department_code, submission_type, status from audit.lateness_check "
                "where check_date = '2025-01-20' and period_month = '2024-12-01'",
            )
        }
        assert len(checks) == 17
        assert checks[("duji", "org_coverage")] == "on_time"  # landed 2025-01-07, accepted on reprocess
        assert checks[("duji", "suggestion")] == "on_time"
        assert checks[("lieshan", "org_coverage")] == "rejected"
        assert checks[("xiangshan", "suggestion")] == "missing"
        alerts = [r["json"] for r in received if r["json"]["event"] == "lateness"]
        assert len(alerts) == 1 and len(alerts[0]["lines"]) == 15
        assert not [r for r in received if r["json"]["event"] == "task_failed"]
