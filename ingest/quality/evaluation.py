"""A file judged: read, normalised and validated into an Evaluation, before anything is written.

Ingest and reprocess both judge a file here, so a file gets the same verdict either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from ingest.collector import full_collections_held
from ingest.config import settings
from ingest.findings import Finding, Severity, count
from ingest.intake.contracts import Contract, get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.landing import LandingFile
from ingest.intake.normalise import on_sheet, parse_grid
from ingest.intake.readers import read_grid
from ingest.intake.records import Records
from ingest.intake.reference import departments
from ingest.intake.routing import check_routing
from ingest.intake.values import period_from_file_name
from ingest.quality.validation import validate

log = logging.getLogger("swdw.ingest")


class Stages:
    """Which stage a file is in (named in internal errors), with a log line per finished stage.

    ``rows`` given on entering a stage are what the finished one produced (rows read, records
    normalised); a stage that ends without a count reports the rows it started with (load).
    """

    def __init__(self, label: str = ""):
        self.label, self.current, self._started, self._rows = label, "register", time.monotonic(), None

    def enter(self, stage: str, rows: int | None = None) -> None:
        elapsed = time.monotonic() - self._started
        shown = rows if rows is not None else self._rows
        log.info("%s: %s done in %.2f s%s", self.label, self.current, elapsed, f" ({shown} rows)" if shown else "")
        self.current, self._started, self._rows = stage, time.monotonic(), rows


@dataclass
class Evaluation:
    """What validation concluded about one file."""

    records: Records = field(default_factory=Records)
    findings: list[Finding] = field(default_factory=list)
    validation_results: list[dict] = field(default_factory=list)
    data_docs_url: str | None = None
    report_period: dt.date | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    @classmethod
    def rejected(cls, exc: SubmissionError) -> Evaluation:
        """A whole-file rejection: one error finding, no records."""
        return cls(findings=[Finding(exc.rule, Severity.ERROR, exc.message_zh, exc.message_en)])

    @property
    def error_count(self) -> int:
        return count(self.findings, Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return count(self.findings, Severity.WARNING)

    @property
    def accepted(self) -> bool:
        return self.error_count == 0

    @property
    def reason(self) -> str | None:
        return reason_of(self.findings)

    def register_fields(self) -> dict:
        """The register columns a verdict fills in, whatever the verdict."""
        return {
            "row_count": len(self.records),
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "report_period": self.report_period,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "data_docs_url": self.data_docs_url,
        }


def reason_of(findings: list[Finding]) -> str | None:
    """The first error in the clerk's terms (row, column, message), then the engineer's."""
    errors = [f for f in findings if f.is_error]
    if not errors:
        return None
    first = errors[0]
    where = f"第{first.source_row}行 " if first.source_row else ""
    column = f"“{first.header}” " if first.header and first.header not in first.message_zh else ""
    more = f"（另有 {len(errors) - 1} 处错误）" if len(errors) > 1 else ""
    return f"{where}{column}{first.message_zh}{more} | {first.message_en}"


def _periods(contract: Contract, records: Records, file_name: str, findings: list[Finding]) -> tuple:
    values = sorted({value for value in records.column(contract.period_column) if value})
    if not values:
        return period_from_file_name(file_name), None, None
    if contract.kind == "snapshot":
        if len(values) > 1:
            findings.append(
                Finding(
                    "mixed_periods",
                    Severity.ERROR,
                    "同一快照文件包含多个统计期",
                    f"one snapshot file holds several periods: {values}",
                )
            )
        return values[-1], values[0], values[-1]
    report_period = period_from_file_name(file_name) or values[-1].replace(day=1)
    return report_period, values[0], values[-1]


def _check_size(data: bytes) -> None:
    limit = settings().max_file_bytes
    if len(data) > limit:
        raise SubmissionError(
            "file_too_large",
            f"文件过大（{len(data)} 字节，上限 {limit}）",
            f"file is {len(data)} bytes, above the {limit} limit",
        )


def evaluate(
    landing_file: LandingFile, data: bytes, submission_id: int, received_on: dt.date, stages: Stages | None = None
) -> Evaluation:
    """Parse, normalise and validate; raises SubmissionError for whole-file rejections."""
    with full_collections_held():  # the file's objects live until it is done: no full GC walks them
        return _evaluate(landing_file, data, submission_id, received_on, stages or Stages(landing_file.file_name))


def _evaluate(
    landing_file: LandingFile, data: bytes, submission_id: int, received_on: dt.date, stages: Stages
) -> Evaluation:
    stages.enter("routing")
    check_routing(landing_file)
    _check_size(data)
    contract = get_contract(landing_file.submission_type)
    stages.enter("read")
    grid = read_grid(data, landing_file.file_name)  # bounded while read: rows, columns, cells
    stages.enter("normalise", len(grid))
    # the cells as read: at the row limit hundreds of MB that validation no longer needs
    parsed = parse_grid(grid, contract, landing_file.file_name, release_rows=True)
    del grid
    stages.enter("validate", len(parsed.records))
    evaluation = Evaluation(records=parsed.records, findings=list(parsed.findings))
    if not parsed.records and not any(f.is_error for f in parsed.findings):
        evaluation.findings.append(
            Finding("empty_file", Severity.ERROR, "文件中没有数据行", "the file holds no data rows")
        )
    if parsed.records:
        department = departments()[landing_file.department_code]
        outcome = validate(contract, parsed.records, parsed.headers, submission_id, department, received_on)
        evaluation.findings += on_sheet(outcome.findings, parsed.sheet)
        evaluation.validation_results = outcome.results
        evaluation.data_docs_url = outcome.data_docs_url
    evaluation.report_period, evaluation.period_start, evaluation.period_end = _periods(
        contract, parsed.records, landing_file.file_name, evaluation.findings
    )
    return evaluation


def evaluate_or_reject(
    landing_file: LandingFile, data: bytes, submission_id: int, received_on: dt.date, stages: Stages | None = None
) -> Evaluation:
    """evaluate(), with a whole-file rejection turned into a one-finding Evaluation."""
    try:
        return evaluate(landing_file, data, submission_id, received_on, stages)
    except SubmissionError as exc:
        return Evaluation.rejected(exc)
