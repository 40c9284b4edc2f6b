"""swdw_submission_calendar: which departments are late with their monthly reports (docs/design.md §7).

Daily at 09:00 on the city's clock (the dbt var local_timezone, Asia/Shanghai). Each department owes each of its submission types
monthly (dbt seed reporting_calendar.csv), due on the 10th of the following month. The run
checks the latest period whose due date has passed on its date, records every obligation's
state (on_time, late, rejected, missing) in audit.lateness_check, and alerts the
outstanding ones through the swdw notifier. Logic: ingest/jobs/reporting_calendar.py.

``as_of`` (YYYY-MM-DD) overrides the run's date, e.g. to re-check a past day; by default it
is the logical date in the city's time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from ingest.airflow.dag_defaults import city_cron, default_args  # airflow.sdk only


@dag(
    dag_id="swdw_submission_calendar",
    schedule=city_cron("0 9 * * *"),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(
        retry_delay=timedelta(minutes=2), max_retry_delay=timedelta(minutes=20), execution_timeout=timedelta(minutes=15)
    ),
    tags=["swdw", "calendar", "quality"],
    doc_md=__doc__,
    params={
        "as_of": Param(
            None,
            type=["null", "string"],
            format="date",
            title="检查日期 as of",
            description="optional YYYY-MM-DD; default: the run's logical date (Asia/Shanghai)",
        ),
    },
)
def swdw_submission_calendar():
    @task
    def check_lateness(params=None, logical_date=None, run_id=None) -> list[dict]:
        """Classify and record every obligation of the latest past-due period."""
        from ingest.airflow.tasks import check_lateness as check

        return check(params.get("as_of"), logical_date, run_id)

    @task
    def alert_late(checked: list[dict]) -> dict | None:
        """Notify about outstanding reports (missing, or only quarantined files)."""
        from ingest.airflow.tasks import alert_late as alert

        return alert(checked)

    alert_late(check_lateness())


swdw_submission_calendar()
