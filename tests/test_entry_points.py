"""Every entry point runs the same pass: the CLI and the DAGs leave the same records and alerts.

The same files go through `swdw ingest` (twice) + `swdw build` + `swdw reprocess` (twice), and through
the DAGs swdw_ingest_submissions (twice) + the build job + swdw_reprocess (twice) with
`airflow dags test`, each on an emptied warehouse with a webhook listening: a file rejected by an
operational limit set too low (reprocessed once the limit is lifted: loaded), then a file that
loads and one rejected by a rule (reprocessed: rejected again). Compared: the audit.pipeline_run
rows, the alerts the webhook received, and which marts mart_build_info calls stale; then what the
reprocess kept of the history, and the reporting calendar over the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from ingest.airflow.local_runner import airflow_env, ensure_airflow_db
from ingest.jobs.transform import dbt_build, stale_marts

from .helpers import query, run_cli, webhook_server
from .test_airflow_ops import BAD_FILE, ORG_FILE, SUGGESTION_FILE, _dags_test, _land, samples  # noqa: F401

pytestmark = pytest.mark.slow


def _submission_id(dsn: str, department: str, kind: str) -> int:
    return query(
        dsn,
        "select submission_id from audit.submission where department_code = %s and submission_type = %s",
        (department, kind),
    )[0][0]


def _by_cli(dsn: str, env: dict, land_more) -> None:
    def cli(*args, **extra):
        done = run_cli(*args, env={**env, **extra})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    cli("ingest", SWDW_MAX_ROWS="1")
    land_more()
    cli("ingest")
    cli("build")
    for department, kind, _ in (ORG_FILE, BAD_FILE):
        cli("reprocess", str(_submission_id(dsn, department, kind)))


def _by_airflow(dsn: str, env: dict, land_more) -> None:
    env = airflow_env({**os.environ, **env}, warehouse=True)
    ensure_airflow_db(env)
    _dags_test({**env, "SWDW_MAX_ROWS": "1"}, "swdw_ingest_submissions")
    land_more()
    _dags_test(env, "swdw_ingest_submissions")
    assert dbt_build()  # the build DAG runs the same job (tests/test_dags_end_to_end.py drives it)
    for department, kind, _ in (ORG_FILE, BAD_FILE):
        conf = {
            "department_code": department,
            "submission_type": kind,
            "report_period": "2024-12",
            "submission_id": _submission_id(dsn, department, kind),
        }
        _dags_test(env, "swdw_reprocess", "--conf", json.dumps(conf))


def _reprocess_kept_history(dsn: str) -> None:
    """Reprocessing loaded the file under its own id, kept the first decision, made no new register row."""
    org_id = _submission_id(dsn, "duji", "org_coverage")
    assert query(
        dsn,
        "select status, row_count > 1, status_reason like 'reprocess #%%' from audit.submission "
        "where submission_id = %s",
        (org_id,),
    ) == [("loaded", True, True)]
    assert query(dsn, "select count(*) from audit.submission")[0][0] == 3
    assert query(
        dsn,
        "select previous_status, verdict, action, sha256_verified, new_status, coalesce(feedback_path like '%%reprocess_%%', false) "
        "from audit.reprocess_run order by reprocess_id",
    ) == [
        ("quarantined", "accepted", "loaded", True, "loaded", False),
        ("quarantined", "rejected", "still_rejected", True, "quarantined", True),
    ]
    first_decision = "select count(*) from audit.submission_finding where submission_id = %s and severity = 'error'"
    assert query(dsn, first_decision, (org_id,))[0][0] >= 1
    assert query(dsn, "select count(distinct district_code) from marts.mart_coverage") == [(1,)]
    assert query(
        dsn,
        "select submissions_accepted from marts.mart_submission_quality where department_code = 'duji' "
        "and submission_type = 'org_coverage' and period_month = '2024-12-01'",
    ) == [(1,)]


def _calendar_through_airflow(dsn: str, env: dict, received: list[dict]) -> None:
    """The 10th of January has passed: December 2024 is overdue for everyone but duji's two reports."""
    _dags_test(airflow_env({**os.environ, **env}, warehouse=True), "swdw_submission_calendar", "2025-01-20")
    checks = {
        (d, t): s
        for d, t, s in query(
            dsn,
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


def _what_it_left(dsn: str, received: list[dict]) -> dict:
    ids = re.compile(r"#\d+ ")  # submission ids differ between the two warehouses' sequences
    return {
        "pipeline_runs": query(
            dsn,
            "select files_seen, loaded, quarantined, duplicates, failed, finished_at is not null "
            "from audit.pipeline_run order by run_id",
        ),
        "alerts": sorted(
            (r["json"]["event"], tuple(sorted(ids.sub("#", line) for line in r["json"]["lines"]))) for r in received
        ),
        "stale_marts": stale_marts(),
    }


def test_every_entry_point_leaves_the_same_records_and_alerts(samples, clean_warehouse, tmp_path):  # noqa: F811
    import psycopg

    left = {}
    for entry, drive in (("cli", _by_cli), ("airflow", _by_airflow)):
        with psycopg.connect(clean_warehouse, autocommit=True) as conn:
            conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
        shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts", ignore_errors=True)
        landing = tmp_path / entry
        _land(samples, landing, ORG_FILE)
        with webhook_server(max_seconds=3600) as (url, received):
            env = {"SWDW_LANDING_DIR": str(landing), "AIRFLOW_CONN_SWDW_WEBHOOK": url}
            drive(clean_warehouse, env, lambda to=landing: _land(samples, to, SUGGESTION_FILE, BAD_FILE))
            left[entry] = _what_it_left(clean_warehouse, received)
            _reprocess_kept_history(clean_warehouse)
            if entry == "airflow":
                _calendar_through_airflow(clean_warehouse, env, received)

    cli = left["cli"]
    # two ingest passes, then one pass per reprocess: loaded once the limit was lifted; rejected again
    assert cli["pipeline_runs"] == [
        (1, 0, 1, 0, 0, True),
        (2, 1, 1, 0, 0, True),
        (1, 1, 0, 0, 0, True),
        (1, 0, 1, 0, 0, True),
    ]
    # each pass that quarantined alerts once, the reprocessed file that fails again included
    assert [(event, len(lines)) for event, lines in cli["alerts"]] == [("quarantine", 1)] * 3, cli["alerts"]
    assert cli["stale_marts"] == []  # the reprocess rebuilt what an ingest of its type rebuilds
    assert left["airflow"] == cli
