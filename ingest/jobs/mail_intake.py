"""The mailbox intake: departments mail their reports; each attachment lands where a dropped file would.

``poll_mailbox(imap)`` reads every message in the inbox of a logged-in IMAP client (imaplib, or the
client of Airflow's IMAP hook), whether or not a person has opened it, and for each one:

- recorded once in audit.mail_message (UIDVALIDITY + UID, and Message-ID): a message met again is
  only moved, never landed or answered twice;
- an unknown sender (not in the department contacts) is recorded, without its Message-ID, and
  nothing else: no file, no reply (no backscatter to forged senders);
- a registered sender's message is kept as .eml under ``<archive>/mail/``, then either every
  attachment lands under ``<landing>/<department>/<type>/`` (written hidden, then renamed, so the
  landing watcher never sees half a file), or, over a limit (ingest.intake.mail_parsing), nothing
  lands and the department's registered contact gets a reply saying why (an auto-reply or a bounce
  is recorded, never answered);
- then the message is moved to the ``processed`` folder (created when missing).

The normal ingest pass takes over from the landing zone.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.artifact_store import ARCHIVE_KEY
from ingest.config import city_timezone, settings
from ingest.intake.contacts import Contact, address_key, copies_for, department_contacts
from ingest.intake.landing import landing_fs
from ingest.intake.mail_parsing import (
    Landing,
    MailedReport,
    Refusal,
    is_automatic,
    judge,
    parse_report,
    too_large,
)
from ingest.intake.reference import departments
from ingest.jobs.department_replies import reply_subject, send_reply
from ingest.warehouse.connection import bootstrap, connect
from ingest.warehouse.locks import mailbox_lock
from ingest.warehouse.mail_messages import MailRecord, already_recorded, record_message
from ingest.warehouse.originals import keep_copy

INBOX = "INBOX"
PROCESSED_FOLDER = "processed"
REFUSED_WHAT = "未受理"
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class MailboxError(RuntimeError):
    """The IMAP server refused a command the intake needs."""


@dataclass
class PollResult:
    processed: list[MailRecord] = field(default_factory=list)
    already_seen: int = 0  # met again: only moved

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.processed if r.outcome == outcome)


def _ok(response, what: str):
    typ, data = response
    if typ != "OK":
        raise MailboxError(f"IMAP {what} refused: {data!r}")
    return data


def _fetch(imap, uid: int, items: str) -> list:
    return _ok(imap.uid("FETCH", str(uid), items), f"FETCH {uid}")


def _envelope(imap, uid: int) -> tuple[int, dt.datetime, bytes]:
    """(size in bytes, when the server received it, the header block), without reading the body."""
    data = _fetch(imap, uid, "(RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER])")
    head, header = next((item[0], item[1]) for item in data if isinstance(item, tuple))
    size = int(_SIZE.search(head)[1])
    received = dt.datetime.strptime(_INTERNALDATE.search(head)[1].decode(), "%d-%b-%Y %H:%M:%S %z")
    return size, received, header


def _body(imap, uid: int) -> bytes:
    data = _fetch(imap, uid, "(BODY.PEEK[])")  # PEEK: a person's unread mark stays
    return next(item[1] for item in data if isinstance(item, tuple))


def _can_move(imap) -> bool:
    # asked after login: servers announce more once a user is logged in than imaplib saw on connect
    return b"MOVE" in b" ".join(_ok(imap.capability(), "CAPABILITY")).upper().split()


def _move(imap, uid: int, folder: str, can_move: bool) -> None:
    if can_move:
        _ok(imap.uid("MOVE", str(uid), folder), f"MOVE {uid}")
        return
    _ok(imap.uid("COPY", str(uid), folder), f"COPY {uid}")
    _ok(imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"STORE {uid}")
    _ok(imap.expunge(), "EXPUNGE")


def land_attachment(landing: str, department_code: str, item: Landing) -> str:
    """Write one attachment into the landing zone whole: hidden while written, then renamed; never over another file."""
    name = item.attachment.name
    fs, root = landing_fs(landing)
    if "file" not in fs.protocol:  # an object store puts an object whole
        path = f"{root.rstrip('/')}/{department_code}/{item.submission_type}/{name}"
        fs.pipe_file(path, item.attachment.data)
        return fs.unstrip_protocol(path)
    folder = Path(root) / department_code / item.submission_type
    folder.mkdir(parents=True, exist_ok=True)
    target, stem, suffix, n = folder / name, Path(name).stem, Path(name).suffix, 1
    while target.exists():  # a file of the same name not yet taken in: keep both
        n += 1
        target = folder / f"{stem}（{n}）{suffix}"
    tmp = folder / f".{uuid.uuid4().hex}.part"  # hidden: the landing zone skips dot files
    with open(tmp, "wb") as handle:
        handle.write(item.attachment.data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return str(target)


def _refuse(contact: Contact, contacts: dict, report_subject: str, message_id, received, refusal: Refusal) -> str:
    local = received.astimezone(ZoneInfo(city_timezone()))
    body = (
        f"您于 {local:%Y年%m月%d日 %H:%M} 发送的邮件“{report_subject or '（无主题）'}”未受理，附件均未接收：\n\n"
        f"  {refusal.message_zh}\n\n请修改后重新发送。"
    )
    subject = reply_subject(REFUSED_WHAT, report_subject)
    return send_reply(contact, copies_for(contacts, contact), subject, body, in_reply_to=message_id)


def _process(imap, conn, uidvalidity: int, uid: int, contacts: dict[str, Contact]) -> MailRecord | None:
    config = settings()
    size, received, header = _envelope(imap, uid)
    headers = email.message_from_bytes(header, policy=email.policy.default)
    sender = address_key(str(headers["From"] or ""))
    contact = contacts.get(sender)
    # a stranger's Message-ID is not kept: copying a department's would make its report look seen
    message_id = (str(headers["Message-ID"]).strip() or None) if headers["Message-ID"] and contact else None
    if already_recorded(conn, uidvalidity, uid, message_id):
        return None
    known = dict(uidvalidity=uidvalidity, uid=uid, message_id=message_id, sender=sender, received_at=received)
    if contact is None:
        return MailRecord(**known, department_code=None, outcome="unknown_sender")
    known["department_code"] = contact.department_code
    subject = str(headers["Subject"] or "").strip()
    automatic = is_automatic(headers)
    if size > config.mail_max_bytes:
        refusal = too_large(size, config.mail_max_bytes)
        reply = None if automatic else _refuse(contact, contacts, subject, message_id, received, refusal)
        return MailRecord(**known, outcome="refused", reason=refusal.reason, reply=reply)
    raw = _body(imap, uid)
    eml = keep_copy(raw, f"{ARCHIVE_KEY}/mail", f"{uidvalidity}_{uid}.eml")
    try:
        report: MailedReport = parse_report(raw)
        verdict = judge(report, departments()[contact.department_code], config.mail_max_attachments)
    except Exception as exc:  # one malformed message must not hold up the mailbox behind it
        verdict = Refusal("unreadable", f"邮件无法解析（{type(exc).__name__}）。请重新发送。")
    if automatic and isinstance(verdict, Refusal):
        return MailRecord(**known, outcome="refused", reason="automatic", eml_path=str(eml))
    if isinstance(verdict, Refusal):
        reply = _refuse(contact, contacts, subject, message_id, received, verdict)
        return MailRecord(**known, outcome="refused", reason=verdict.reason, reply=reply, eml_path=str(eml))
    landed = tuple(land_attachment(config.landing, contact.department_code, item) for item in verdict)
    return MailRecord(**known, outcome="landed", landed_files=landed, eml_path=str(eml))


def _ensure_folder(imap, folder: str) -> None:
    imap.create(folder)  # NO when it exists already: fine either way, the move below says if it is missing


def poll_mailbox(imap, *, mailbox: str = INBOX, processed_folder: str = PROCESSED_FOLDER) -> PollResult:
    """Process every message in the mailbox once; returns what became of each (see the module doc)."""
    contacts = department_contacts()  # read each poll: the city's edits apply at once
    bootstrap()
    _ok(imap.select(mailbox), f"SELECT {mailbox}")
    uidvalidity = int(imap.response("UIDVALIDITY")[1][0])
    _ensure_folder(imap, processed_folder)
    uids = [int(u) for u in _ok(imap.uid("SEARCH", None, "ALL"), "SEARCH")[0].split()]
    can_move = _can_move(imap)
    result = PollResult()
    with connect(autocommit=True) as conn, mailbox_lock(conn):
        for uid in uids:
            record = _process(imap, conn, uidvalidity, uid, contacts)
            if record is None:
                result.already_seen += 1
            elif record_message(conn, record) is not None:
                result.processed.append(record)
            _move(imap, uid, processed_folder, can_move)
    return result


def poll_imap_connection(conn_id: str) -> PollResult:
    """Poll the mailbox an Airflow connection names, opened by Airflow's IMAP provider (its extras:
    ``use_ssl``, default true; ``ssl_context``); in a task or from the environment (AIRFLOW_CONN_...)."""
    from airflow.providers.imap.hooks.imap import ImapHook

    with ImapHook(imap_conn_id=conn_id) as hook:
        return poll_mailbox(hook.mail_client)


def print_poll(result: PollResult) -> None:
    for record in result.processed:
        where = record.department_code or "unknown sender"
        detail = ", ".join(record.landed_files) if record.outcome == "landed" else record.reason or ""
        reply = f" (reply {record.reply})" if record.reply else ""
        print(f"{record.outcome:<15} uid {record.uid} {where}: {detail}{reply}")
    counts = ", ".join(f"{o} {result.count(o)}" for o in ("landed", "refused", "unknown_sender"))
    print(f"mail poll: {len(result.processed)} new message(s): {counts}; {result.already_seen} seen before")
