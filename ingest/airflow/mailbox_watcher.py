"""The mailbox watcher: an event trigger that fires when new mail waits in the intake mailbox.

It runs in the Airflow triggerer, as the ``AssetWatcher`` of the Asset ``swdw://mailbox/``
(``mailbox_asset()``, below) on which swdw_mail_intake is scheduled, so a clerk's mail is read
within seconds instead of at the next 5-minute tick, and a receipt reaches the clerk within a
minute.

Each poll asks the server for the inbox's STATUS (MESSAGES, UIDNEXT, UIDVALIDITY): cheap, and it
never opens or marks a message. An event is emitted when the inbox holds messages and its
(UIDVALIDITY, UIDNEXT) differs from the one last announced: a message arrived since. The intake
moves every message it reads to the processed folder, so a full inbox with an unchanged UIDNEXT
is mail already announced (being read now, or kept back by a fault the 5-minute schedule retries).
Announcing twice is harmless: each message is processed once (audit.mail_message records its
UIDVALIDITY and UID and its Message-ID). A poll that fails (server down, no connection configured)
is logged and retried, never raised, because a raised exception would end the watcher.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from airflow.sdk import Asset, AssetWatcher
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ingest.airflow.connection_ids import IMAP_CONN_ID
from ingest.jobs.mail_intake import INBOX
from ingest.notify import connection

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 3.0
MAILBOX_ASSET_URI = "swdw://mailbox/"  # the form Airflow normalises it to
_STATUS_ITEM = re.compile(rb"(MESSAGES|UIDNEXT|UIDVALIDITY) (\d+)")


def inbox_status(conn_id: str, mailbox: str = INBOX) -> dict[str, int] | None:
    """MESSAGES, UIDNEXT and UIDVALIDITY of the mailbox the connection names, through Airflow's
    IMAP provider; None when the connection is not configured."""
    from airflow.providers.imap.hooks.imap import ImapHook

    if connection(conn_id) is None:
        return None
    with ImapHook(imap_conn_id=conn_id) as hook:
        typ, data = hook.mail_client.status(mailbox, "(MESSAGES UIDNEXT UIDVALIDITY)")
    if typ != "OK":
        raise RuntimeError(f"IMAP STATUS {mailbox} refused: {data!r}")
    return {name.decode(): int(value) for name, value in _STATUS_ITEM.findall(b" ".join(data))}


class MailboxTrigger(BaseEventTrigger):
    """Polls the intake mailbox's STATUS and yields one event when new mail has arrived."""

    def __init__(self, conn_id: str = IMAP_CONN_ID, poll_interval: float = DEFAULT_POLL_SECONDS):
        super().__init__()
        self.conn_id = conn_id
        self.poll_interval = float(poll_interval)
        self._announced: tuple[int, int] | None = None  # (UIDVALIDITY, UIDNEXT) last announced
        self._unconfigured_logged = False

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"conn_id": self.conn_id, "poll_interval": self.poll_interval},
        )

    async def run(self):
        while True:
            payload = await asyncio.to_thread(self.poll)
            if payload:
                yield TriggerEvent(payload)
            await asyncio.sleep(self.poll_interval)

    def poll(self) -> dict | None:
        """One look at the inbox: the payload to announce now, or None (never raises)."""
        try:
            status = inbox_status(self.conn_id)
        except Exception as exc:  # a poll that failed is tried again; raising would end the watcher
            log.warning("intake mailbox %s: STATUS failed (%s); trying again", self.conn_id, exc)
            return None
        if status is None:
            if not self._unconfigured_logged:
                log.info("connection %s is not configured: no mailbox to watch", self.conn_id)
                self._unconfigured_logged = True
            return None
        state = (status.get("UIDVALIDITY", 0), status.get("UIDNEXT", 0))
        if not status.get("MESSAGES") or state == self._announced:
            return None
        self._announced = state
        return {"mailbox": INBOX, "messages": status["MESSAGES"], "uidvalidity": state[0], "uidnext": state[1]}


def mailbox_asset() -> Asset:
    """The intake mailbox as an Asset, watched in the triggerer: one asset event when mail arrives.

    swdw_mail_intake is scheduled on it (the module docstring says when it fires and why
    announcing twice is harmless).
    """
    watcher = AssetWatcher(name="swdw_mailbox_messages", trigger=MailboxTrigger())
    return Asset(MAILBOX_ASSET_URI, watchers=[watcher])
