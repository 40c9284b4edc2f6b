"""What a pass did with each file: the typed outcomes every entry point reports and records."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum


class FileStatus(StrEnum):
    """What one pass did with one file (a landing file, or a kept original reprocessed)."""

    LOADED = "loaded"
    QUARANTINED = "quarantined"  # rejected by a rule: the clerk gets a feedback report
    FAILED = "failed"  # quarantined after an internal error: an engineer's matter
    DUPLICATE = "duplicate"  # the same bytes are registered already
    BUSY = "busy"  # another run holds the file, or it is not this pass's to finish
    CONFIRMED = "confirmed"  # reprocess: loaded before, passes the current rules again
    FLAGGED = "flagged"  # reprocess: loaded before, fails the current rules (rows stay)


# what the operators hear about at the end of a pass, per alert event
ALERTED = {
    "quarantine": (FileStatus.QUARANTINED, FileStatus.FAILED),
    "reprocess_flagged": (FileStatus.FLAGGED,),
}


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

    @classmethod
    def of(cls, outcome: FileOutcome | dict) -> FileOutcome:
        """An outcome back from its dict (an XCom value between Airflow tasks)."""
        return outcome if isinstance(outcome, cls) else cls(**outcome)

    @property
    def label(self) -> str:
        return f"#{self.submission_id or '-'} {self.department_code}/{self.submission_type}/{self.file_name}"


def count_outcomes(outcomes) -> dict[str, int]:
    """Files per FileStatus (every status present, zeros included); takes FileOutcomes or their dicts."""
    counts = Counter(FileOutcome.of(o).status for o in outcomes)
    return {status.value: counts.get(status, 0) for status in FileStatus}


def alert_lines(outcomes: list[FileOutcome], statuses) -> list[str]:
    """One line per file in these statuses: who, what, why, where the feedback report is."""
    return [
        f"{o.label}: {o.reason or o.status}" + (f" (feedback: {o.feedback_path})" if o.feedback_path else "")
        for o in outcomes
        if o.status in statuses
    ]


def print_outcomes(outcomes: list[FileOutcome]) -> None:
    for o in outcomes:
        detail = f"{o.row_count} rows, {o.error_count} errors, {o.warning_count} warnings"
        if o.superseded:
            detail += f", supersedes {o.superseded} earlier"
        print(f"{o.status:11} {o.label}: {detail}")
        if o.reason:
            print(f"{'':12}reason: {o.reason}")
        if o.feedback_path:
            print(f"{'':12}feedback: {o.feedback_path}")
    counts = count_outcomes(outcomes)
    shown = [f"{n} {s}" for s, n in counts.items() if n or s in (FileStatus.LOADED, FileStatus.QUARANTINED)]
    print("ingest: " + ", ".join(shown) + f" ({len(outcomes)} files)")
