"""One pass, whoever started it: the CLI, the ingest DAG, or a reprocess (CLI or DAG).

Every entry point brackets its files with ``begin_pass`` / ``finish_pass``, so each leaves the
same records and alerts:
- ``audit.pipeline_run``: a row opened with the files seen, closed with the counts per status;
- the operators' alerts (``ingest.notify``): one ``quarantine`` alert listing every file the pass
  quarantined or failed, one ``reprocess_flagged`` alert for loaded files the current rules reject;
- the departments' replies (``jobs.department_receipts``): a receipt, the feedback report, a supersede note;
- the audit tables' chain heads, recorded outside the database beside the validation pages.
Each file's validation page is published when its final status commits (``jobs.pipeline`` and
``jobs.reprocess`` call ``publish_after_status``), not here: a page must not wait for the pass.
What the marts must rebuild after a pass is ``PassSummary.loaded_types`` through
``jobs.transform.incremental_selection``, for every entry point alike.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field

from ingest.intake.pii import key_fingerprint
from ingest.jobs.department_receipts import reply_to_departments
from ingest.jobs.outcomes import ALERTED, FileOutcome, FileStatus, alert_lines, count_outcomes
from ingest.notify import notify
from ingest.warehouse.audit_chain import record_chain_heads
from ingest.warehouse.connection import connect
from ingest.warehouse.pii_keys import check_pii_key
from ingest.warehouse.pipeline_runs import close_run, open_run

log = logging.getLogger(__name__)

ALERT_SUBJECTS = {
    "quarantine": "{n} 份报送被退回 / {n} submission(s) quarantined",
    "reprocess_flagged": "{n} 份已入库报送按现行规则不通过 / {n} loaded submission(s) fail current rules",
}


@dataclass
class PassSummary:
    run_id: int
    trigger: str
    counts: dict[str, int]
    loaded_submission_ids: list[int] = field(default_factory=list)
    loaded_types: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    alerts: dict[str, dict] = field(default_factory=dict)
    # submission id (as text: the summary travels as an XCom's JSON) -> what became of its department's reply
    replies: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def begin_pass(trigger: str, files_seen: int) -> int:
    """Open the pass's row in audit.pipeline_run; returns its run_id.

    Refused (PiiKeyMismatch) before anything loads when the PII key is not the warehouse's."""
    with connect(autocommit=True) as conn:
        check_pii_key(conn, key_fingerprint())
        return open_run(conn, trigger, files_seen)


def finish_pass(run_id: int, trigger: str, outcomes) -> PassSummary:
    """Close the pass: its counts, the operators' alerts, the chain heads."""
    outcomes = [FileOutcome.of(o) for o in outcomes]
    counts = count_outcomes(outcomes)
    with connect(autocommit=True) as conn:
        close_run(
            conn,
            run_id,
            loaded=counts[FileStatus.LOADED],
            quarantined=counts[FileStatus.QUARANTINED],
            duplicates=counts[FileStatus.DUPLICATE],
            failed=counts[FileStatus.FAILED],
        )
    loaded = [o for o in outcomes if o.status == FileStatus.LOADED]
    summary = PassSummary(
        run_id,
        trigger,
        counts,
        loaded_submission_ids=[o.submission_id for o in loaded],
        loaded_types=sorted({o.submission_type for o in loaded}),
        rows_loaded=sum(o.row_count for o in loaded),
    )
    for event, statuses in ALERTED.items():
        lines = alert_lines(outcomes, statuses)
        if lines:
            summary.alerts[event] = notify(
                event,
                ALERT_SUBJECTS[event].format(n=len(lines)),
                lines,
                {"run_id": run_id, "submission_ids": [o.submission_id for o in outcomes if o.status in statuses]},
            )
    try:
        summary.replies = reply_to_departments(outcomes)
    except Exception:  # replies are courtesy: the pass's records and alerts stand without them
        log.exception("replies to departments not sent")
    record_chain_heads(source=trigger)  # the heads outside the database, beside the validation pages
    return summary
