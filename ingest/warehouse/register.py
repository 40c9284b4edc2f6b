"""The submission register, audit.submission: one row per distinct file (docs/design.md §4).

States: received → validating → loaded | quarantined; loaded → superseded.
"""

from __future__ import annotations

from enum import StrEnum

from ingest.config import calendar_settings
from ingest.warehouse.connection import connect
from ingest.warehouse.schema import FINDING_COLUMNS, VALIDATION_RESULT_COLUMNS


class SubmissionStatus(StrEnum):
    """A register row's state; the check constraint in ingest.warehouse.schema lists the same."""

    RECEIVED = "received"
    VALIDATING = "validating"
    LOADED = "loaded"
    QUARANTINED = "quarantined"
    SUPERSEDED = "superseded"


# a row still in one of these is finished by the next run (a crash left it behind)
UNFINISHED = (SubmissionStatus.RECEIVED, SubmissionStatus.VALIDATING)
# the findings of a file's first validation, and those of each later reprocess run
FINDINGS_TABLES = {"submission": "audit.submission_finding", "reprocess": "audit.reprocess_finding"}


def period_month_sql(timezone: str) -> str:
    """SQL for a register row's reporting month (the function audit.submission_period_month)."""
    zone = timezone.replace("'", "")  # from dbt_project.yml, not user input; quoted as a literal
    return f"audit.submission_period_month(report_period, period_start, period_end, received_at, '{zone}')"


def find(conn, department: str, submission_type: str, sha256: str):
    """(submission_id, status, archive_path) of already-registered bytes, or None."""
    return conn.execute(
        "select submission_id, status, archive_path from audit.submission "
        "where department_code = %s and submission_type = %s and sha256 = %s",
        (department, submission_type, sha256),
    ).fetchone()


def register(
    conn,
    *,
    department: str,
    submission_type: str,
    file_name: str,
    landing_path: str,
    sha256: str,
    size: int,
    received_at,
) -> tuple[int, bool]:
    """Register the file; (submission_id, True) when new, (existing id, False) for known bytes.

    received_at is when the file landed (its modification time in the landing zone), which is
    what the due date is judged against, not when the pipeline happened to pick it up.
    """
    row = conn.execute(
        """insert into audit.submission
               (department_code, submission_type, file_name, landing_path, sha256, bytes, received_at)
           values (%s, %s, %s, %s, %s, %s, coalesce(%s, now()))
           on conflict (department_code, submission_type, sha256) do nothing
           returning submission_id""",
        (department, submission_type, file_name, landing_path, sha256, size, received_at),
    ).fetchone()
    if row:
        return row[0], True
    return find(conn, department, submission_type, sha256)[0], False


def start_attempt(conn, submission_id: int, contract_version: str | None = None) -> int:
    """Mark the submission validating under ``contract_version`` (the contract judging it) and count
    the attempt; returns the attempts so far, this one included."""
    return conn.execute(
        "update audit.submission set status = %s, attempts = attempts + 1, contract_version = %s, updated_at = now() "
        "where submission_id = %s returning attempts",
        (SubmissionStatus.VALIDATING, contract_version, submission_id),
    ).fetchone()[0]


def received_on(conn, submission_id: int):
    """The day a submission landed, in the city's time: what "not after the day received" rules are judged against."""
    return conn.execute(
        "select (received_at at time zone %s)::date from audit.submission where submission_id = %s",
        (calendar_settings()[1], submission_id),
    ).fetchone()[0]


def status_and_original(conn, submission_id: int) -> tuple[str, str | None]:
    """(status, archive_path) of a registered submission."""
    return conn.execute(
        "select status, archive_path from audit.submission where submission_id = %s", (submission_id,)
    ).fetchone()


def status_of(conn, submission_id: int) -> str:
    return status_and_original(conn, submission_id)[0]


def department_and_type(conn, submission_id: int) -> tuple[str, str] | None:
    """(department_code, submission_type) of a submission, None when it is not in the register."""
    return conn.execute(
        "select department_code, submission_type from audit.submission where submission_id = %s", (submission_id,)
    ).fetchone()


def set_status(conn, submission_id: int, status: str, **fields) -> None:
    assignments = ", ".join(f"{name} = %s" for name in fields)
    conn.execute(
        f"update audit.submission set status = %s, updated_at = now()"
        f"{', ' + assignments if assignments else ''} where submission_id = %s",
        (status, *fields.values(), submission_id),
    )


def supersede_snapshots(conn, department: str, submission_type: str, report_period) -> int:
    """Of the loaded snapshots for one department and period, the latest landed stays loaded.

    Files may be processed in any order (mapped tasks, retries), so "latest" is judged by
    received_at (when the file landed), the submission id breaking ties.
    """
    cursor = conn.execute(
        """with ranked as (
               select submission_id,
                      first_value(submission_id) over (
                          order by received_at desc, submission_id desc) as newest
                 from audit.submission
                where department_code = %s and submission_type = %s and report_period = %s
                  and status = 'loaded')
           update audit.submission as s
              set status = 'superseded', superseded_by = ranked.newest, updated_at = now()
             from ranked
            where s.submission_id = ranked.submission_id and ranked.submission_id <> ranked.newest""",
        (department, submission_type, report_period),
    )
    return cursor.rowcount


