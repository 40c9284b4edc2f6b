"""What a department hears back once its file's status is final, whoever started the pass.

- loaded: a receipt (file, report period, rows, warnings);
- quarantined: the reasons and the Chinese feedback report (feedback.xlsx) attached;
- a loaded file that superseded earlier ones: a note for each, naming the newer file.

The one pass (``jobs.ingest_pass.finish_pass``) sends them for the CLI, the DAGs and reprocess
alike. They go to the department's registered contact (``ingest.intake.contacts``): the address
that mailed the file in when it came by mail (``audit.mail_message``; the reply then threads under
that message), else the department's first listed contact; copies to its contacts marked
``copy_receipt``. Nothing is sent while the contacts in force are the shipped example (its
addresses belong to no one). A department without a contact hears nothing here (the operators' alerts go out
all the same). The subject is stable and carries the submission id. A delivery failure is retried,
logged and returned in the pass summary, never raised: a reply must not turn a load red.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ingest.artifact_store import readable
from ingest.intake.contacts import Contact, city_contacts_configured, copies_for, department_contacts
from ingest.intake.reference import register_labels
from ingest.jobs.department_replies import reply_subject, send_reply
from ingest.jobs.outcomes import FileOutcome, FileStatus
from ingest.jobs.validation_pages import period_text
from ingest.warehouse import register
from ingest.warehouse.connection import connect
from ingest.warehouse.mail_messages import mailed_in

log = logging.getLogger("swdw.department_receipts")

DELIVERY_ATTEMPTS = 3
WHAT = {
    FileStatus.LOADED: "已入库",
    FileStatus.QUARANTINED: "未通过（已退回）",
    FileStatus.FAILED: "未通过（已退回）",
    "superseded": "已被替代",
}


def _contact(contacts: dict[str, Contact], department_code: str, mailed_by: str | None) -> Contact | None:
    if mailed_by and (sender := contacts.get(mailed_by)) and sender.department_code == department_code:
        return sender
    return next((c for c in contacts.values() if c.department_code == department_code), None)


def _period(row: dict) -> str:
    return period_text(row["report_period"], row["period_start"], row["period_end"]) or "未识别"


def _receipt(outcome: FileOutcome, row: dict) -> str:
    kind = register_labels().get(("submission_type", outcome.submission_type), outcome.submission_type)
    text = (
        f"您单位报送的《{outcome.file_name}》（报送编号 #{outcome.submission_id}，{kind}，报送期 {_period(row)}）"
        f"已入库：{outcome.row_count} 行，{outcome.warning_count} 条警告。"
    )
    if outcome.warning_count:
        text += "警告不影响入库，请核实；明细见校验结果页或向市委社会工作部索取。"
    return text


def _refusal(outcome: FileOutcome, feedback: str | None) -> str:
    text = (
        f"您单位报送的《{outcome.file_name}》（报送编号 #{outcome.submission_id or '—'}）未通过校验，已退回，"
        f"未入库。原因：{outcome.reason or '见反馈报告'}。"
    )
    if feedback:
        text += f"请按附件反馈报告（{feedback.rsplit('/', 1)[-1]}）逐行修改后重新报送。"
    return text


def _supersede_note(old: dict, outcome: FileOutcome) -> str:
    return (
        f"您单位此前报送的《{old['file_name']}》（报送编号 #{old['submission_id']}，报送期 {_period(old)}）"
        f"已被新报送的《{outcome.file_name}》（报送编号 #{outcome.submission_id}）替代，汇总以新文件为准。"
    )


def _messages(conn, outcome: FileOutcome) -> list[tuple[str, str, str, list[Path]]]:
    """(what, about which file, body, attachments) of each reply this outcome calls for."""
    if outcome.status == FileStatus.LOADED:
        [row] = register.register_rows(conn, "submission_id = %s", (outcome.submission_id,))
        replies = [
            (f"{WHAT[FileStatus.LOADED]} #{outcome.submission_id}", outcome.file_name, _receipt(outcome, row), [])
        ]
        for old in register.register_rows(conn, "superseded_by = %s", (outcome.submission_id,)):
            what = f"{WHAT['superseded']} #{old['submission_id']}"
            replies.append((what, old["file_name"], _supersede_note(old, outcome), []))
        return replies
    if outcome.status in (FileStatus.QUARANTINED, FileStatus.FAILED):
        feedback = outcome.feedback_path if readable(outcome.feedback_path) else None
        what = f"{WHAT[outcome.status]} #{outcome.submission_id or '—'}"
        return [(what, outcome.file_name, _refusal(outcome, feedback), [feedback] if feedback else [])]
    return []


def reply_to_departments(outcomes: list[FileOutcome]) -> dict[str, str]:
    """Send each department what its files came to; {"<submission id>": 'sent' | 'not configured' | 'failed: …'}."""
    answered = [o for o in outcomes if o.submission_id and o.status in WHAT]
    if not answered or not city_contacts_configured():
        return {}
    try:
        contacts = department_contacts()
    except (OSError, ValueError) as exc:  # a broken contacts file stops replies, never the pass
        log.error("no replies to departments: the department contacts cannot be read: %s", exc)
        return {str(o.submission_id): f"failed: {exc}" for o in answered}
    results = {}
    with connect() as conn:
        for outcome in answered:
            mailed = mailed_in(conn, outcome.submission_id)
            contact = _contact(contacts, outcome.department_code, mailed[0] if mailed else None)
            if contact is None:
                continue
            statuses = []
            for what, file_name, body, attachments in _messages(conn, outcome):
                statuses.append(
                    send_reply(
                        contact,
                        copies_for(contacts, contact),
                        reply_subject(what, file_name),
                        body,
                        in_reply_to=mailed[1] if mailed else None,
                        attachments=attachments,
                        attempts=DELIVERY_ATTEMPTS,
                    )
                )
            results[str(outcome.submission_id)] = next((s for s in statuses if s != "sent"), "sent")
    return results
