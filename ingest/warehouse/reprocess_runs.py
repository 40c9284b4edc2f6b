"""audit.reprocess_run and the register reads a reprocess needs: its SQL in one place."""

from __future__ import annotations

import datetime as dt

from ingest.config import calendar_settings
from ingest.warehouse.register import period_month_sql

SUBMISSION_FIELDS = (
    "submission_id",
    "department_code",
    "submission_type",
    "file_name",
    "sha256",
    "status",
    "archive_path",
    "received_at",
    "error_count",
    "warning_count",
    "period_month",
)


def _select(where: str) -> str:
    period = period_month_sql(calendar_settings()[1])
    columns = ", ".join(SUBMISSION_FIELDS[:-1]) + f", {period} as period_month"
    return f"select {columns} from audit.submission where {where} order by received_at, submission_id"


def submission_by_id(conn, submission_id: int) -> dict | None:
    row = conn.execute(_select("submission_id = %s"), (submission_id,)).fetchone()
    return dict(zip(SUBMISSION_FIELDS, row)) if row else None


def current_submissions(conn, department_code: str, submission_type: str, period: dt.date) -> list[dict]:
    """The loaded or quarantined submissions of department × type reporting for this month."""
    period_sql = period_month_sql(calendar_settings()[1])
    rows = conn.execute(
        _select(
            f"department_code = %s and submission_type = %s and {period_sql} = %s "
            "and status in ('loaded', 'quarantined')"
        ),
        (department_code, submission_type, period),
    ).fetchall()
    return [dict(zip(SUBMISSION_FIELDS, row)) for row in rows]


def raw_row_count(conn, raw_table: str, submission_id: int) -> int:
    return conn.execute(f"select count(*) from {raw_table} where submission_id = %s", (submission_id,)).fetchone()[0]


def start_run(conn, item: dict, *, verified: bool, action: str, reason: str | None, request: dict) -> int:
    """The audit.reprocess_run row of one attempt (completed by finish_run)."""
    from psycopg.types.json import Jsonb  # psycopg stays out of light imports

    return conn.execute(
        "insert into audit.reprocess_run (submission_id, requested_by, airflow_run_id, parameters, "
        "previous_status, previous_error_count, previous_warning_count, sha256_verified, action, "
        "new_status, reason) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning reprocess_id",
        (
            item["submission_id"],
            request.get("requested_by"),
            request.get("airflow_run_id"),
            Jsonb(request.get("parameters") or {}),
            item["status"],
            item["error_count"],
            item["warning_count"],
            verified,
            action,
            item["status"],
            reason,
        ),
    ).fetchone()[0]


def finish_run(conn, reprocess_id: int, **fields) -> None:
    """verdict, action, new_status, row_count, error_count, warning_count, reason, feedback_path."""
    assignments = ", ".join(f"{name} = %s" for name in fields)
    conn.execute(
        f"update audit.reprocess_run set {assignments}, finished_at = now() where reprocess_id = %s",
        (*fields.values(), reprocess_id),
    )
