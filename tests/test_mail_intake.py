"""The mailbox intake against real servers on loopback: dovecot holds the mailbox, aiosmtpd takes the replies."""

from __future__ import annotations

import csv
import io
import json
import os
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from ingest.airflow.tasks import poll_mail
from ingest.intake.mail_parsing import parse_report
from ingest.jobs import mail_intake
from ingest.jobs.mail_intake import PROCESSED_FOLDER, poll_mailbox
from ingest.jobs.pipeline import ingest_landing
from ingest.ports import free_port

from .builders import ORG_HEADER, org_row
from .helpers import query, run_cli
from .mail_servers import dovecot_server, smtp_capture

pytestmark = pytest.mark.services

CLERK, HEAD = "clerk@xiangshan.example.gov.cn", "head@xiangshan.example.gov.cn"


@pytest.fixture()
def servers(clean_warehouse, tmp_path, monkeypatch):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "address,department_code,contact_name,copy_receipt\n"
        f"{CLERK},xiangshan,王办事员,false\n{HEAD},xiangshan,李科长,true\n"
        "clerk@duji.example.gov.cn,duji,赵办事员,true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SWDW_DEPARTMENT_CONTACTS", str(contacts))
    with dovecot_server() as imap_server, smtp_capture() as smtp:
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_SMTP", smtp.url)
        yield imap_server, smtp


def _csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _report(sender: str, subject: str, attachments: dict[str, bytes], **headers) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "intake@example.gov.cn", subject
    message["Message-ID"] = make_msgid(domain="xiangshan.example.gov.cn")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("请查收本月报表。")
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def _poll(imap_server):
    with imap_server.client() as imap:
        return poll_mailbox(imap)


def _landed(landing: Path) -> list[str]:
    return sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())


def _recorded(dsn: str) -> list[tuple]:
    return query(dsn, "select sender, department_code, outcome, reason, reply from audit.mail_message order by mail_id")


def test_a_report_from_a_registered_address_lands_under_its_department_and_type(servers, clean_warehouse):
    imap_server, smtp = servers
    data = _csv_bytes([ORG_HEADER, org_row(1), org_row(2)])
    imap_server.append(_report(f"王办事员 <{CLERK}>", "12月报表", {"2024年12月相山区两个覆盖台账.csv": data}))

    result = _poll(imap_server)

    landing = Path(os.environ["SWDW_LANDING_DIR"])
    assert _landed(landing) == ["xiangshan/org_coverage/2024年12月相山区两个覆盖台账.csv"]
    assert (landing / "xiangshan/org_coverage/2024年12月相山区两个覆盖台账.csv").read_bytes() == data
    assert _recorded(clean_warehouse) == [(CLERK, "xiangshan", "landed", None, None)]
    [record] = result.processed
    kept = parse_report(Path(record.eml_path).read_bytes())  # the original, kept for auditors
    assert [(a.name, a.data) for a in kept.attachments] == [("2024年12月相山区两个覆盖台账.csv", data)]
    assert imap_server.uids("INBOX") == [] and len(imap_server.uids(PROCESSED_FOLDER)) == 1
    assert smtp.messages == []  # the receipt comes after the load, not on landing
    # from there the normal pass takes the file in, and the clerk who mailed it gets the receipt
    [outcome] = ingest_landing()
    assert (outcome.status, outcome.department_code, outcome.submission_type) == ("loaded", "xiangshan", "org_coverage")
    [receipt] = smtp.messages
    assert receipt["Subject"] == f"【社工数据报送】已入库 #{outcome.submission_id}：2024年12月相山区两个覆盖台账.csv"
    assert receipt["To"] == CLERK and receipt["Cc"] == HEAD and receipt["In-Reply-To"].strip() == record.message_id
    body = receipt.get_body(("plain",)).get_content()
    assert "报送期 2024-12" in body and "已入库：2 行" in body


def _drop(department: str, name: str, rows) -> None:
    path = Path(os.environ["SWDW_LANDING_DIR"]) / department / "org_coverage" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_csv_bytes(rows))


def _to(smtp, address: str) -> list:
    return [m for m, rcpt in zip(smtp.messages, smtp.recipients, strict=True) if address in rcpt]


