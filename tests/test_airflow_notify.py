"""The notifier: always logs; posts to a webhook / sends mail only when their connections exist.

The webhook is a real HTTP server on 127.0.0.1 (random port) that records what it receives
and stops itself after a bounded time, whatever happens to the test.
"""

from __future__ import annotations

import json
import threading

import pytest

from ingest import notify

from .helpers import webhook_server


@pytest.fixture(autouse=True)
def _no_channels(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SWDW_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_SWDW_SMTP", raising=False)


def test_logs_only_when_nothing_is_configured(caplog, capsys):
    result = notify.notify("quarantine", "1 submission quarantined", ["#7 duji/org_coverage/x.csv: bad"])
    assert result == {
        "event": "quarantine",
        "logged": True,
        "swdw_apprise": "not configured",
        "swdw_webhook": "not configured",
        "swdw_smtp": "not configured",
    }
    assert "#7 duji/org_coverage/x.csv: bad" in caplog.text
    assert "[swdw] 1 submission quarantined" in capsys.readouterr().out


def test_posts_json_to_the_webhook_connection(monkeypatch):
    with webhook_server() as (url, received):
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_WEBHOOK", url.replace("http://", "http://bot:s3cret@"))
        result = notify.notify(
            "lateness", "2 report(s) overdue", ["duji suggestion: missing", "相山 缺报"], {"period_month": "2024-12-01"}
        )
    assert result["swdw_webhook"] == "sent"
    assert len(received) == 1
    body = received[0]["json"]
    assert received[0]["path"] == "/hooks/swdw"
    assert received[0]["headers"]["Authorization"].startswith("Basic ")
    assert body["event"] == "lateness" and body["source"] == "swdw"
    assert body["lines"] == ["duji suggestion: missing", "相山 缺报"]
    assert body["details"] == {"period_month": "2024-12-01"}
    assert body["text"].startswith("[swdw] 2 report(s) overdue")


def test_apprise_urls_from_the_variable_and_the_connection_each_get_the_alert(monkeypatch):
    """One URL list for the chat tools (DingTalk, WeCom, Feishu…): here two JSON endpoints on loopback,
    one from SWDW_ALERT_URLS, one from the swdw_apprise connection in the Apprise provider's form."""
    with webhook_server() as (first, received_first), webhook_server() as (second, received_second):
        monkeypatch.setenv("SWDW_ALERT_URLS", first.replace("http://", "json://"))
        connection = {"conn_type": "apprise", "extra": {"config": {"path": second.replace("http://", "json://")}}}
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_APPRISE", json.dumps(connection))
        result = notify.notify("quarantine", "1 份报送被退回", ["#7 duji/org_coverage/x.csv: 校验位错误"])
    assert result["swdw_apprise"] == "sent"
    for received in (received_first, received_second):
        [delivered] = received
        assert delivered["json"]["title"] == "[swdw] 1 份报送被退回"
        assert "#7 duji/org_coverage/x.csv: 校验位错误" in delivered["json"]["message"]


def test_an_apprise_url_that_cannot_deliver_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("SWDW_ALERT_URLS", "json://127.0.0.1:1/hook")  # nothing listens on port 1
    assert notify.notify("task_failed", "x failed")["swdw_apprise"].startswith("failed")
    monkeypatch.setenv("SWDW_ALERT_URLS", "nosuchservice://x")
    assert "not Apprise URLs" in notify.notify("task_failed", "x failed")["swdw_apprise"]


def test_delivery_failure_is_reported_not_raised(monkeypatch):
    with webhook_server(status=500) as (url, received):
        monkeypatch.setenv("AIRFLOW_CONN_SWDW_WEBHOOK", url)
        result = notify.notify("task_failed", "x failed")
    assert received and result["swdw_webhook"].startswith("failed")
    # nothing listens on port 1: connection refused, still no exception
    monkeypatch.setenv("AIRFLOW_CONN_SWDW_WEBHOOK", "http://127.0.0.1:1/hook")
    assert notify.notify("task_failed", "x failed")["swdw_webhook"].startswith("failed")


def test_smtp_connection_from_uri_and_json(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SWDW_SMTP",
        "smtp://mailer:p%40ss@mail.example.invalid:587?from=swdw%40example.org&to=a%40x.org,b%40y.org",
    )
    conn = notify.connection("swdw_smtp")
    assert (conn.conn_type, conn.host, conn.port, conn.login, conn.password) == (
        "smtp",
        "mail.example.invalid",
        587,
        "mailer",
        "p@ss",
    )
    assert conn.extra == {"from": "swdw@example.org", "to": "a@x.org,b@y.org"}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SWDW_SMTP",
        json.dumps({"conn_type": "smtp", "host": "mail.example.invalid", "port": 25, "extra": {"to": "ops@x.org"}}),
    )
    assert notify.connection("swdw_smtp").extra == {"to": "ops@x.org"}
    monkeypatch.setenv("AIRFLOW_CONN_SWDW_SMTP", "")
    assert notify.connection("swdw_smtp") is None


def test_smtp_delivery_to_a_local_server(monkeypatch):
    """A minimal SMTP listener on 127.0.0.1 receives the alert (no TLS, no auth)."""
    import socketserver

    messages: list[bytes] = []

    class SMTPHandler(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test ESMTP\r\n")
            data = None
            while line := self.rfile.readline():
                if data is not None:
                    if line in (b".\r\n", b".\n"):
                        messages.append(b"".join(data))
                        data = None
                        self.wfile.write(b"250 queued\r\n")
                    else:
                        data.append(line)
                    continue
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    self.wfile.write(b"250 test\r\n")
                elif command == b"DATA":
                    data = []
                    self.wfile.write(b"354 go\r\n")
                elif command == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        monkeypatch.setenv(
            "AIRFLOW_CONN_SWDW_SMTP", f"smtp://127.0.0.1:{port}?to=ops%40example.org&from=swdw%40example.org"
        )
        result = notify.notify("quarantine", "1 submission quarantined", ["#7 bad file"])
    finally:
        server.shutdown()
        server.server_close()
    assert result["swdw_smtp"] == "sent", result
    assert len(messages) == 1 and b"To: ops@example.org" in messages[0]
