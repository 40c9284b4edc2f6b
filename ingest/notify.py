"""Alerts: one notifier for task failures, quarantined submissions and late reports.

``notify(event, subject, lines, details)`` always writes the alert to the log (logger
``swdw.notify``, so it is in the Airflow task log), then delivers it through every channel
that is configured as an Airflow connection — from the environment (``AIRFLOW_CONN_*``),
or any secrets backend Airflow is set up with — and skips the others:

``swdw_smtp``     e-mail, e.g.
                  ``AIRFLOW_CONN_SWDW_SMTP='smtp://USER:PASSWORD@mail.example.org:587?from=swdw%40example.org&to=ops%40example.org,audit%40example.org'``
                  extras: ``to`` (required; comma or semicolon separated), ``from`` (default: the
                  login), ``starttls`` (default true on port 587), ``ssl`` (default true on port
                  465), ``timeout`` (seconds, default 15).
``swdw_webhook``  an HTTP POST of a JSON document, e.g.
                  ``AIRFLOW_CONN_SWDW_WEBHOOK='https://hooks.example.org/services/XXX'``; or the JSON
                  form ``{"conn_type": "http", "extra": {"url": "https://...", "headers": {...}}}``.
                  Login/password become basic auth. The body carries ``text`` (subject and lines,
                  what chat tools display) and the structured ``event``, ``subject``, ``lines``,
                  ``details``.
Apprise           every URL of ``SWDW_ALERT_URLS`` (space or comma separated) and of the
                  ``swdw_apprise`` connection (the Apprise provider's form, extra
                  ``{"config": {"path": "<url>"}}``): DingTalk ``dingtalk://``, WeCom
                  ``wecombot://``, Feishu ``feishu://``, mail ``mailto://``, any JSON endpoint
                  ``json://``… one list for the chat tools Chinese offices read.

Nothing secret lives in the repository: the connection values come from the deployment.
Delivery problems are logged and returned, never raised: an alert must not turn a good load
red, nor hide the original error in a failure callback.

This module does not need Airflow: outside a task (the ``swdw`` CLI) the connections
are read straight from ``AIRFLOW_CONN_SWDW_SMTP`` / ``AIRFLOW_CONN_SWDW_WEBHOOK`` (URI or
JSON, Airflow's formats).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import smtplib
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger("swdw.notify")

SMTP_CONN_ID = "swdw_smtp"
WEBHOOK_CONN_ID = "swdw_webhook"
APPRISE_CONN_ID = "swdw_apprise"
WEBHOOK_TIMEOUT = 10.0
SMTP_TIMEOUT = 15.0
MAX_LINES = 200  # a quarantine wave of a thousand files still makes a readable alert


@dataclass
class ConnectionInfo:
    conn_type: str = ""
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    extra: dict = field(default_factory=dict)


def _from_env(conn_id: str) -> ConnectionInfo | None:
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip()
    if not value:
        return None
    if value.startswith("{"):
        data = json.loads(value)
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        return ConnectionInfo(
            conn_type=data.get("conn_type", ""),
            host=data.get("host"),
            port=int(data["port"]) if data.get("port") else None,
            login=data.get("login"),
            password=data.get("password"),
            schema=data.get("schema"),
            extra=dict(extra),
        )
    parts = urlsplit(value)
    extra = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "__extra__" in extra:
        extra = json.loads(extra["__extra__"])
    return ConnectionInfo(
        conn_type=parts.scheme.replace("-", "_"),
        host=unquote(parts.hostname or "") or None,
        port=parts.port,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=unquote(parts.path.lstrip("/")) or None,
        extra=extra,
    )


def _from_airflow(conn_id: str) -> ConnectionInfo | None:
    """Inside an Airflow task: whatever the deployment's secrets backends hold."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.execution_time import task_runner
    except ImportError:
        return None
    if getattr(task_runner, "SUPERVISOR_COMMS", None) is None:
        return None  # not in a task: the environment is all there is
    try:
        conn = Connection.get(conn_id)
    except Exception:  # not defined (AirflowNotFoundException) or unreadable
        return None
    return ConnectionInfo(
        conn_type=conn.conn_type or "",
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        extra=dict(conn.extra_dejson or {}),
    )


def connection(conn_id: str) -> ConnectionInfo | None:
    """The connection's fields, or None when it is not configured (or configured empty)."""
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", None) == "":
        return None  # compose passes unset optional connections as empty strings: off
    try:
        return _from_airflow(conn_id) or _from_env(conn_id)
    except Exception as exc:  # a malformed value is a configuration problem, not a crash
        log.error("connection %s is not readable: %s", conn_id, exc)
        return None


def _text(subject: str, lines: list[str]) -> str:
    shown = lines[:MAX_LINES]
    if len(lines) > MAX_LINES:
        shown.append(f"... and {len(lines) - MAX_LINES} more")
    return "\n".join([subject, *("  " + line for line in shown)])


