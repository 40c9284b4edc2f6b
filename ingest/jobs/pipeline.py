"""One landing file from discovery to loaded or quarantined; the whole landing zone in a pass.

Crash safety: the register row is written first; a file whose row is still `received` or
`validating` is processed again from scratch by the next run. Archive and quarantine
copies are written before the single transaction that loads raw rows and sets the final
status, and the landing copy is removed only after that commit, so a kill at any point
leaves nothing half-loaded and nothing lost. An advisory lock per submission keeps two
concurrent runs from processing the same file.

One file never stops the others: whatever goes wrong while processing a file (a reader,
the normaliser, GX, PostgreSQL, the file system) ends in a final register state with a
reason (rule ``internal_error`` naming the stage and the exception). Only a warehouse that
cannot be reached stops the run (``WarehouseUnavailable``): nothing can be recorded then,
and every file stays in the landing zone for the next run. A file whose processing was
interrupted ``MAX_ATTEMPTS`` times (killed, out of memory) is quarantined instead of being
tried again; ``swdw reprocess`` takes it again after a fix.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import replace

from ingest.artifact_store import readable
from ingest.config import settings
from ingest.faults import crash_point
from ingest.findings import Finding, Severity, internal_error
from ingest.intake.contracts import contract_version
from ingest.intake.landing import (
    REFUSALS,
    FileTooLarge,
    LandingFile,
    NotARegularFile,
    discover,
    read_landing_file,
    remove_from_landing,
    sha256_of,
)
from ingest.intake.values import visible
from ingest.jobs.ingest_pass import PassSummary, begin_pass, finish_pass
from ingest.jobs.outcomes import FileOutcome, FileStatus
from ingest.jobs.validation_pages import publish_after_status
from ingest.quality.evaluation import Evaluation, Stages, evaluate_or_reject
from ingest.quality.feedback import write_feedback
from ingest.warehouse import register
from ingest.warehouse.connection import WarehouseUnavailable, bootstrap, connect, is_transient
from ingest.warehouse.loading import load_accepted
from ingest.warehouse.locks import try_lock_submission, unlock_submission
from ingest.warehouse.originals import keep_copy, quarantine_folder, set_aside

MAX_ATTEMPTS = 3


def _landed_at(landing_file: LandingFile) -> dt.datetime | None:
    if not landing_file.modified:
        return None
    landed = dt.datetime.fromtimestamp(landing_file.modified, dt.UTC)
    return min(landed, dt.datetime.now(dt.UTC))  # a clock ahead of ours is not believed


def _storable(name: str) -> str:
    """A file or folder name as text PostgreSQL can store: undecodable bytes and control characters escaped."""
    return visible(name)


def _refusal_finding(landing_file: LandingFile, too_large: FileTooLarge | None) -> Finding:
    if too_large is not None:
        return Finding(
            "file_too_large",
            Severity.ERROR,
            f"文件过大（{too_large.size} 字节，上限 {too_large.limit}），未读取",
            f"file is {too_large.size} bytes, above the {too_large.limit} limit; not read",
        )
    zh, en = REFUSALS[landing_file.refusal]
    target = f" → {landing_file.link_target}" if landing_file.link_target else ""
    return Finding(
        "not_a_regular_file",
        Severity.ERROR,
        f"报送目录中只接受普通文件，此项是{zh}{target}，未读取",
        f"only regular files are accepted in the landing zone; this is {en}{target}; not read",
    )


def process_landing_file(entry: dict | LandingFile) -> dict:
    """Register, validate and load or quarantine one landing file; returns its outcome as a dict."""
    landing_file = entry if isinstance(entry, LandingFile) else LandingFile(**entry)
    if landing_file.refusal:
        return _refuse(landing_file, _refusal_finding(landing_file, None)).to_dict()
    try:
        data = read_landing_file(landing_file, settings().max_file_bytes)
    except FileNotFoundError:
        # another run took the file between discovery and now: it is that run's to finish
        return FileOutcome(
            landing_file.file_name,
            landing_file.department_code,
            landing_file.submission_type,
            FileStatus.BUSY,
            reason="no longer in the landing zone (taken by another run)",
        ).to_dict()
    except NotARegularFile as exc:  # swapped for a link, pipe or device since discovery
        refused = replace(landing_file, refusal=exc.refusal)
        return _refuse(refused, _refusal_finding(refused, None)).to_dict()
    except FileTooLarge as exc:
        return _refuse(landing_file, _refusal_finding(landing_file, exc)).to_dict()
    except OSError as exc:  # unreadable (permissions, I/O error): recorded, never silently skipped
        return _refuse(landing_file, internal_error("read", exc)).to_dict()
    return _guarded(
        landing_file,
        sha256_of(data),
        len(data),
        lambda conn, sid, outcome: _process(conn, landing_file, data, sid, outcome),
    ).to_dict()


def _guarded(landing_file: LandingFile, sha: str, size: int, work) -> FileOutcome:
    """Register the file, hold its lock and run ``work`` unless the same bytes are finished already."""
    department = _storable(landing_file.department_code) or "(none)"
    kind = _storable(landing_file.submission_type) or "(none)"
    outcome = FileOutcome(_storable(landing_file.file_name), department, kind, FileStatus.DUPLICATE)
    try:
        with connect(autocommit=True) as conn:
            submission_id, _ = register.register(
                conn,
                department=department,
                submission_type=kind,
                file_name=outcome.file_name,
                landing_path=_storable(landing_file.path),
                sha256=sha,
                size=size,
                received_at=_landed_at(landing_file),
            )
            outcome.submission_id = submission_id
            if not try_lock_submission(conn, submission_id):
                outcome.status, outcome.reason = FileStatus.BUSY, "being processed by another run"
                return outcome
            try:
                status, archive_path = register.status_and_original(conn, submission_id)
                if status not in register.UNFINISHED:
                    # the same bytes are already registered: finish a landing clean-up a crash may have left
                    if readable(archive_path):
                        remove_from_landing(landing_file)
                    outcome.reason = f"same bytes as submission {submission_id} ({status})"
                    return outcome
                work(conn, submission_id, outcome)
                return outcome
            finally:
                if not conn.closed and not conn.broken:
                    unlock_submission(conn, submission_id)
    except Exception as exc:
        if is_transient(exc):
            raise WarehouseUnavailable(
                f"warehouse unreachable: {' '.join(str(exc).split()) or type(exc).__name__}"
            ) from exc
        raise


def _process(conn, landing_file: LandingFile, data: bytes, submission_id: int, outcome: FileOutcome) -> None:
    attempts = register.start_attempt(conn, submission_id, contract_version(landing_file.submission_type))
    if attempts > MAX_ATTEMPTS:
        interrupted = Finding(
            "internal_error",
            Severity.ERROR,
            f"文件处理已中断 {attempts - 1} 次（进程被终止或内存不足），不再自动重试；修复后可重新处理",
            f"processing was interrupted {attempts - 1} times (killed or out of memory); not retried again; "
            "reprocess it after a fix",
        )
        _quarantine(conn, landing_file, data, submission_id, Evaluation(findings=[interrupted]), outcome)
        outcome.status = FileStatus.FAILED
        remove_from_landing(landing_file)
        return
    stages = Stages(f"#{submission_id} {landing_file.department_code}/{landing_file.file_name}")
    try:
        evaluation = evaluate_or_reject(
            landing_file, data, submission_id, register.received_on(conn, submission_id), stages
        )
        _describe(outcome, evaluation)
        if evaluation.accepted:
            stages.enter("load", len(evaluation.records))
            _load(conn, landing_file, data, submission_id, evaluation, outcome)
        else:
            stages.enter("quarantine")
            _quarantine(conn, landing_file, data, submission_id, evaluation, outcome)
        stages.enter("done")
    except Exception as exc:
        if is_transient(exc):
            raise
        # a defect or a value nothing anticipated: this file ends here, with its reason; the others go on
        failed = Evaluation(findings=[internal_error(stages.current, exc)])
        _describe(outcome, failed)
        _quarantine(conn, landing_file, data, submission_id, failed, outcome)
        outcome.status = FileStatus.FAILED
    remove_from_landing(landing_file)
    publish_after_status(conn, submission_id)  # the final status on its validation page (and superseded ones)


def _describe(outcome: FileOutcome, evaluation) -> None:
    outcome.row_count = len(evaluation.records)
    outcome.error_count, outcome.warning_count = evaluation.error_count, evaluation.warning_count
    outcome.data_docs_url = evaluation.data_docs_url
    outcome.reason = evaluation.reason


def _refuse(landing_file: LandingFile, finding: Finding) -> FileOutcome:
    """Quarantine an entry that is never read: the entry itself is moved aside, not opened."""

    def work(conn, submission_id: int, outcome: FileOutcome) -> None:
        register.start_attempt(conn, submission_id)
        evaluation = Evaluation(findings=[finding])
        _describe(outcome, evaluation)
        folder = quarantine_folder(submission_id)
        kept = set_aside(landing_file.path, folder, landing_file.file_name)
        feedback = write_feedback(folder, evaluation.findings)
        with conn.transaction():
            register.record_findings(conn, evaluation.findings, submission_id=submission_id)
            register.set_status(
                conn,
                submission_id,
                register.SubmissionStatus.QUARANTINED,
                archive_path=kept,
                feedback_path=feedback,
                status_reason=evaluation.reason,
                **evaluation.register_fields(),
            )
        outcome.status = FileStatus.QUARANTINED
        outcome.feedback_path = feedback

    return _guarded(landing_file, landing_file.identity(), landing_file.size, work)


def _load(conn, landing_file: LandingFile, data: bytes, submission_id: int, evaluation, outcome: FileOutcome) -> None:
    with conn.transaction():
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
        # audit rows last: their hash chains lock each audit table until commit, so the COPY above
        # does not make parallel loads wait
        register.record_findings(conn, evaluation.findings, submission_id=submission_id)
        register.record_validation_results(conn, submission_id, evaluation.validation_results)
        crash_point("before_commit")
    crash_point("after_commit")
    outcome.status = FileStatus.LOADED


def _quarantine(conn, landing_file: LandingFile, data: bytes, submission_id: int, evaluation, outcome) -> None:
    folder = quarantine_folder(submission_id)
    kept = keep_copy(data, folder, landing_file.file_name)
    feedback = write_feedback(folder, evaluation.findings)
    with conn.transaction():
        register.record_findings(conn, evaluation.findings, submission_id=submission_id)
        register.record_validation_results(conn, submission_id, evaluation.validation_results)
        register.set_status(
            conn,
            submission_id,
            register.SubmissionStatus.QUARANTINED,
            archive_path=kept,
            feedback_path=feedback,
            status_reason=evaluation.reason,
            **evaluation.register_fields(),
        )
    outcome.status = FileStatus.QUARANTINED
    outcome.feedback_path = feedback


def discover_pending() -> list[dict]:
    """Bootstrap the warehouse, then list the landing files as dicts (the DAG maps over them)."""
    bootstrap()
    return [f.to_dict() for f in discover(settings().landing)]


def begin_ingest_pass(trigger: str) -> dict:
    """Bootstrap, list the pending landing files and open the pass: ``{"run_id", "files"}`` (the DAG maps over files)."""
    files = discover_pending()
    return {"run_id": begin_pass(trigger, len(files)), "files": files}


def process_each(files: list[dict], progress=sys.stderr) -> list[FileOutcome]:
    """Every file in order; one file's unexpected failure is its own outcome, never the others'."""
    outcomes = []
    for number, entry in enumerate(files, 1):
        if progress:
            print(
                f"[{number}/{len(files)}] {entry['department_code']}/{entry['submission_type']}/{entry['file_name']}",
                file=progress,
                flush=True,
            )
        try:
            outcomes.append(FileOutcome(**process_landing_file(entry)))
        except WarehouseUnavailable:
            raise
        except Exception as exc:  # the last guard: this file failed, the others still go
            finding = internal_error("register", exc)
            outcomes.append(
                FileOutcome(
                    _storable(entry["file_name"]),
                    _storable(entry["department_code"]),
                    _storable(entry["submission_type"]),
                    FileStatus.FAILED,
                    reason=f"{finding.message_zh} | {finding.message_en}",
                )
            )
    return outcomes


def ingest_pass(trigger: str = "cli", progress=sys.stderr) -> tuple[list[FileOutcome], PassSummary]:
    """Process every file in the landing zone, oldest first, as one pass (jobs.ingest_pass)."""
    begun = begin_ingest_pass(trigger)
    outcomes = process_each(begun["files"], progress)
    return outcomes, finish_pass(begun["run_id"], trigger, outcomes)


def ingest_landing(trigger: str = "cli", progress=sys.stderr) -> list[FileOutcome]:
    """The outcomes of ``ingest_pass``."""
    return ingest_pass(trigger, progress)[0]
