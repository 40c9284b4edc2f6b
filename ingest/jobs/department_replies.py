"""Replies to a department, in Chinese, through the notifier's SMTP connection (``swdw_smtp``).

A reply goes to the department's registered contact (ingest.intake.contacts), never to whatever a
From or Reply-To header names, with a copy to the contacts who asked for one. Its subject is stable,
``【社工数据报送】<what>：<the original subject>``, so a clerk's mail client threads and filters it;
In-Reply-To ties it to the message it answers. A delivery failure is logged and returned, never
raised: a reply must not stop the mailbox from being read.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ingest.artifact_store import read
from ingest.intake.contacts import Contact
from ingest.notify import SMTP_CONN_ID, connection, send_message, sender_address

log = logging.getLogger("swdw.department_replies")

SUBJECT_PREFIX = "【社工数据报送】"
FOOTER = "本邮件由社工数据仓库自动发送。"
RETRY_SECONDS = 2.0  # a short wait before another attempt (a busy relay, a dropped connection)


def reply_subject(what: str, original_subject: str) -> str:
    return f"{SUBJECT_PREFIX}{what}：{original_subject or '（无主题）'}"


def compose(
    to: Contact,
    copies: list[Contact],
    subject: str,
    body: str,
    sender: str,
    in_reply_to: str | None = None,
    attachments: Sequence[str] = (),  # uris of kept files (ingest.artifact_store)
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to.address
    if copies:
        message["Cc"] = ", ".join(c.address for c in copies)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "swdw.local")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-responder answers it back
    greeting = f"{to.contact_name}：您好！" if to.contact_name else "您好！"
    message.set_content(f"{greeting}\n\n{body}\n\n{FOOTER}\n")
    for uri in attachments:
        name = uri.rsplit("/", 1)[-1]
        maintype, _, subtype = (mimetypes.guess_type(name)[0] or "application/octet-stream").partition("/")
        message.add_attachment(read(uri), maintype=maintype, subtype=subtype, filename=name)
    return message


def send_reply(
    to: Contact,
    copies: list[Contact],
    subject: str,
    body: str,
    in_reply_to: str | None = None,
    attachments: Sequence[str] = (),  # uris of kept files (ingest.artifact_store)
    attempts: int = 1,
) -> str:
    """Send a reply, trying up to ``attempts`` times; returns 'sent', 'not configured' or 'failed: <why>'."""
    conn = connection(SMTP_CONN_ID)
    if conn is None:
        log.warning("reply to %s not sent: %s is not configured", to.department_code, SMTP_CONN_ID)
        return "not configured"
    for attempt in range(1, attempts + 1):
        try:
            message = compose(to, copies, subject, body, sender_address(conn), in_reply_to, attachments)
            send_message(conn, message)
            return "sent"
        except Exception as exc:
            log.error(
                "reply to %s (%s) failed, attempt %d of %d: %s", to.department_code, subject, attempt, attempts, exc
            )
            failure = f"failed: {exc}"
            if attempt < attempts:
                time.sleep(RETRY_SECONDS * attempt)
    return failure
