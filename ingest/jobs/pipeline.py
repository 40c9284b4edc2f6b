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
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.config import settings
from ingest.faults import crash_point
from ingest.intake.contracts import all_contracts, get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.landing import LandingFile, discover, landing_fs, read_bytes, sha256_of
from ingest.intake.reference import departments
from ingest.quality.findings import Finding, count
from ingest.warehouse import register


@dataclass
class FileOutcome:
    file_name: str
    department_code: str
    submission_type: str
    status: str  # loaded | quarantined | duplicate | busy
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


@dataclass
class Evaluation:
    """What validation concluded about one file, before anything is written."""

    records: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    validation_results: list[dict] = field(default_factory=list)
    data_docs_url: str | None = None
    report_period: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    @property
    def accepted(self) -> bool:
        return count(self.findings, "error") == 0


def _file_error(rule: str, zh: str, en: str) -> SubmissionError:
    return SubmissionError(rule, zh, en)


def _check_routing(landing_file: LandingFile) -> None:
    """Only known department folders, known types, and types the department may submit."""
    department = departments().get(landing_file.department_code)
    if department is None:
        raise _file_error(
            "unknown_department",
            f"未知的报送单位目录“{landing_file.department_code}”",
            f"unknown department folder {landing_file.department_code!r}",
        )
    if landing_file.submission_type not in all_contracts():
        raise _file_error(
            "unknown_submission_type",
            f"未知的报表类型目录“{landing_file.submission_type}”",
            f"unknown submission type folder {landing_file.submission_type!r}",
        )
    if landing_file.submission_type not in department.submission_types:
        raise _file_error(
            "type_not_allowed",
            f"{department.name}不报送此类报表",
            f"{department.code} does not submit {landing_file.submission_type}",
        )


def _periods(contract, records: list[dict], file_name: str, findings: list[Finding]) -> tuple:
    from ingest.intake.values import period_from_file_name

    values = sorted({r[contract.period_column] for r in records if r.get(contract.period_column)})
    if not values:
        return period_from_file_name(file_name), None, None
    if contract.kind == "snapshot":
        if len(values) > 1:
            findings.append(
                Finding(
                    "mixed_periods",
                    "error",
                    "同一快照文件包含多个统计期",
                    f"one snapshot file holds several periods: {values}",
                )
            )
        return values[-1], values[0], values[-1]
    report_period = period_from_file_name(file_name) or values[-1].replace(day=1)
    return report_period, values[0], values[-1]


def evaluate(landing_file: LandingFile, data: bytes, submission_id: int, received_on: dt.date) -> Evaluation:
    """Parse, normalise and validate; raises SubmissionError for whole-file rejections."""
    from ingest.intake.normalise import parse_grid
    from ingest.intake.readers import read_grid
    from ingest.quality.validation import validate

    config = settings()
    _check_routing(landing_file)
    if len(data) > config.max_file_bytes:
        raise _file_error(
            "file_too_large",
            f"文件过大（{len(data)} 字节，上限 {config.max_file_bytes}）",
            f"file is {len(data)} bytes, above the {config.max_file_bytes} limit",
        )
    contract = get_contract(landing_file.submission_type)
    grid = read_grid(data, landing_file.file_name)
    if len(grid) > config.max_rows:
        raise _file_error(
            "too_many_rows",
            f"行数过多（{len(grid)} 行，上限 {config.max_rows}）",
            f"{len(grid)} rows, above the {config.max_rows} limit",
        )
    parsed = parse_grid(grid, contract, landing_file.file_name)
    evaluation = Evaluation(records=parsed.records, findings=list(parsed.findings))
    if not parsed.records and not any(f.is_error for f in parsed.findings):
        evaluation.findings.append(Finding("empty_file", "error", "文件中没有数据行", "the file holds no data rows"))
    if parsed.records:
        department = departments()[landing_file.department_code]
        outcome = validate(contract, parsed.records, parsed.headers, submission_id, department, received_on)
        evaluation.findings += outcome.findings
        evaluation.validation_results = outcome.results
        evaluation.data_docs_url = outcome.data_docs_url
    evaluation.report_period, evaluation.period_start, evaluation.period_end = _periods(
        contract, parsed.records, landing_file.file_name, evaluation.findings
    )
    return evaluation


