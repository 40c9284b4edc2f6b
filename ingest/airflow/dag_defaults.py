"""What every swdw DAG shares: owner, retry policy and failure alert, the raw Asset, the warehouse
connection id, the city's clock for schedules, the submission types and departments offered in
trigger forms.

Imported at DAG-parse time, so it stays cheap: airflow.sdk, the standard library and file listings;
nothing it loads imports pandas, GX, dbt or psycopg at its top (tests/test_import_graph.py checks).
The landing Asset, which only the ingest DAG needs, is ingest.airflow.triggers.landing_asset.
"""

from __future__ import annotations

import csv
from datetime import timedelta

from airflow.sdk import Asset, CronTriggerTimetable

from ingest.airflow.callbacks import SwdwNotifier
from ingest.airflow.connection_ids import WAREHOUSE_CONN_ID  # noqa: F401 (the DAGs import it from here)
from ingest.config import SEEDS_DIR, city_timezone
from ingest.intake.contracts import CONTRACTS_DIR

RAW_ASSET = Asset("swdw://warehouse/raw")  # updated by swdw_ingest_submissions when something loaded


def city_cron(expression: str) -> CronTriggerTimetable:
    """A cron read on the city's clock: "0 9 * * *" is 09:00 in Huaibei, whatever the server's zone."""
    return CronTriggerTimetable(expression, timezone=city_timezone())


def default_args(
    *,
    retry_delay: timedelta = timedelta(minutes=1),
    max_retry_delay: timedelta = timedelta(minutes=10),
    execution_timeout: timedelta = timedelta(hours=1),
) -> dict:
    """Two retries with exponential backoff, bounded run time, an alert after the last try."""
    return {
        "owner": "swdw-data-engineering",
        "retries": 2,
        "retry_delay": retry_delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": max_retry_delay,
        "execution_timeout": execution_timeout,
        "on_failure_callback": SwdwNotifier("task_failed"),
    }


def submission_types() -> list[str]:
    """One per contract file: the contracts are the only list of submission types."""
    return sorted(path.stem for path in CONTRACTS_DIR.glob("*.yml"))


def department_codes() -> list[str]:
    with open(SEEDS_DIR / "departments.csv", encoding="utf-8") as handle:  # a 7-line seed: microseconds
        return [row["department_code"] for row in csv.DictReader(handle)]
