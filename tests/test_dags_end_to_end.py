"""The real DAGs through `airflow dags test`: ingest a landing zone, then build the marts."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ingest import samples as sample
from ingest.airflow.local_runner import airflow_env
from ingest.lineage.naming import EMBEDDED_WAREHOUSE_NAMESPACE
from ingest.lineage.transport import lineage_dir

from .helpers import REPO, query, webhook_server
from .lineage_events import downstream, event_files, lineage_graph, read_events
from .openlineage_schema import schema_errors

pytestmark = [pytest.mark.slow]


def test_ingest_then_build_through_airflow(warehouse, tmp_path):
    import psycopg

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    written = tmp_path / "written"
    sample.write_samples(written)
    landing = tmp_path / "landing"
    # one department's whole year plus a file that must be quarantined keeps the run short
    shutil.copytree(written / "duji", landing / "duji", copy_function=shutil.copy2)
    bad = written / "lieshan" / "org_coverage" / "烈山区两个覆盖台账2024年12月（补充）.csv"
    (landing / "lieshan" / "org_coverage").mkdir(parents=True)
    shutil.copy2(bad, landing / "lieshan" / "org_coverage" / bad.name)
    # two everyday situations the marts must absorb: a document in a folder named for a
    # type that does not exist, and a resend of a status workbook whose rows did not change
    misfiled = landing / "xiangshan" / "meeting_minutes" / "会议纪要.csv"
    misfiled.parent.mkdir(parents=True)
    misfiled.write_text("会议,日期\n党建工作推进会,2024-12-05\n", encoding="utf-8")
    december = landing / "duji" / "suggestion" / "杜集区人民建议_202412.csv"
    resend = december.with_name("杜集区人民建议_202412（重报）.csv")
    resend.write_bytes(december.read_bytes().replace(b"\r\n", b"\n") + b"\n")  # other bytes, same rows
    os.utime(resend, (december.stat().st_mtime + 86400,) * 2)
    files = sorted(p for p in landing.rglob("*") if p.is_file())
    lineage_before = event_files(lineage_dir())

    with webhook_server() as (url, received):
        env = airflow_env(
            {**os.environ, "SWDW_LANDING_DIR": str(landing), "AIRFLOW_CONN_SWDW_WEBHOOK": url}, warehouse=True
        )
        result = subprocess.run(
            [sys.executable, "-m", "ingest.airflow.local_runner"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    # publish alerted the quarantine (one alert, naming the file and why); nothing failed
    alerts = [r["json"] for r in received]
    assert [a["event"] for a in alerts] == ["quarantine"], alerts
    assert len(alerts[0]["lines"]) == 2 and bad.name in " ".join(alerts[0]["lines"])
    assert "会议纪要.csv" in " ".join(alerts[0]["lines"])

    statuses = dict(query(warehouse, "select status, count(*) from audit.submission group by status"))
    assert sum(statuses.values()) == len(files)
    assert statuses["quarantined"] == 2 and statuses["superseded"] == 1
    assert not list(landing.rglob("*.csv"))  # every file archived or quarantined
    for mart in ("mart_coverage", "mart_service_counts", "mart_petition_conversion", "mart_submission_quality"):
        assert query(warehouse, f"select count(*) from marts.{mart}")[0][0] > 0, mart
    assert query(warehouse, "select count(distinct district_code) from marts.mart_coverage") == [(1,)]
    # the misfiled file shows in the quality mart under its folder name; the resend is the current version
    assert query(
        warehouse,
        "select submissions_quarantined from marts.mart_submission_quality "
        "where department_code = 'xiangshan' and submission_type = 'meeting_minutes'",
    ) == [(1,)]
    assert (
        query(
            warehouse,
            "select count(*) from intermediate.int_suggestion_status_history h join audit.submission s using (submission_id) "
            "where h.is_current and s.file_name like '%%重报%%'",
        )[0][0]
        > 0
    )
    _assert_no_password_in_airflow_output(warehouse, Path(env["SWDW_HOME"]), result.stdout + result.stderr)
    _assert_lineage_from_landing_files_to_marts(event_files(lineage_dir()) - lineage_before, december)


def _assert_lineage_from_landing_files_to_marts(paths, landing_file: Path) -> None:
    """The run's OpenLineage events are valid, and the build DAG's dbt tasks (Cosmos) continue
    the graph the file task starts: landing file -> raw.<type> -> ... -> marts.*."""
    events = read_events(paths)
    assert not {p.name: errors for p, e in events.items() if (errors := schema_errors(e))}
    graph = lineage_graph(events.values())
    table = lambda name: (EMBEDDED_WAREHOUSE_NAMESPACE, f"swdw.{name}")  # noqa: E731
    assert table("raw.suggestion") in graph[("file", str(landing_file.resolve()))]
    assert table("marts.mart_petition_conversion") in downstream(graph, table("raw.suggestion"))
    assert table("marts.mart_coverage") in downstream(graph, table("raw.org_coverage"))
    assert table("marts.mart_service_counts") in downstream(graph, table("raw.service_activity"))


def _assert_no_password_in_airflow_output(warehouse: str, home: Path, output: str) -> None:
    """The warehouse password is in no task log or rendered field: `airflow dags test` prints the task
    logs (the output checked here) and keeps rendered fields and XComs in the metadata DB under
    $SWDW_HOME/airflow, which is checked with every other file the run wrote."""
    password = urlparse(warehouse).password
    with sqlite3.connect(home / "airflow" / "airflow.db") as metadata:
        rendered = metadata.execute(
            "select count(*) from rendered_task_instance_fields where task_id like 'dbt.%'"
        ).fetchone()[0]
    assert rendered > 0, "the dbt tasks' rendered fields were not stored"
    # pg/ holds the embedded server's own password file
    written = [p for p in home.rglob("*") if p.is_file() and p.relative_to(home).parts[0] != "pg"]
    leaks = [str(p) for p in written if password.encode() in p.read_bytes()]
    if password in output:
        leaks.append("airflow dags test output (the task logs)")
    assert not leaks, leaks
