"""audit.mail_message: one row per message read from the intake mailbox, written once it is done."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ingest.warehouse.schema import MAIL_MESSAGE_COLUMNS


@dataclass(frozen=True)
class MailRecord:
    uidvalidity: int
    uid: int
    message_id: str | None
    sender: str
    department_code: str | None
    received_at: dt.datetime
    outcome: str  # landed | refused | unknown_sender
    reason: str | None = None
    landed_files: tuple[str, ...] = ()
    reply: str | None = None  # what became of the reply: sent, not configured, failed: ...
    eml_path: str | None = None


def already_recorded(conn, uidvalidity: int, uid: int, message_id: str | None) -> bool:
    """Whether this message was processed before: its Message-ID, or its place in this mailbox."""
    return (
        conn.execute(
            "select 1 from audit.mail_message where (uidvalidity = %s and uid = %s) or message_id = %s limit 1",
            (uidvalidity, uid, message_id),
        ).fetchone()
        is not None
    )


def record_message(conn, record: MailRecord) -> int | None:
    """Insert the message's row; None when another poll recorded it first (the unique keys decide)."""
    columns = [c for c in MAIL_MESSAGE_COLUMNS if c not in ("mail_id", "recorded_at")]
    values = {**record.__dict__, "landed_files": list(record.landed_files)}
    row = conn.execute(
        f"insert into audit.mail_message ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))}) "
        "on conflict do nothing returning mail_id",
        [values[c] for c in columns],
    ).fetchone()
    return row[0] if row else None


def mailed_in(conn, submission_id: int) -> tuple[str, str | None] | None:
    """(sender, Message-ID) of the message that brought this submission's file, when it came by mail."""
    return conn.execute(
        """select m.sender, m.message_id from audit.mail_message as m
             join audit.submission as s on s.landing_path = any(m.landed_files)
            where s.submission_id = %s
            order by m.mail_id desc limit 1""",
        (submission_id,),
    ).fetchone()
