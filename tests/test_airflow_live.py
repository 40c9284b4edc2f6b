"""The real Airflow services (`swdw airflow up`): a file dropped into the landing zone reaches the
register and then the marts through the triggerer, the scheduler and the LocalExecutor, with no
`airflow dags test` anywhere; a clerk's mail to the intake mailbox (a real dovecot) is answered in
the clerk's mailbox (a real SMTP server) within a minute, nobody touching a file; `swdw airflow
down` then leaves nothing running.

Slow by nature (the services start, the metadata database is migrated on the embedded
PostgreSQL, a first complete dbt build runs), so there is exactly one such test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from ingest import samples as sample
from ingest.ports import free_port

from .builders import ORG_HEADER, org_row
from .helpers import query, wait_for
from .mail_servers import dovecot_server, smtp_capture

pytestmark = [pytest.mark.services, pytest.mark.slow]

WAIT_SECONDS = 240  # landing -> register, then register -> mart row, each
REPLY_SECONDS = 60  # a clerk's mail -> the reply in the clerk's mailbox (issue: within a minute)
CLERK, DUJI_CLERK = "clerk@xiangshan.example.gov.cn", "clerk@duji.example.gov.cn"


@pytest.fixture()
def live_airflow(clean_warehouse, tmp_path, monkeypatch):
    """`swdw airflow up` on a free port for this test's landing zone, reading a dovecot mailbox and
    replying through an SMTP capture; `down` whatever happens."""
    from ingest.airflow import services

    landing = Path(os.environ["SWDW_LANDING_DIR"])  # clean_warehouse made it
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        f"address,department_code,contact_name,copy_receipt\n{CLERK},xiangshan,王办事员,false\n"
        f"{DUJI_CLERK},duji,赵办事员,false\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SWDW_DEPARTMENT_CONTACTS", str(contacts))
    with dovecot_server() as mailbox, smtp_capture() as smtp:
        imap = {"conn_type": "imap", "host": mailbox.host, "port": mailbox.port, "login": mailbox.user}
        imap |= {"password": mailbox.password, "extra": {"use_ssl": False}}
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_IMAP", json.dumps(imap))
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_SMTP", smtp.url)
        try:
            yield {"landing": landing, "mailbox": mailbox, "smtp": smtp, **services.up(port=free_port())}
        finally:
            _down(services)


def _down(services) -> None:
    recorded = services.services()
    services.down()
    left = [s.name for s in recorded if services.process_running(s.pid)]
    assert not left, f"still running after down: {left}"


def test_a_dropped_file_reaches_the_marts_and_a_mailed_report_the_clerks_mailbox(
    live_airflow, clean_warehouse, tmp_path
):
    written = tmp_path / "written"
    sample.write_samples(written)
    source = written / "city_vol" / "service_activity" / "志愿服务活动台账_2024Q3.csv"
    target = live_airflow["landing"] / "city_vol" / "service_activity" / source.name
    target.parent.mkdir(parents=True)
    dropped = time.monotonic()
    shutil.copy2(source, target)

    def registered():
        rows = query(
            clean_warehouse,
            "select submission_id, status, row_count from audit.submission where file_name = %s",
            (source.name,),
        )
        return rows[0] if rows and rows[0][1] in ("loaded", "quarantined") else None

    submission_id, status, row_count = wait_for("the file in the register, loaded", registered, WAIT_SECONDS)
    to_register = time.monotonic() - dropped
    assert status == "loaded" and row_count > 0

    def in_the_marts():
        try:
            stamp = query(
                clean_warehouse,
                "select register_max_submission_id from marts.mart_build_info where mart_name = 'mart_service_counts'",
            )
            activities = query(clean_warehouse, "select coalesce(sum(activities), 0) from marts.mart_service_counts")
        except Exception:  # not built yet: the relations do not exist
            return None
        # built after the file was registered, and holding its activities (the only file loaded)
        return stamp and stamp[0][0] is not None and stamp[0][0] >= submission_id and activities[0][0] > 0

    wait_for("the file's activities in marts.mart_service_counts", in_the_marts, WAIT_SECONDS)
    to_marts = time.monotonic() - dropped
    print(f"landing -> register {to_register:.0f} s, landing -> marts {to_marts:.0f} s")
    # the file left the landing zone; the watcher does not announce it again
    assert not target.exists()
    assert len(query(clean_warehouse, "select 1 from audit.submission")) == 1

    _a_clerks_mail_is_answered_within_a_minute(live_airflow)


def _csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _mail(sender: str, subject: str, name: str, rows) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "intake@example.gov.cn", subject
    message.set_content("请查收本月报表。")
    message.add_attachment(_csv_bytes(rows), maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def _a_clerks_mail_is_answered_within_a_minute(live_airflow) -> None:
    """APPEND to the mailbox -> the mailbox watcher -> swdw_mail_intake lands the attachment -> the
    landing watcher -> swdw_ingest_submissions loads or quarantines it -> the reply, each within 60 s."""
    mailbox, smtp = live_airflow["mailbox"], live_airflow["smtp"]
    bad = org_row(2, district="杜集")
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # a wrong check character
    appended = time.monotonic()
    mailbox.append(_mail(CLERK, "两个覆盖台账 12月", "相山区2024年12月.csv", [ORG_HEADER, org_row(1), org_row(3)]))
    mailbox.append(_mail(DUJI_CLERK, "两个覆盖台账 12月", "杜集区2024年12月.csv", [ORG_HEADER, bad]))

    def replied(address: str, subject_part: str):
        def check():
            for message, rcpt in zip(list(smtp.messages), list(smtp.recipients), strict=True):
                if address in rcpt and subject_part in message["Subject"]:
                    return message, time.monotonic() - appended
            return None

        return check

    receipt, to_receipt = wait_for("the receipt in the clerk's mailbox", replied(CLERK, "已入库"), REPLY_SECONDS, 0.2)
    feedback, to_feedback = wait_for(
        "the feedback in the clerk's mailbox", replied(DUJI_CLERK, "未通过"), REPLY_SECONDS, 0.2
    )
    print(f"mail APPEND -> receipt {to_receipt:.1f} s, -> feedback {to_feedback:.1f} s")
    for reply in (receipt, feedback):  # as the clerks receive them (shown with pytest -s)
        attached = [a.get_filename() for a in reply.iter_attachments()]
        print(f"To: {reply['To']}\nSubject: {reply['Subject']}\nAttached: {attached}")
        print(reply.get_body(("plain",)).get_content())
    assert "相山区2024年12月.csv" in receipt["Subject"] and "已入库：2 行" in receipt.get_body(("plain",)).get_content()
    [attached] = list(feedback.iter_attachments())
    assert attached.get_filename() == "feedback.xlsx"
    assert mailbox.uids("INBOX") == []  # both read and moved to the processed folder, by nobody's hand