def record_findings(conn, findings, *, submission_id: int, reprocess_id: int | None = None) -> None:
    """COPY the findings: to audit.submission_finding, or to audit.reprocess_finding for a reprocess run."""
    table = FINDINGS_TABLES["submission" if reprocess_id is None else "reprocess"]
    keys = ("submission_id",) if reprocess_id is None else ("reprocess_id", "submission_id")
    key_values = (submission_id,) if reprocess_id is None else (reprocess_id, submission_id)
    columns = (*keys, *FINDING_COLUMNS[1:])  # FINDING_COLUMNS starts with submission_id
    with conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
        for f in findings:
            copy.write_row(
                (*key_values, f.source_row, f.column, f.header, f.value, f.rule, f.severity, f.message_zh, f.message_en)
            )


def record_validation_results(conn, submission_id: int, results: list[dict]) -> None:
    """COPY one row per expectation result into audit.validation_result (one round trip per file)."""
    from psycopg.types.json import Jsonb

    columns = ", ".join(VALIDATION_RESULT_COLUMNS)
    with conn.cursor().copy(f"copy audit.validation_result ({columns}) from stdin") as copy:
        for result in results:
            row = {**result, "submission_id": submission_id, "observed_value": Jsonb(result["observed_value"])}
            copy.write_row([row[name] for name in VALIDATION_RESULT_COLUMNS])


def status_counts(conn) -> tuple[int, int, int, int]:
    """(loaded, quarantined, superseded, all) submissions in the register."""
    return conn.execute(
        "select count(*) filter (where status = 'loaded'), count(*) filter (where status = 'quarantined'), "
        "count(*) filter (where status = 'superseded'), count(*) from audit.submission"
    ).fetchone()


def row_counts(conn, submission_ids) -> dict[int, dict]:
    """submission_id -> {row_count, error_count, warning_count} of these submissions."""
    cursor = conn.execute(
        "select submission_id, row_count, error_count, warning_count from audit.submission "
        "where submission_id = any(%s)",
        (list(submission_ids),),
    )
    return {
        sid: {"row_count": rows, "error_count": errors, "warning_count": warnings}
        for sid, rows, errors, warnings in cursor
    }


def findings_of(conn, submission_ids, columns) -> list[tuple]:
    """``columns`` of the first-validation findings of these submissions (``file_name``: the register's), by file and row."""
    selected = ", ".join("s.file_name" if c == "file_name" else f"f.{c}" for c in columns)
    return conn.execute(
        f"""select {selected}
              from {FINDINGS_TABLES["submission"]} as f join audit.submission as s using (submission_id)
             where f.submission_id = any(%s) order by f.submission_id, f.source_row nulls first""",
        (list(submission_ids),),
    ).fetchall()


def print_register(limit: int = 50, status: str | None = None) -> None:
    with connect() as conn:
        rows = conn.execute(
            """select submission_id, received_at, department_code, submission_type,
                      coalesce(to_char(report_period, 'YYYY-MM'), '-'), file_name, status,
                      coalesce(row_count, 0), error_count, warning_count, superseded_by,
                      coalesce(status_reason, ''), coalesce(data_docs_url, ''), contract_version
                 from audit.submission where %(status)s::text is null or status = %(status)s
                order by received_at desc, submission_id desc limit %(limit)s""",
            {"status": status, "limit": limit},
        ).fetchall()
    print(
        f"{'id':>4}  {'received':16}  {'department':10} {'type':16} {'period':7}  {'status':11} "
        f"{'rows':>6} {'err':>4} {'warn':>4}  file"
    )
    for row in rows:
        sid, received, dept, kind, period, name, status, rows_, errors, warnings, superseded_by, reason, docs, judge = (
            row
        )
        status_text = f"{status}→{superseded_by}" if superseded_by else status
        print(
            f"{sid:>4}  {received:%Y-%m-%d %H:%M}  {dept:10} {kind:16} {period:7}  {status_text:11} "
            f"{rows_:>6} {errors:>4} {warnings:>4}  {name}"
        )
        if reason:
            print(f"{'':6}reason: {reason}")
        if docs:
            print(f"{'':6}data docs: {docs}")
        if judge:
            print(f"{'':6}judged by contract {kind} version {judge}")


_PAGE_COLUMNS = (
    "submission_id, department_code, submission_type, file_name, report_period, period_start, period_end, "
    "period_month, received_at, sha256, status, status_reason, superseded_by, feedback_path, archive_path, "
    "data_docs_url, contract_version"
)


def register_rows(conn, where: str, params=()) -> list[dict]:
    """Register rows with their reporting month (YYYY-MM): the facts a validation page and the audit pack show."""
    month = period_month_sql(calendar_settings()[1])
    cursor = conn.execute(
        f"""select {_PAGE_COLUMNS} from (
                select s.*, to_char({month}, 'YYYY-MM') as period_month from audit.submission as s
            ) as register
            where {where} order by received_at, submission_id""",
        params,
    )
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def superseded_by(conn, submission_id: int) -> list[int]:
    """The snapshots this submission superseded."""
    rows = conn.execute("select submission_id from audit.submission where superseded_by = %s", (submission_id,))
    return [sid for (sid,) in rows.fetchall()]