def keep_copy(data: bytes, folder: Path, file_name: str) -> Path:
    """The original bytes, readable by the service account alone."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / file_name
    tmp = target.with_name(target.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target


def _remove_from_landing(landing_file: LandingFile) -> None:
    fs, path = landing_fs(landing_file.path)
    if fs.exists(path):
        fs.rm(path)


def reason_of(findings: list[Finding]) -> str | None:
    errors = [f for f in findings if f.is_error]
    if not errors:
        return None
    first = errors[0]
    where = f"第{first.source_row}行 " if first.source_row else ""
    column = f"“{first.header}” " if first.header and first.header not in first.message_zh else ""
    more = f"（另有 {len(errors) - 1} 处错误）" if len(errors) > 1 else ""
    return f"{where}{column}{first.message_zh}{more} | {first.message_en}"


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
            "busy",
            reason="no longer in the landing zone (taken by another run)",
        ).to_dict()
    sha = sha256_of(data)
    department = landing_file.department_code or "(none)"
    kind = landing_file.submission_type or "(none)"
    base = FileOutcome(landing_file.file_name, department, kind, "duplicate")
    with connect(autocommit=True) as conn:
        submission_id, is_new = register.register(
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
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", (4242, submission_id)).fetchone()[0]:
            base.status, base.reason = "busy", "being processed by another run"
            return base.to_dict()
        try:
            status, archive_path = conn.execute(
                "select status, archive_path from audit.submission where submission_id = %s", (submission_id,)
            ).fetchone()
            if status not in register.UNFINISHED:
                # the same bytes are already registered: finish a landing clean-up a crash may have left
                if archive_path and Path(archive_path).exists():
                    _remove_from_landing(landing_file)
                base.reason = f"same bytes as submission {submission_id} ({status})"
                return base.to_dict()
            return _process(conn, landing_file, data, submission_id, base).to_dict()
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", (4242, submission_id))


def _process(conn, landing_file: LandingFile, data: bytes, submission_id: int, outcome: FileOutcome) -> FileOutcome:
    config = settings()
    register.set_status(conn, submission_id, register.STATUS_VALIDATING)
    received_on = conn.execute(
        "select received_at::date from audit.submission where submission_id = %s", (submission_id,)
    ).fetchone()[0]
    try:
        evaluation = evaluate(landing_file, data, submission_id, received_on)
    except SubmissionError as exc:
        evaluation = Evaluation(findings=[Finding(exc.rule, "error", exc.message_zh, exc.message_en)])
    errors, warnings = count(evaluation.findings, "error"), count(evaluation.findings, "warning")
    outcome.row_count = len(evaluation.records)
    outcome.error_count, outcome.warning_count = errors, warnings
    outcome.data_docs_url = evaluation.data_docs_url
    outcome.reason = reason_of(evaluation.findings)
    fields = dict(
        row_count=len(evaluation.records),
        error_count=errors,
        warning_count=warnings,
        report_period=evaluation.report_period,
        period_start=evaluation.period_start,
        period_end=evaluation.period_end,
        data_docs_url=evaluation.data_docs_url,
        status_reason=outcome.reason,
    )
    if evaluation.accepted:
        from ingest.warehouse.loading import copy_records

        contract = get_contract(landing_file.submission_type)
        kept = keep_copy(
            data, config.archive_dir / landing_file.department_code, f"{submission_id}_{landing_file.file_name}"
        )
        with conn.transaction():
            copy_records(conn, contract, submission_id, evaluation.records)
            register.record_findings(conn, submission_id, evaluation.findings)
            register.record_validation_results(conn, submission_id, evaluation.validation_results)
            register.set_status(
                conn,
                submission_id,
                register.STATUS_LOADED,
                archive_path=str(kept),
                loaded_at=dt.datetime.now(dt.UTC),
                **fields,
            )
            if contract.kind == "snapshot":
                outcome.superseded = register.supersede_snapshots(
                    conn, landing_file.department_code, landing_file.submission_type, evaluation.report_period
                )
            crash_point("before_commit")
        crash_point("after_commit")
        outcome.status = "loaded"
    else:
        from ingest.quality.feedback import write_feedback

        folder = config.quarantine_dir / str(submission_id)
        kept = keep_copy(data, folder, landing_file.file_name)
        write_feedback(folder, evaluation.findings)
        with conn.transaction():
            register.record_findings(conn, submission_id, evaluation.findings)
            register.record_validation_results(conn, submission_id, evaluation.validation_results)
            register.set_status(
                conn,
                submission_id,
                register.STATUS_QUARANTINED,
                archive_path=str(kept),
                feedback_path=str(folder / "feedback.xlsx"),
                **fields,
            )
        outcome.status = "quarantined"
        outcome.feedback_path = str(folder / "feedback.xlsx")
    _remove_from_landing(landing_file)
    return outcome


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
    with connect(autocommit=True) as conn:
        conn.execute(
            "update audit.pipeline_run set finished_at = now(), loaded = %s, quarantined = %s, "
            "duplicates = %s where run_id = %s",
            (
                sum(o.status == "loaded" for o in outcomes),
                sum(o.status == "quarantined" for o in outcomes),
                sum(o.status == "duplicate" for o in outcomes),
                run_id,
            ),
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
    totals = {s: sum(o.status == s for o in outcomes) for s in ("loaded", "quarantined", "duplicate", "busy")}
    print("ingest: " + ", ".join(f"{n} {s}" for s, n in totals.items()) + f" ({len(outcomes)} files)")
