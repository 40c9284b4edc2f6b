"""Helpers the test modules share: paths, a query shortcut, the CLI as a user runs it, a webhook,
waiting for a condition."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MAX_SERVER_SECONDS = 600


def query(dsn: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def run_cli(*args: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """The real `swdw` entry point in a subprocess, as a user runs it."""
    return subprocess.run(
        [str(VENV_BIN / "swdw"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
    )


@contextmanager
def webhook_server(status: int = 200, max_seconds: int = MAX_SERVER_SECONDS):
    """Yields (url, received): every POST body (parsed JSON) is appended to ``received``."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    watchdog = threading.Timer(max_seconds, server.shutdown)  # bounded even if the test hangs
    watchdog.daemon = True
    watchdog.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/swdw", received
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_probe(probe: str, *args: str, env: dict) -> dict:
    """A Python probe run in a subprocess (Airflow's DagBag, say) that prints one JSON line after
    ``@@REPORT@@``; returns that JSON."""
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"probe failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    line = next(row for row in result.stdout.splitlines() if row.startswith("@@REPORT@@"))
    return json.loads(line.removeprefix("@@REPORT@@"))


def table_digest(dsn: str, table: str, leave_out: tuple[str, ...] = ()) -> tuple[int, str]:
    """Row count and an md5 over every row of ``table`` in a fixed order, the ``leave_out`` columns left out."""
    row = "(to_jsonb(t) - array[" + ", ".join(f"'{c}'" for c in leave_out) + "]::text[])::text"
    [(count, md5)] = query(
        dsn, f"select count(*), md5(coalesce(string_agg({row}, '|' order by {row}), '')) from {table} t"
    )
    return count, md5


def wait_for(what: str, check, timeout: float, every: float = 1.0):
    """``check()``'s first truthy value, polled every ``every`` seconds; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@contextmanager
def new_home():
    """An empty SWDW_HOME for a second embedded server (a restore target), stopped and removed afterwards."""
    # not under pytest's temp root, which is 0700: the server user must reach its data folder
    home = Path(tempfile.mkdtemp(prefix="swdw-restore-"))
    env = {"SWDW_HOME": str(home)}
    try:
        yield home, env
    finally:
        run_cli("stop", env=env)
        shutil.rmtree(home, ignore_errors=True)
