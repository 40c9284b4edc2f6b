"""One landing file from discovery to loaded or quarantined; the whole landing zone in a pass.

Crash safety: the register row is written first; a file whose row is still `received` or
`validating` is processed again from scratch by the next run. Archive and quarantine
copies are written before the single transaction that loads raw rows and sets the final
status, and the landing copy is removed only after that commit, so a kill at any point
leaves nothing half-loaded and nothing lost. An advisory lock per submission keeps two
concurrent runs from processing the same file.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from ingest.config import settings
from ingest.faults import crash_point
from ingest.intake.landing import LandingFile, discover, read_bytes, remove_from_landing, sha256_of
from ingest.warehouse import register
from ingest.warehouse.locks import try_lock_submission, unlock_submission


class FileStatus(StrEnum):
    """What one run did with one landing file."""

    LOADED = "loaded"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"  # the same bytes are registered already
    BUSY = "busy"  # another run holds the file


@dataclass
class FileOutcome:
    file_name: str
    department_code: str
    submission_type: str
    status: str  # a FileStatus
    submission_id: int | None = None
    row_count: int = 0
    error_count: int = 0
    warning_count: int = 0
    reason: str | None = None
    superseded: int = 0
    data_docs_url: str | None = None
    feedback_path: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def count_outcomes(outcomes) -> dict[str, int]:
    """Files per FileStatus (every status present, zeros included); takes FileOutcomes or their dicts."""
    counts = Counter(o["status"] if isinstance(o, dict) else o.status for o in outcomes)
    return {status.value: counts.get(status, 0) for status in FileStatus}


def _landed_at(landing_file: LandingFile) -> dt.datetime | None:
    if not landing_file.modified:
        return None
    landed = dt.datetime.fromtimestamp(landing_file.modified, dt.UTC)
    return min(landed, dt.datetime.now(dt.UTC))  # a clock ahead of ours is not believed


def process_landing_file(entry: dict | LandingFile) -> dict:
    """Register, validate and load or quarantine one landing file; returns its outcome as a dict."""
    from ingest.warehouse.connection import connect

    landing_file = entry if isinstance(entry, LandingFile) else LandingFile(**entry)
    try:
        data = read_bytes(landing_file.path)
    except FileNotFoundError:
        # another run took the file between discovery and now: it is that run's to finish
        return FileOutcome(
            landing_file.file_name,
            landing_file.department_code,
            landing_file.submission_type,
            FileStatus.BUSY,
            reason="no longer in the landing zone (taken by another run)",
        ).to_dict()
    sha = sha256_of(data)
    department = landing_file.department_code or "(none)"
    kind = landing_file.submission_type or "(none)"
    base = FileOutcome(landing_file.file_name, department, kind, FileStatus.DUPLICATE)
    with connect(autocommit=True) as conn:
        submission_id, _ = register.register(
            conn,
            department=department,
            submission_type=kind,
            file_name=landing_file.file_name,
            landing_path=landing_file.path,
            sha256=sha,
            size=len(data),
            received_at=_landed_at(landing_file),
        )
        base.submission_id = submission_id
        if not try_lock_submission(conn, submission_id):
            base.status, base.reason = FileStatus.BUSY, "being processed by another run"
            return base.to_dict()
        try:
            status, archive_path = conn.execute(
                "select status, archive_path from audit.submission where submission_id = %s", (submission_id,)
            ).fetchone()
            if status not in register.UNFINISHED:
                # the same bytes are already registered: finish a landing clean-up a crash may have left
                if archive_path and Path(archive_path).exists():
                    remove_from_landing(landing_file)
                base.reason = f"same bytes as submission {submission_id} ({status})"
                return base.to_dict()
            return _process(conn, landing_file, data, submission_id, base).to_dict()
        finally:
            unlock_submission(conn, submission_id)


def _process(conn, landing_file: LandingFile, data: bytes, submission_id: int, outcome: FileOutcome) -> FileOutcome:
    from ingest.quality.evaluation import evaluate_or_reject

    register.set_status(conn, submission_id, register.SubmissionStatus.VALIDATING)
    received_on = register.received_on(conn, submission_id)
    evaluation = evaluate_or_reject(landing_file, data, submission_id, received_on)
    outcome.row_count = len(evaluation.records)
    outcome.error_count, outcome.warning_count = evaluation.error_count, evaluation.warning_count
    outcome.data_docs_url = evaluation.data_docs_url
    outcome.reason = evaluation.reason
    if evaluation.accepted:
        _load(conn, landing_file, data, submission_id, evaluation, outcome)
    else:
        _quarantine(conn, landing_file, data, submission_id, evaluation, outcome)
    remove_from_landing(landing_file)
    return outcome


def _load(conn, landing_file: LandingFile, data: bytes, submission_id: int, evaluation, outcome: FileOutcome) -> None:
    from ingest.warehouse.loading import load_accepted

    with conn.transaction():
        register.record_findings(conn, evaluation.findings, submission_id=submission_id)
        register.record_validation_results(conn, submission_id, evaluation.validation_results)
        outcome.superseded = load_accepted(
            conn,
            submission_id=submission_id,
            department_code=landing_file.department_code,
            submission_type=landing_file.submission_type,
            file_name=landing_file.file_name,
            data=data,
            evaluation=evaluation,
            status_reason=evaluation.reason,
        )
        crash_point("before_commit")
    crash_point("after_commit")
    outcome.status = FileStatus.LOADED


def _quarantine(conn, landing_file: LandingFile, data: bytes, submission_id: int, evaluation, outcome) -> None:
    from ingest.quality.feedback import write_feedback
    from ingest.warehouse.originals import keep_copy, quarantine_folder

    folder = quarantine_folder(submission_id)
    kept = keep_copy(data, folder, landing_file.file_name)
    write_feedback(folder, evaluation.findings)
    with conn.transaction():
        register.record_findings(conn, evaluation.findings, submission_id=submission_id)
        register.record_validation_results(conn, submission_id, evaluation.validation_results)
        register.set_status(
            conn,
            submission_id,
            register.SubmissionStatus.QUARANTINED,
            archive_path=str(kept),
            feedback_path=str(folder / "feedback.xlsx"),
            status_reason=evaluation.reason,
            **evaluation.register_fields(),
        )
    outcome.status = FileStatus.QUARANTINED
    outcome.feedback_path = str(folder / "feedback.xlsx")


def discover_pending() -> list[dict]:
    """Bootstrap the warehouse, then list the landing files as dicts (the DAG maps over them)."""
    from ingest.warehouse.connection import bootstrap

    bootstrap()
    return [f.to_dict() for f in discover(settings().landing)]


def ingest_landing(trigger: str = "cli", progress=sys.stderr) -> list[FileOutcome]:
    """Process every file in the landing zone, oldest first; records the pass in audit.pipeline_run."""
    from ingest.warehouse.connection import connect

    files = discover_pending()
    with connect(autocommit=True) as conn:
        run_id = conn.execute(
            "insert into audit.pipeline_run (trigger, files_seen) values (%s, %s) returning run_id",
            (trigger, len(files)),
        ).fetchone()[0]
    outcomes = []
    for number, entry in enumerate(files, 1):
        if progress:
            print(
                f"[{number}/{len(files)}] {entry['department_code']}/{entry['submission_type']}/{entry['file_name']}",
                file=progress,
                flush=True,
            )
        outcomes.append(FileOutcome(**process_landing_file(entry)))
    counts = count_outcomes(outcomes)
    with connect(autocommit=True) as conn:
        conn.execute(
            "update audit.pipeline_run set finished_at = now(), loaded = %s, quarantined = %s, "
            "duplicates = %s where run_id = %s",
            (counts[FileStatus.LOADED], counts[FileStatus.QUARANTINED], counts[FileStatus.DUPLICATE], run_id),
        )
    return outcomes


def print_outcomes(outcomes: list[FileOutcome]) -> None:
    for o in outcomes:
        detail = f"{o.row_count} rows, {o.error_count} errors, {o.warning_count} warnings"
        if o.superseded:
            detail += f", supersedes {o.superseded} earlier"
        print(
            f"{o.status:11} #{o.submission_id or '-':<5} {o.department_code}/{o.submission_type}/"
            f"{o.file_name}: {detail}"
        )
        if o.reason:
            print(f"{'':12}reason: {o.reason}")
        if o.feedback_path:
            print(f"{'':12}feedback: {o.feedback_path}")
    counts = count_outcomes(outcomes)
    print("ingest: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f" ({len(outcomes)} files)")
