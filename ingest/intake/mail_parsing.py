"""What a mailed report holds, and whether it may be landed: the limits of the mail intake.

A message is landed whole or not at all. Refused, with the reason told to the department: a
message above the size limit, more attachments than allowed, an attached archive or message (never
unpacked), an attachment that is no report format, no attachment at all, an attachment whose type
neither its name nor the subject tells, or a type the department does not submit.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import PurePosixPath, PureWindowsPath

from ingest.intake.contacts import address_key
from ingest.intake.contracts import all_contracts
from ingest.intake.landing import SUPPORTED_SUFFIXES
from ingest.intake.mail_routing import type_from_keywords
from ingest.intake.reference import Department

NESTED_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".eml", ".msg")
NESTED_TYPES = ("message/rfc822", "application/zip", "application/x-zip-compressed", "application/x-rar-compressed")
FORMATS_ZH = "、".join(s.lstrip(".") for s in SUPPORTED_SUFFIXES)


@dataclass(frozen=True)
class Attachment:
    name: str  # a bare file name: no folders, never hidden
    data: bytes
    content_type: str

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()


@dataclass(frozen=True)
class MailedReport:
    message_id: str | None
    sender: str  # the From address, lower case
    subject: str
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class Refusal:
    reason: str  # a code, recorded in audit.mail_message
    message_zh: str  # what the department is told


@dataclass(frozen=True)
class Landing:
    """An accepted attachment and the submission type it lands as."""

    attachment: Attachment
    submission_type: str


def _decoded(text: str) -> str:
    # some clients put RFC 2047 words in a filename parameter, where the standard does not decode them
    if "=?" in text:
        try:
            return str(make_header(decode_header(text)))
        except Exception:
            return text
    return text


def safe_file_name(name: str) -> str:
    """The last component of a name, whichever separator a client used; never hidden, never empty."""
    bare = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name.strip()
    bare = bare.lstrip(".").strip()
    return bare or "附件"


def _is_attachment(part: EmailMessage) -> bool:
    if part.is_multipart():
        return False
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    # an inline logo in a signature is not a report; a named inline file is
    return part.get_filename() is not None and not (disposition == "inline" and part.get_content_maintype() == "image")


def parse_report(raw: bytes) -> MailedReport:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    attachments = []
    for part in message.walk():
        if part is message:
            continue
        if part.get_content_type() == "message/rfc822":
            name = part.get_filename() or "附件.eml"
            attachments.append(Attachment(safe_file_name(_decoded(name)), b"", "message/rfc822"))
            continue
        if _is_attachment(part):
            name = safe_file_name(_decoded(part.get_filename() or ""))
            attachments.append(Attachment(name, part.get_payload(decode=True) or b"", part.get_content_type()))
    # parts inside an attached message are walked too: they belong to it, which is refused whole
    return MailedReport(
        message_id=(str(message["Message-ID"]).strip() or None) if message["Message-ID"] else None,
        sender=address_key(str(message["From"] or "")),
        subject=str(message["Subject"] or "").strip(),
        attachments=tuple(attachments),
    )


def is_automatic(headers) -> bool:
    """An auto-reply, a bounce or a list mail: never answered, or two robots would write forever (RFC 3834)."""
    auto = str(headers["Auto-Submitted"] or "no").strip().lower()
    precedence = str(headers["Precedence"] or "").strip().lower()
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or headers["X-Autoreply"] is not None
        or headers["X-Autorespond"] is not None
        or str(headers["Return-Path"] or "").strip() == "<>"
    )


def _names(attachments) -> str:
    return "、".join(f"“{a.name}”" for a in attachments)


def too_large(size: int, limit: int) -> Refusal:
    return Refusal(
        "too_large",
        f"邮件大小为 {size / 1024 / 1024:.1f} MB，超过每封 {limit / 1024 / 1024:.0f} MB 的上限。请分多封邮件报送。",
    )


def judge(report: MailedReport, department: Department, max_attachments: int) -> list[Landing] | Refusal:
    """The attachments to land and their types, or why nothing of the message is landed."""
    attachments = report.attachments
    nested = [a for a in attachments if a.suffix in NESTED_SUFFIXES or a.content_type in NESTED_TYPES]
    if nested:
        return Refusal(
            "nested_archive",
            f"附件{_names(nested)}是压缩包或邮件，系统不拆开。请直接附上报表文件（{FORMATS_ZH}）。",
        )
    if not attachments:
        return Refusal("no_attachment", f"邮件没有附件。请将报表文件（{FORMATS_ZH}）作为附件发送。")
    if len(attachments) > max_attachments:
        return Refusal(
            "too_many_attachments",
            f"邮件带有 {len(attachments)} 个附件，超过每封 {max_attachments} 个的上限。请分多封邮件报送。",
        )
    unsupported = [a for a in attachments if a.suffix not in SUPPORTED_SUFFIXES]
    if unsupported:
        return Refusal("unsupported_type", f"附件{_names(unsupported)}不是支持的报表格式（应为 {FORMATS_ZH}）。")
    typed = [(a, type_from_keywords(report.subject, a.name)) for a in attachments]
    untold = [a for a, submission_type in typed if submission_type is None]
    if untold:
        examples = "；".join(
            f"{c.label_zh}：{'、'.join(c.mail_keywords)}"
            for c in all_contracts().values()
            if c.submission_type in department.submission_types
        )
        return Refusal(
            "type_not_told",
            f"无法从邮件主题或附件名判断附件{_names(untold)}是哪类报表。"
            f"请在附件名或邮件主题中写明报表类型，可用的关键词（{examples}）。",
        )
    not_allowed = sorted({t for _, t in typed if t not in department.submission_types})
    if not_allowed:
        labels = "、".join(all_contracts()[t].label_zh for t in not_allowed)
        return Refusal("type_not_allowed", f"{department.name}不报送{labels}。")
    return [Landing(a, t) for a, t in typed]
