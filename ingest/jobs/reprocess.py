"""Reprocessing registered submissions from their kept originals (DAG ``swdw_reprocess``).

Why: the contracts, the reference data (departments.csv, districts.csv) or the parsers
change, or an operational limit was too tight (file size, row count), and a file rejected
under the old rules should be judged again, or a loaded file's verdict re-checked, without
asking the department to send it again.

What an auditor can rely on:

1. History is not rewritten. A submission keeps its submission_id, sha256, file name and
   received_at (lateness is still judged by when the file landed). DESIGN §4's rule holds:
   the same bytes from the same department and type are registered once and never loaded
   twice — reprocessing never creates a second register row for bytes already registered
   (the register's unique key forbids it, rightly) and never loads rows for a submission
   that already has rows in raw.*.
2. The input is the kept original (``audit.submission.archive_path``: the archive for
   accepted files, ``quarantine/<id>/`` for rejected ones). Its sha256 is checked against the
   register before use; a mismatch stops the run (altered evidence is never reprocessed).
3. Every attempt is a row in ``audit.reprocess_run`` (created with every
   audit table by ingest.warehouse.schema): the
   Airflow run that asked, the parameters, the submission, its status and counts before
   and after, the verdict under the current rules, the action taken. The findings of the
   re-validation go to ``audit.reprocess_finding`` (keyed by reprocess_id); the first
   validation's findings in ``audit.submission_finding`` stay untouched as the record of
   the first decision. GX results are appended to ``audit.validation_result`` (its run_at
   tells runs apart), as every validation result is.
4. Actions, by the submission's status before and the verdict now:
   - quarantined → accepted: ``loaded`` — its rows are appended to raw under the same
     submission_id (a quarantined submission has none; checked in the same transaction),
     the status moves quarantined → loaded with ``status_reason`` naming the reprocess run,
     the register's counts show the new validation (the old ones stay in reprocess_run),
     a copy of the original goes to the archive, the quarantine folder and its feedback stay
     as evidence of the earlier rejection, and snapshots supersede as for any load.
   - quarantined → rejected: ``still_rejected`` — nothing in the register changes; a fresh
     feedback report for the clerk is written to ``quarantine/<id>/reprocess_<reprocess_id>/``.
   - loaded or superseded → accepted: ``confirmed`` — nothing is loaded (the rows are in raw).
   - loaded or superseded → rejected: ``flagged`` — the rows stay (they were accepted under
     the rules in force; withdrawing accepted data is the managing department's decision),
     the discrepancy is recorded and alerted.
   - received or validating (an interrupted ingest): ``skipped`` — the ingest DAG finishes
     those from the landing zone.
5. Afterwards the marts that depend on the submission type and on the register are
   rebuilt with dbt (``rebuild_marts``), when anything was loaded.

The register gains one transition, quarantined → loaded, and only through this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _period_sql() -> str:
    """The submission's reporting month, as dbt's stg_submissions computes it (one SQL function)."""
    from ingest.config import calendar_settings
    from ingest.warehouse.register import period_month_sql

    return period_month_sql(calendar_settings()[1])


class ReprocessError(RuntimeError):
    """The request cannot be carried out as asked (wrong parameters, altered evidence)."""


@dataclass
class ReprocessOutcome:
    reprocess_id: int
    submission_id: int
    department_code: str
    submission_type: str
    file_name: str
    previous_status: str
    action: str
    new_status: str
    verdict: str | None = None
    row_count: int = 0
    error_count: int = 0
    warning_count: int = 0
    reason: str | None = None
    feedback_path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def parse_period(value: str | None) -> dt.date | None:
    if value in (None, ""):
        return None
    if not re.match(PERIOD_PATTERN, value):
        raise ReprocessError(f"report period {value!r} is not YYYY-MM")
    year, month = map(int, value.split("-"))
    return dt.date(year, month, 1)


def select_submissions(
    conn, department_code: str, submission_type: str, report_period: str | None, submission_id: int | None = None
) -> list[dict]:
    """The submissions a request names: one by id, else the current ones of department × type × period.

    "Current": loaded or quarantined (a superseded snapshot has a newer replacement; name it
    by id to reprocess it anyway).
    """
    period = parse_period(report_period)
    period_sql = _period_sql()
    columns = (
        "submission_id, department_code, submission_type, file_name, sha256, status, "
        "archive_path, received_at, error_count, warning_count, " + period_sql + " as period_month"
    )
    if submission_id is not None:
        row = conn.execute(
            f"select {columns} from audit.submission where submission_id = %s", (submission_id,)
        ).fetchone()
        if row is None:
            raise ReprocessError(f"submission {submission_id} is not in the register")
        found = [row]
    else:
        if period is None:
            raise ReprocessError("give a report period (YYYY-MM) or a submission id")
        found = conn.execute(
            f"select {columns} from audit.submission where department_code = %s and submission_type = %s "
            f"and {period_sql} = %s and status in ('loaded', 'quarantined') order by received_at, submission_id",
            (department_code, submission_type, period),
        ).fetchall()
    names = (
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
    result = [dict(zip(names, row)) for row in found]
    for item in result:
        if (item["department_code"], item["submission_type"]) != (department_code, submission_type):
            raise ReprocessError(
                f"submission {item['submission_id']} is {item['department_code']}/{item['submission_type']}, "
                f"not {department_code}/{submission_type}"
            )
        if submission_id is not None and period is not None and item["period_month"] != period:
            print(
                f"note: submission {submission_id} reports for {item['period_month']:%Y-%m}, "
                f"not {period:%Y-%m}; reprocessing it as asked by id"
            )
    return result


def _start_run(conn, item: dict, verified: bool, action: str, reason: str | None, request: dict) -> int:
    """The audit.reprocess_run row of one attempt (finished by _finish_run)."""
    from psycopg.types.json import Jsonb

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


def _finish_run(conn, outcome: ReprocessOutcome) -> None:
    conn.execute(
        "update audit.reprocess_run set verdict = %s, action = %s, new_status = %s, row_count = %s, "
        "error_count = %s, warning_count = %s, reason = %s, feedback_path = %s, finished_at = now() "
        "where reprocess_id = %s",
        (
            outcome.verdict,
            outcome.action,
            outcome.new_status,
            outcome.row_count,
            outcome.error_count,
            outcome.warning_count,
            outcome.reason,
            outcome.feedback_path,
            outcome.reprocess_id,
        ),
    )


def _act(conn, item: dict, data: bytes, evaluation, reprocess_id: int) -> tuple[str, str | None]:
    """What the verdict does to the submission (module docstring, 4); returns (action, feedback path)."""
    from ingest.intake.contracts import get_contract
    from ingest.warehouse.loading import load_accepted
    from ingest.warehouse.originals import quarantine_folder
    from ingest.warehouse.register import SubmissionStatus

    sid = item["submission_id"]
    if item["status"] != SubmissionStatus.QUARANTINED:
        return ("confirmed" if evaluation.accepted else "flagged"), None
    if not evaluation.accepted:
        from ingest.quality.feedback import write_feedback

        folder = quarantine_folder(sid) / f"reprocess_{reprocess_id}"
        folder.mkdir(parents=True, exist_ok=True)
        write_feedback(folder, evaluation.findings)
        return "still_rejected", str(folder / "feedback.xlsx")
    contract = get_contract(item["submission_type"])
    existing = conn.execute(f"select count(*) from {contract.raw_table} where submission_id = %s", (sid,)).fetchone()[0]
    if existing:
        raise ReprocessError(f"submission {sid} is quarantined but has {existing} raw rows; not loading")
    load_accepted(
        conn,
        submission_id=sid,
        department_code=item["department_code"],
        submission_type=item["submission_type"],
        file_name=item["file_name"],
        data=data,
        evaluation=evaluation,
        status_reason=f"reprocess #{reprocess_id}: accepted on re-validation (was quarantined)",
    )
    return "loaded", None


def _kept_original(item: dict) -> tuple[Path | None, bytes | None, bool]:
    """(path, bytes, whether they hash to the registered sha256) of the kept original."""
    kept = Path(item["archive_path"]) if item["archive_path"] else None
    data = kept.read_bytes() if kept and kept.exists() else None
    return kept, data, data is not None and hashlib.sha256(data).hexdigest() == item["sha256"]


def reprocess_submission(
    conn,
    item: dict,
    *,
    requested_by: str | None = None,
    airflow_run_id: str | None = None,
    parameters: dict | None = None,
) -> ReprocessOutcome:
    """Re-validate one submission from its kept original and act on the verdict (module docstring, 4)."""
    from ingest.intake.landing import LandingFile
    from ingest.quality.evaluation import evaluate_or_reject
    from ingest.warehouse import register
    from ingest.warehouse.locks import try_lock_submission, unlock_submission

    sid, status = item["submission_id"], item["status"]
    request = {"requested_by": requested_by, "airflow_run_id": airflow_run_id, "parameters": parameters}
    outcome = ReprocessOutcome(
        0,
        sid,
        item["department_code"],
        item["submission_type"],
        item["file_name"],
        previous_status=status,
        action="skipped",
        new_status=status,
    )
    kept, data, verified = _kept_original(item)
    if status in register.UNFINISHED:
        outcome.reason = "ingest has not finished this submission; the ingest DAG completes it from the landing zone"
        outcome.reprocess_id = _start_run(conn, item, verified, "skipped", outcome.reason, request)
        return outcome
    if data is None:
        raise ReprocessError(f"submission {sid}: the kept original {kept} is missing")
    if not verified:
        _start_run(conn, item, verified, "skipped", "sha256 of the kept original does not match the register", request)
        raise ReprocessError(f"submission {sid}: {kept} does not hash to the registered sha256 — not reprocessed")
    if not try_lock_submission(conn, sid):
        import psycopg

        # another run holds the submission: a transient condition, the task retries later
        raise psycopg.OperationalError(f"submission {sid} is being processed by another run")
    try:
        outcome.reprocess_id = _start_run(conn, item, verified, "skipped", "in progress", request)
        landing_file = LandingFile(
            str(kept), item["department_code"], item["submission_type"], item["file_name"], kept.stat().st_mtime
        )
        # judged against the day the first validation used
        evaluation = evaluate_or_reject(landing_file, data, sid, register.received_on(conn, sid))
        outcome.verdict = "accepted" if evaluation.accepted else "rejected"
        outcome.row_count, outcome.reason = len(evaluation.records), evaluation.reason
        outcome.error_count, outcome.warning_count = evaluation.error_count, evaluation.warning_count
        with conn.transaction():
            outcome.action, outcome.feedback_path = _act(conn, item, data, evaluation, outcome.reprocess_id)
            register.record_findings(conn, evaluation.findings, submission_id=sid, reprocess_id=outcome.reprocess_id)
            register.record_validation_results(conn, sid, evaluation.validation_results)
            outcome.new_status = conn.execute(
                "select status from audit.submission where submission_id = %s", (sid,)
            ).fetchone()[0]
            _finish_run(conn, outcome)
        from ingest.jobs.validation_pages import publish_after_status

        publish_after_status(conn, sid, [evaluation.data_docs_url] if evaluation.data_docs_url else [])
        return outcome
    finally:
        unlock_submission(conn, sid)


def reprocess(
    department_code: str,
    submission_type: str,
    report_period: str | None,
    submission_id: int | None = None,
    *,
    requested_by: str | None = None,
    airflow_run_id: str | None = None,
) -> list[dict]:
    """Reprocess what the parameters name; returns one outcome dict per submission."""
    from ingest.warehouse.connection import bootstrap, connect

    bootstrap()
    parameters = {
        "department_code": department_code,
        "submission_type": submission_type,
        "report_period": report_period,
        "submission_id": submission_id,
    }
    with connect(autocommit=True) as conn:
        items = select_submissions(conn, department_code, submission_type, report_period, submission_id)
        outcomes = [
            reprocess_submission(
                conn, item, requested_by=requested_by, airflow_run_id=airflow_run_id, parameters=parameters
            ).to_dict()
            for item in items
        ]
    for o in outcomes:
        print(
            f"reprocess #{o['reprocess_id']}: submission {o['submission_id']} {o['department_code']}/"
            f"{o['submission_type']}/{o['file_name']}: {o['previous_status']} -> {o['action']} "
            f"(verdict {o['verdict']}, rows {o['row_count']}, errors {o['error_count']}, "
            f"warnings {o['warning_count']}) {o['reason'] or ''}".rstrip()
        )
    if not outcomes:
        print(f"nothing to reprocess for {department_code}/{submission_type}/{report_period}")
    from ingest.warehouse.audit_chain import record_chain_heads

    record_chain_heads(source=f"reprocess:{requested_by or 'unknown'}")
    return outcomes


def reprocess_by_id(submission_id: int, requested_by: str = "cli") -> list[dict]:
    """`swdw reprocess SUBMISSION_ID`: the submission's own department and type, no period needed."""
    from ingest.warehouse.connection import bootstrap, connect

    bootstrap()
    with connect() as conn:
        found = conn.execute(
            "select department_code, submission_type from audit.submission where submission_id = %s", (submission_id,)
        ).fetchone()
    if found is None:
        raise ReprocessError(f"submission {submission_id} is not in the register")
    return reprocess(found[0], found[1], None, submission_id, requested_by=requested_by)


def dbt_selection(submission_type: str) -> list[str]:
    """The models (and their tests) fed by raw.<type>, and the register-quality chain."""
    # descendants only: their other parents (dimensions, seeds) exist from the last full build
    return [f"source:raw.{submission_type}+", "int_submission_periods+"]


def rebuild_marts(submission_type: str) -> bool:
    """dbt build (models and their tests) of the marts a reprocess of this type can change."""
    from ingest.jobs.transform import run_dbt

    return run_dbt(["build", "--select", *dbt_selection(submission_type)])