def test_a_dropped_file_gets_the_feedback_report_and_a_superseded_one_a_note(servers, clean_warehouse):
    """Files dropped straight into the landing zone: the department's registered contact hears back too."""
    _, smtp = servers
    bad = org_row(2, district="杜集")
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # a wrong check character
    _drop("duji", "杜集区2024年12月.csv", [ORG_HEADER, org_row(1, district="杜集"), bad])
    _drop("xiangshan", "相山区2024年12月.csv", [ORG_HEADER, org_row(3)])
    first = {o.file_name: o for o in ingest_landing()}
    _drop("xiangshan", "相山区2024年12月（更正）.csv", [ORG_HEADER, org_row(3), org_row(4)])
    [corrected] = ingest_landing()

    refused = first["杜集区2024年12月.csv"]
    [feedback] = _to(smtp, "clerk@duji.example.gov.cn")
    assert refused.status == "quarantined"
    assert feedback["Subject"] == f"【社工数据报送】未通过（已退回） #{refused.submission_id}：杜集区2024年12月.csv"
    assert "统一社会信用代码" in feedback.get_body(("plain",)).get_content()
    [attached] = list(feedback.iter_attachments())
    assert attached.get_filename() == "feedback.xlsx"
    assert attached.get_content() == Path(refused.feedback_path).read_bytes()

    older = first["相山区2024年12月.csv"]
    subjects = [m["Subject"] for m in _to(smtp, CLERK)]  # the first listed contact of xiangshan
    assert subjects == [
        f"【社工数据报送】已入库 #{older.submission_id}：相山区2024年12月.csv",
        f"【社工数据报送】已入库 #{corrected.submission_id}：相山区2024年12月（更正）.csv",
        f"【社工数据报送】已被替代 #{older.submission_id}：相山区2024年12月.csv",
    ]
    note = _to(smtp, CLERK)[-1].get_body(("plain",)).get_content()
    assert f"《相山区2024年12月（更正）.csv》（报送编号 #{corrected.submission_id}）替代" in note


def test_nothing_is_sent_to_the_shipped_example_contacts(servers, clean_warehouse, monkeypatch):
    _, smtp = servers
    monkeypatch.delenv("SWDW_DEPARTMENT_CONTACTS")
    _drop("xiangshan", "相山区2024年12月.csv", [ORG_HEADER, org_row(3)])
    [outcome] = ingest_landing()
    assert outcome.status == "loaded" and smtp.messages == []


def test_an_unknown_sender_is_recorded_and_nothing_lands_nor_is_answered(servers, clean_warehouse):
    imap_server, smtp = servers
    genuine = _report(CLERK, "两个覆盖台账", {"两个覆盖台账.csv": _csv_bytes([ORG_HEADER, org_row(1)])})
    # a stranger's message, even one carrying the Message-ID of a department's report still to come
    forged = genuine.replace(f"From: {CLERK}".encode(), b"From: stranger@example.com")
    imap_server.append(forged)

    _poll(imap_server)

    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == []
    assert smtp.messages == []
    assert _recorded(clean_warehouse) == [("stranger@example.com", None, "unknown_sender", None, None)]
    assert imap_server.uids("INBOX") == []  # out of the way, kept for the operator
    imap_server.append(genuine)
    _poll(imap_server)
    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == ["xiangshan/org_coverage/两个覆盖台账.csv"]


def test_an_auto_reply_from_a_registered_address_is_recorded_and_never_answered(servers, clean_warehouse):
    imap_server, smtp = servers
    imap_server.append(_report(CLERK, "自动回复：本月报表", {}, Auto_Submitted="auto-replied"))

    _poll(imap_server)

    assert smtp.messages == []
    assert _recorded(clean_warehouse) == [(CLERK, "xiangshan", "refused", "automatic", None)]


def test_the_same_message_seen_twice_is_processed_once(servers, clean_warehouse, monkeypatch):
    imap_server, smtp = servers
    report = _report(CLERK, "两个覆盖台账", {"2024年12月.csv": _csv_bytes([ORG_HEADER, org_row(1)])})
    imap_server.append(report)
    imap_server.append(report)  # delivered twice: the same Message-ID
    # the first poll stops before moving anything (as if it crashed there): the next one meets the same UIDs
    with monkeypatch.context() as crashed:
        crashed.setattr(mail_intake, "_move", lambda *args: None)
        first = _poll(imap_server)
    second = _poll(imap_server)

    assert (len(first.processed), first.already_seen) == (1, 1)
    assert (len(second.processed), second.already_seen) == (0, 2)
    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == ["xiangshan/org_coverage/2024年12月.csv"]
    assert len(_recorded(clean_warehouse)) == 1
    assert imap_server.uids("INBOX") == [] and len(imap_server.uids(PROCESSED_FOLDER)) == 2