def _truthy(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def send_webhook(conn: ConnectionInfo, payload: dict) -> None:
    url = conn.extra.get("url")
    if not url:
        scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
        host = conn.host or ""
        if "://" in host:  # HTTP-provider style: the scheme in the host field
            scheme, host = host.split("://", 1)
        port = f":{conn.port}" if conn.port else ""
        path = f"/{conn.schema}" if conn.schema else ""
        query = "&".join(
            f"{k}={v}" for k, v in conn.extra.items() if k not in ("url", "headers", "timeout") and isinstance(v, str)
        )
        url = f"{scheme}://{host}{port}{path}" + (f"?{query}" if query else "")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "swdw-notify"}
    headers.update(conn.extra.get("headers") or {})
    if conn.login:
        token = base64.b64encode(f"{conn.login}:{conn.password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False, default=str).encode(), headers=headers, method="POST"
    )
    timeout = float(conn.extra.get("timeout") or WEBHOOK_TIMEOUT)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status >= 300:
            raise RuntimeError(f"webhook answered HTTP {response.status}")


def sender_address(conn: ConnectionInfo) -> str:
    """The From address of everything swdw mails through the SMTP connection."""
    return conn.extra.get("from") or conn.extra.get("from_email") or conn.login or "swdw@localhost"


def send_message(conn: ConnectionInfo, message: EmailMessage) -> None:
    """Deliver a composed message through the connection's server (port, TLS, login, timeout)."""
    port = conn.port or 25
    use_ssl = _truthy(conn.extra.get("ssl"), port == 465)
    use_starttls = _truthy(conn.extra.get("starttls"), port == 587)
    timeout = float(conn.extra.get("timeout") or SMTP_TIMEOUT)
    client = (smtplib.SMTP_SSL if use_ssl else smtplib.SMTP)(conn.host or "localhost", port, timeout=timeout)
    with client:
        if use_starttls and not use_ssl:
            client.starttls()
        if conn.login:
            client.login(conn.login, conn.password or "")
        client.send_message(message)


def send_email(conn: ConnectionInfo, subject: str, body: str) -> None:
    recipients = [r.strip() for r in str(conn.extra.get("to", "")).replace(";", ",").split(",") if r.strip()]
    if not recipients:
        raise ValueError(f"connection {SMTP_CONN_ID} has no 'to' extra")
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender_address(conn), ", ".join(recipients)
    message.set_content(body)
    send_message(conn, message)


def apprise_urls() -> list[str]:
    """The Apprise URLs alerts go to: ``SWDW_ALERT_URLS`` (space or comma separated), then the
    paths of the ``swdw_apprise`` connection (the Apprise provider's form: extra ``config`` is one
    ``{"path": …}`` or a list of them, each path one URL or a list)."""
    urls = [u for u in re.split(r"[\s,]+", os.environ.get("SWDW_ALERT_URLS", "")) if u]
    conn = connection(APPRISE_CONN_ID)
    config = (conn.extra.get("config") if conn else None) or []
    for entry in config if isinstance(config, list) else [config]:
        path = entry.get("path") if isinstance(entry, dict) else entry
        urls.extend([path] if isinstance(path, str) else list(path or []))
    return urls


def send_apprise(urls: list[str], subject: str, text: str) -> None:
    """One message to every Apprise URL (DingTalk, WeCom, Feishu, mail, JSON…); raises when none took it."""
    import apprise  # loads its plugin registry: only when a URL is configured

    sender = apprise.Apprise()
    refused = [url.split("://", 1)[0] for url in urls if not sender.add(url)]
    if refused:
        raise ValueError(f"not Apprise URLs: {', '.join(refused)}:// …")
    if not sender.notify(title=subject, body=text):
        raise RuntimeError(f"Apprise delivered to none or not all of {len(urls)} URL(s)")


def notify(
    event: str,
    subject: str,
    lines: list[str] | None = None,
    details: dict | None = None,
    *,
    level: int = logging.WARNING,
) -> dict:
    """Log the alert, then send it through every configured channel; returns what happened."""
    lines = [str(line) for line in (lines or [])]
    subject = f"[swdw] {subject}"
    text = _text(subject, lines)
    log.log(level, "%s", text)
    print(f"swdw notify ({event}): {text}", flush=True)  # the task log, whatever the log config
    result = {"event": event, "logged": True}
    payload = {
        "source": "swdw",
        "event": event,
        "subject": subject,
        "text": text,
        "lines": lines,
        "details": details or {},
    }
    channels = (
        (WEBHOOK_CONN_ID, lambda c: send_webhook(c, payload)),
        (SMTP_CONN_ID, lambda c: send_email(c, subject, text)),
    )
    if urls := apprise_urls():
        try:
            send_apprise(urls, subject, text)
            result[APPRISE_CONN_ID] = "sent"
        except Exception as exc:
            log.error("notification via Apprise failed: %s", exc)
            print(f"swdw notify: delivery via Apprise failed: {exc}", flush=True)
            result[APPRISE_CONN_ID] = f"failed: {exc}"
    else:
        result[APPRISE_CONN_ID] = "not configured"
    for conn_id, send in channels:
        conn = connection(conn_id)
        if conn is None:
            result[conn_id] = "not configured"
            continue
        try:
            send(conn)
            result[conn_id] = "sent"
        except Exception as exc:
            log.error("notification via %s failed: %s", conn_id, exc)
            print(f"swdw notify: delivery via {conn_id} failed: {exc}", flush=True)
            result[conn_id] = f"failed: {exc}"
    return result
