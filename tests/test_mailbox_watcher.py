"""The mailbox watcher (ingest.airflow.mailbox_watcher.MailboxTrigger) against a real dovecot.

New mail fires once; mail already announced does not fire again, not even once the intake has
moved it; a server that is down or a connection that is not configured never ends the watcher;
swdw_mail_intake is scheduled on the watched Asset and on the 5-minute safety net.
"""

from __future__ import annotations

import importlib
import json
from email.message import EmailMessage

import pytest

from ingest.airflow.mailbox_watcher import MAILBOX_ASSET_URI, MailboxTrigger
from ingest.jobs.mail_intake import PROCESSED_FOLDER
from ingest.ports import free_port

from .mail_servers import dovecot_server

pytestmark = pytest.mark.services


def _message(subject: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "clerk@example.gov.cn", "intake@example.gov.cn", subject
    message.set_content("请查收。")
    return message.as_bytes()


def _connection_env(monkeypatch, host: str, port: int, user: str = "u", password: str = "p") -> None:
    connection = {"conn_type": "imap", "host": host, "port": port, "login": user, "password": password}
    monkeypatch.setenv("AIRFLOW_CONN_SWDW_IMAP", json.dumps({**connection, "extra": {"use_ssl": False}}))


@pytest.fixture()
def mailbox(monkeypatch):
    with dovecot_server() as server:
        _connection_env(monkeypatch, server.host, server.port, server.user, server.password)
        yield server


def test_new_mail_fires_once_and_mail_already_announced_never_again(mailbox):
    trigger = MailboxTrigger(poll_interval=0.05)
    assert trigger.poll() is None  # an empty inbox
    mailbox.append(_message("两个覆盖台账"))
    first = trigger.poll()
    assert first["messages"] == 1 and first["mailbox"] == "INBOX"
    assert trigger.poll() is None  # the same mail, not read yet: announced already
    mailbox.append(_message("志愿服务"))
    second = trigger.poll()
    assert second["messages"] == 2 and second["uidnext"] > first["uidnext"]
    # the intake moves what it read to the processed folder: an empty inbox announces nothing
    with mailbox.client() as imap:
        imap.select("INBOX")
        imap.create(PROCESSED_FOLDER)
        imap.copy("1:*", PROCESSED_FOLDER)
        imap.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        imap.expunge()
    assert trigger.poll() is None
    mailbox.append(_message("人民建议"))
    assert trigger.poll()["messages"] == 1


def test_a_restarted_watcher_announces_waiting_mail(mailbox):
    mailbox.append(_message("两个覆盖台账"))
    assert MailboxTrigger().poll()["messages"] == 1
    # the triggerer restarted: its memory is gone, the mail may still wait; announcing it is harmless
    assert MailboxTrigger().poll()["messages"] == 1


def test_a_server_that_is_down_or_no_connection_never_ends_the_watcher(monkeypatch):
    trigger = MailboxTrigger(poll_interval=0.05)
    monkeypatch.setenv("AIRFLOW_CONN_SWDW_IMAP", "")  # how compose passes an unset connection
    assert trigger.poll() is None
    _connection_env(monkeypatch, "127.0.0.1", free_port())  # nothing listens there
    assert trigger.poll() is None
    with dovecot_server() as server:  # the server comes (back): the same watcher announces its mail
        _connection_env(monkeypatch, server.host, server.port, server.user, server.password)
        server.append(_message("两个覆盖台账"))
        assert trigger.poll()["messages"] == 1


def test_the_trigger_round_trips_through_serialize():
    trigger = MailboxTrigger(conn_id="swdw_imap", poll_interval=3)
    classpath, kwargs = trigger.serialize()
    # the triggerer rebuilds the trigger from these two alone, in another process
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert type(rebuilt) is MailboxTrigger
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {"conn_id": "swdw_imap", "poll_interval": 3.0}


def test_the_mail_dag_is_scheduled_on_the_watched_mailbox_and_the_five_minute_net():
    dag = importlib.import_module("dags.swdw_mail_intake").swdw_mail_intake()
    assert dag.timetable.timetable.expression == "*/5 * * * *"  # AssetOrTimeSchedule's cron part
    watched = dag.timetable.asset_condition
    assert watched.uri == MAILBOX_ASSET_URI
    assert [type(w.trigger) for w in watched.watchers] == [MailboxTrigger]