def test_a_type_that_cannot_be_told_is_answered_to_the_registered_contact(servers, clean_warehouse):
    imap_server, smtp = servers
    report = _report(
        f"王办事员 <{CLERK}>",
        "本月报表",
        {"附件1.csv": _csv_bytes([ORG_HEADER, org_row(1)])},
        Reply_To="someone-else@example.com",
    )
    imap_server.append(report)

    _poll(imap_server)

    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == []
    assert _recorded(clean_warehouse) == [(CLERK, "xiangshan", "refused", "type_not_told", "sent")]
    [reply] = smtp.messages
    assert smtp.recipients == [[CLERK, HEAD]]  # the registered contact and the copy, never the Reply-To
    assert reply["Subject"] == "【社工数据报送】未受理：本月报表"
    body = reply.get_content()
    assert "附件1.csv" in body and "报表类型" in body and "两个覆盖" in body
    assert reply["In-Reply-To"]


def test_an_oversize_message_is_answered_and_nothing_lands(servers, clean_warehouse, monkeypatch):
    imap_server, smtp = servers
    monkeypatch.setenv("SWDW_MAIL_MAX_BYTES", "4096")
    rows = [ORG_HEADER, *(org_row(n) for n in range(1, 80))]
    imap_server.append(_report(CLERK, "两个覆盖台账", {"2024年12月.csv": _csv_bytes(rows)}))

    result = _poll(imap_server)

    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == []
    assert _recorded(clean_warehouse) == [(CLERK, "xiangshan", "refused", "too_large", "sent")]
    assert result.processed[0].eml_path is None  # never read whole
    [reply] = smtp.messages
    assert "上限" in reply.get_content()


def test_a_reply_that_cannot_be_delivered_is_recorded_and_the_poll_goes_on(servers, clean_warehouse, monkeypatch):
    imap_server, _ = servers
    monkeypatch.setenv("AIRFLOW_CONN_SWDW_SMTP", f"smtp://127.0.0.1:{free_port()}?to=ops%40example.gov.cn")
    imap_server.append(_report(CLERK, "两个覆盖台账", {"2024年12月.zip": b"PK\x03\x04"}))
    imap_server.append(_report(CLERK, "两个覆盖台账", {"2024年12月.csv": _csv_bytes([ORG_HEADER, org_row(1)])}))

    _poll(imap_server)

    [refused, landed] = _recorded(clean_warehouse)
    assert refused[2:4] == ("refused", "nested_archive") and refused[4].startswith("failed:")
    assert landed[2] == "landed"


def test_swdw_mail_poll_reads_the_swdw_imap_connection_through_airflows_imap_provider(servers, tmp_path):
    imap_server, _ = servers
    imap_server.append(_report(CLERK, "两个覆盖台账", {"2024年12月.csv": _csv_bytes([ORG_HEADER, org_row(1)])}))
    connection = {
        "conn_type": "imap",
        "host": imap_server.host,
        "port": imap_server.port,
        "login": imap_server.user,
        "password": imap_server.password,
        "extra": {"use_ssl": False},
    }
    done = run_cli(
        "mail",
        "poll",
        env={"AIRFLOW_CONN_SWDW_IMAP": json.dumps(connection), "AIRFLOW_HOME": str(tmp_path / "airflow")},
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "mail poll: 1 new message(s): landed 1" in done.stdout
    assert _landed(Path(os.environ["SWDW_LANDING_DIR"])) == ["xiangshan/org_coverage/2024年12月.csv"]


def test_the_dag_task_skips_where_no_mailbox_is_configured(monkeypatch):
    """A city without mail intake: the 5-minute DAG skips quietly instead of failing (and alerting) each run."""
    from airflow.sdk.exceptions import AirflowSkipException

    monkeypatch.setenv("AIRFLOW_CONN_SWDW_IMAP", "")  # how compose passes an unset connection
    with pytest.raises(AirflowSkipException, match="swdw_imap"):
        poll_mail()
