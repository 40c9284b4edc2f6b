"""The limits of the mail intake, on messages built here: what lands, and why the rest is refused."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from ingest.intake.mail_parsing import Landing, Refusal, is_automatic, judge, parse_report
from ingest.intake.reference import departments

XIANGSHAN = departments()["xiangshan"]


def _message(subject: str, attachments: list[tuple[str, bytes]], **extra) -> bytes:
    message = EmailMessage()
    message["From"], message["Subject"] = "王办事员 <Clerk@Xiangshan.example.gov.cn>", subject
    message["Message-ID"] = "<1@example.gov.cn>"
    message.set_content("请查收。")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    if extra.get("logo"):
        message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="logo.png", disposition="inline")
    if extra.get("forwarded"):
        inner = EmailMessage()
        inner["Subject"] = "转发"
        inner.set_content("原邮件")
        message.add_attachment(inner)
    return message.as_bytes()


def _judge(raw: bytes, max_attachments: int = 5):
    return judge(parse_report(raw), XIANGSHAN, max_attachments)


def test_each_attachment_lands_as_the_type_its_name_tells():
    raw = _message("12月报表", [("两个覆盖台账.csv", b"a"), ("服务活动台账.xlsx", b"b")], logo=True)
    report = parse_report(raw)
    assert report.sender == "clerk@xiangshan.example.gov.cn" and report.message_id == "<1@example.gov.cn>"
    verdict = judge(report, XIANGSHAN, 5)
    assert [(v.attachment.name, v.attachment.data, v.submission_type) for v in verdict] == [
        ("两个覆盖台账.csv", b"a", "org_coverage"),
        ("服务活动台账.xlsx", b"b", "service_activity"),
    ]  # the signature's inline logo is no attachment


def test_a_name_that_reaches_out_of_its_folder_is_cut_to_its_last_part():
    [landing] = _judge(_message("两个覆盖台账", [("..\\..\\etc/../.两个覆盖台账.csv", b"a")]))
    assert isinstance(landing, Landing) and landing.attachment.name == "两个覆盖台账.csv"


@pytest.mark.parametrize(
    "attachments, extra, reason, named",
    [
        ([("两个覆盖台账.zip", b"PK")], {}, "nested_archive", "两个覆盖台账.zip"),
        ([("两个覆盖台账.csv", b"a")], {"forwarded": True}, "nested_archive", ".eml"),
        ([], {}, "no_attachment", "附件"),
        ([(f"两个覆盖台账{n}.csv", b"a") for n in range(6)], {}, "too_many_attachments", "6"),
        ([("两个覆盖台账.csv", b"a"), ("两个覆盖台账.pdf", b"b")], {}, "unsupported_type", "两个覆盖台账.pdf"),
        ([("附件1.csv", b"a")], {}, "type_not_told", "附件1.csv"),
    ],
)
def test_a_message_over_a_limit_lands_nothing_and_says_why(attachments, extra, reason, named):
    verdict = _judge(_message("本月报表", attachments, **extra))
    assert isinstance(verdict, Refusal) and verdict.reason == reason
    assert named in verdict.message_zh


def test_a_type_the_department_does_not_submit_is_refused():
    verdict = judge(parse_report(_message("", [("服务活动台账.csv", b"a")])), departments()["city_xfj"], 5)
    assert isinstance(verdict, Refusal) and verdict.reason == "type_not_allowed"
    assert "市信访局" in verdict.message_zh


def test_a_gb2312_encoded_word_in_the_file_name_is_read():
    """Older Chinese mail clients write the name as an RFC 2047 word, where RFC 2231 belongs."""
    word = "=?GB2312?B?" + base64.b64encode("两个覆盖台账.xlsx".encode("gb2312")).decode() + "?="
    raw = (
        "From: clerk@xiangshan.example.gov.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
        f'--B\r\nContent-Type: application/octet-stream; name="{word}"\r\n'
        f'Content-Disposition: attachment; filename="{word}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        "YWJj\r\n--B--\r\n"
    ).encode()
    [landing] = _judge(raw)
    assert (landing.attachment.name, landing.attachment.data, landing.submission_type) == (
        "两个覆盖台账.xlsx",
        b"abc",
        "org_coverage",
    )


@pytest.mark.parametrize(
    "header, value, automatic",
    [
        ("Auto-Submitted", "auto-replied", True),
        ("Auto-Submitted", "no", False),
        ("Precedence", "bulk", True),
        ("X-Autoreply", "yes", True),
        ("Return-Path", "<>", True),
        ("Return-Path", "<clerk@xiangshan.example.gov.cn>", False),
    ],
)
def test_auto_replies_and_bounces_are_told_apart(header, value, automatic):
    message = EmailMessage()
    message[header] = value
    assert is_automatic(message) is automatic
