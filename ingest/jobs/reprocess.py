"""Reprocessing registered submissions from their kept originals (DAG ``swdw_reprocess``).

Why: the contracts, the reference data (departments.csv, districts.csv) or the parsers
change, or an operational limit was too tight (file size, row count), and a file rejected
under the old rules should be judged again, or a loaded file's verdict re-checked, without
asking the department to send it again.

What an auditor can rely on:

1. History is not rewritten. A submission keeps its submission_id, sha256, file name and
   received_at (lateness is still judged by when the file landed). docs/design.md §4's rule holds:
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
5. A reprocess is a pass like any ingest (``jobs.ingest_pass``): a row in
   ``audit.pipeline_run``, the same alerts (a reprocessed file that fails again is alerted as a
   quarantine, a flagged one as ``reprocess_flagged``), the chain heads. Afterwards the marts are
   rebuilt with the selection an ingest of the loaded types uses (``rebuild_marts``), when
   anything was loaded.

The register gains one transition, quarantined → loaded, and only through this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from enum import StrEnum

from ingest.artifact_store import modified_at, read, readable
from ingest.intake.contracts import get_contract
from ingest.intake.landing import LandingFile
from ingest.jobs.ingest_pass import PassSummary, begin_pass, finish_pass
from ingest.jobs.outcomes import FileOutcome, FileStatus
from ingest.jobs.transform import dbt_build, incremental_selection
from ingest.jobs.validation_pages import publish_after_status
from ingest.quality.evaluation import evaluate_or_reject
from ingest.quality.feedback import write_feedback
from ingest.warehouse import register, reprocess_runs
from ingest.warehouse.connection import bootstrap, connect
from ingest.warehouse.loading import load_accepted
from ingest.warehouse.locks import SubmissionBusy, try_lock_submission, unlock_submission
from ingest.warehouse.originals import quarantine_folder
from ingest.warehouse.register import SubmissionStatus

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class ReprocessError(RuntimeError):
    """The request cannot be carried out as asked (wrong parameters, altered evidence)."""


class ReprocessAction(StrEnum):
    """What a verdict did to a submission (module docstring, 4)."""

    LOADED = "loaded"
    STILL_REJECTED = "still_rejected"
    CONFIRMED = "confirmed"
    FLAGGED = "flagged"
    SKIPPED = "skipped"


# how each action counts in the pass that ran it (audit.pipeline_run, alerts)
PASS_STATUS = {
    ReprocessAction.LOADED: FileStatus.LOADED,
    ReprocessAction.STILL_REJECTED: FileStatus.QUARANTINED,
    ReprocessAction.CONFIRMED: FileStatus.CONFIRMED,
    ReprocessAction.FLAGGED: FileStatus.FLAGGED,
    ReprocessAction.SKIPPED: FileStatus.BUSY,
}


@dataclass
class ReprocessOutcome:
    reprocess_id: int
    submission_id: int
    department_code: str
    submission_type: str
    file_name: str
    previous_status: str
    action: ReprocessAction
    new_status: str
    verdict: str | None = None
    row_count: int = 0
    error_count: int = 0
    warning_count: int = 0
    reason: str | None = None
    feedback_path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def file_outcome(self) -> FileOutcome:
        """This attempt as one file of its pass."""
        return FileOutcome(
            self.file_name,
            self.department_code,
            self.submission_type,
            PASS_STATUS[self.action],
            submission_id=self.submission_id,
            row_count=self.row_count,
            error_count=self.error_count,
            warning_count=self.warning_count,
            reason=self.reason,
            feedback_path=self.feedback_path,
        )


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
    if submission_id is not None:
        item = reprocess_runs.submission_by_id(conn, submission_id)
        if item is None:
            raise ReprocessError(f"submission {submission_id} is not in the register")
        found = [item]
    else:
        if period is None:
            raise ReprocessError("give a report period (YYYY-MM) or a submission id")
        found = reprocess_runs.current_submissions(conn, department_code, submission_type, period)
    for item in found:
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
    return found


def _finish_run(conn, outcome: ReprocessOutcome) -> None:
    reprocess_runs.finish_run(
        conn,
        outcome.reprocess_id,
        verdict=outcome.verdict,
        action=outcome.action,
        new_status=outcome.new_status,
        row_count=outcome.row_count,
        error_count=outcome.error_count,
        warning_count=outcome.warning_count,
        reason=outcome.reason,
        feedback_path=outcome.feedback_path,
    )


def _act(conn, item: dict, data: bytes, evaluation, reprocess_id: int) -> tuple[ReprocessAction, str | None]:
    """What the verdict does to the submission (module docstring, 4); returns (action, feedback path)."""
    sid = item["submission_id"]
    if item["status"] != SubmissionStatus.QUARANTINED:
        return (ReprocessAction.CONFIRMED if evaluation.accepted else ReprocessAction.FLAGGED), None
    if not evaluation.accepted:
        feedback = write_feedback(f"{quarantine_folder(sid)}/reprocess_{reprocess_id}", evaluation.findings)
        return ReprocessAction.STILL_REJECTED, feedback
    existing = reprocess_runs.raw_row_count(conn, get_contract(item["submission_type"]).raw_table, sid)
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
    return ReprocessAction.LOADED, None


def _kept_original(item: dict) -> tuple[str | None, bytes | None, bool]:
    """(uri, bytes, whether they hash to the registered sha256) of the kept original."""
    kept = item["archive_path"] or None
    data = read(kept) if readable(kept) else None
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
    sid, status = item["submission_id"], item["status"]
    request = {"requested_by": requested_by, "airflow_run_id": airflow_run_id, "parameters": parameters}
    outcome = ReprocessOutcome(
        0,
        sid,
        item["department_code"],
        item["submission_type"],
        item["file_name"],
        previous_status=status,
        action=ReprocessAction.SKIPPED,
        new_status=status,
    )
    kept, data, verified = _kept_original(item)
    skipped = ReprocessAction.SKIPPED
    if status in register.UNFINISHED:
        outcome.reason = "ingest has not finished this submission; the ingest DAG completes it from the landing zone"
        outcome.reprocess_id = reprocess_runs.start_run(
            conn, item, verified=verified, action=skipped, reason=outcome.reason, request=request
        )
        return outcome
    if data is None:
        raise ReprocessError(f"submission {sid}: the kept original {kept} is missing")
    if not verified:
        mismatch = "sha256 of the kept original does not match the register"
        reprocess_runs.start_run(conn, item, verified=verified, action=skipped, reason=mismatch, request=request)
        raise ReprocessError(f"submission {sid}: {kept} does not hash to the registered sha256 — not reprocessed")
    if not try_lock_submission(conn, sid):
        raise SubmissionBusy(sid)
    try:
        outcome.reprocess_id = reprocess_runs.start_run(
            conn, item, verified=verified, action=skipped, reason="in progress", request=request
        )
        landing_file = LandingFile(
            kept, item["department_code"], item["submission_type"], item["file_name"], modified_at(kept)
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
            outcome.new_status = register.status_of(conn, sid)
            _finish_run(conn, outcome)
        publish_after_status(conn, sid, [evaluation.data_docs_url] if evaluation.data_docs_url else [])
        return outcome
    finally:
        unlock_submission(conn, sid)


def reprocess_pass(
    department_code: str,
    submission_type: str,
    report_period: str | None,
    submission_id: int | None = None,
    *,
    requested_by: str = "unknown",
    airflow_run_id: str | None = None,
) -> tuple[list[ReprocessOutcome], PassSummary]:
    """Reprocess what the parameters name, as one pass (jobs.ingest_pass)."""
    bootstrap()
    parameters = {
        "department_code": department_code,
        "submission_type": submission_type,
        "report_period": report_period,
        "submission_id": submission_id,
    }
    with connect(autocommit=True) as conn:
        items = select_submissions(conn, department_code, submission_type, report_period, submission_id)
        trigger = f"reprocess:{requested_by}"
        run_id = begin_pass(trigger, len(items))
        outcomes = [
            reprocess_submission(
                conn, item, requested_by=requested_by, airflow_run_id=airflow_run_id, parameters=parameters
            )
            for item in items
        ]
    for o in outcomes:
        print(
            f"reprocess #{o.reprocess_id}: submission {o.submission_id} {o.department_code}/"
            f"{o.submission_type}/{o.file_name}: {o.previous_status} -> {o.action} "
            f"(verdict {o.verdict}, rows {o.row_count}, errors {o.error_count}, "
            f"warnings {o.warning_count}) {o.reason or ''}".rstrip()
        )
    if not outcomes:
        print(f"nothing to reprocess for {department_code}/{submission_type}/{report_period}")
    return outcomes, finish_pass(run_id, trigger, [o.file_outcome() for o in outcomes])


def reprocess(*args, **kwargs) -> list[dict]:
    """``reprocess_pass``'s outcomes as dicts."""
    return [o.to_dict() for o in reprocess_pass(*args, **kwargs)[0]]


def reprocess_by_id(submission_id: int, requested_by: str = "cli") -> list[dict]:
    """`swdw reprocess SUBMISSION_ID`: the submission's own department and type, no period needed."""
    bootstrap()
    with connect() as conn:
        found = register.department_and_type(conn, submission_id)
    if found is None:
        raise ReprocessError(f"submission {submission_id} is not in the register")
    return reprocess(found[0], found[1], None, submission_id, requested_by=requested_by)


def rebuild_marts(submission_types) -> bool:
    """dbt build of what a pass that loaded these types changes: the selection an ingest uses."""
    return dbt_build(select=incremental_selection(submission_types))
