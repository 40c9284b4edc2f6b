"""The real Airflow services on this machine: `swdw airflow up|down|status` and `make airflow` (docs/design.md §8).

``up`` starts the api-server (UI, default 127.0.0.1:8080), scheduler, dag-processor and
triggerer in the background with LocalExecutor, and returns once every one of them answers
(the api-server's health endpoint reports the other three by their heartbeats). ``down``
stops exactly what ``up`` started: each service runs in its own process group, recorded in a
pid file together with the process's start time, so a pid reused by another program is never
signalled. ``status`` says what runs and where.

Their environment is ingest.airflow.local_runner.airflow_env() (the connection
swdw_warehouse, the offline switches, logs under $SWDW_HOME/airflow/logs, and whatever else
it applies) with two differences from `airflow dags test`:
- the metadata lives in its own database ``airflow_meta`` on the warehouse's PostgreSQL
  server (the embedded one unless SWDW_WAREHOUSE_DSN is set), not in SQLite: the scheduler,
  triggerer and executor work concurrently, which SQLite cannot carry; `make demo` keeps its
  SQLite file, so both can be used side by side;
- the api-server's login (simple auth manager, user ``admin``) has a password generated once
  into $SWDW_HOME/airflow/simple_auth_manager_passwords.json (0600), printed by ``up``.

The ports the services open besides the UI (the log servers of the scheduler and triggerer)
are picked free at ``up``, so several checkouts can run side by side on one machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from ingest.airflow.local_runner import _bin, _locked, airflow_env
from ingest.config import REPO_ROOT
from ingest.ports import free_port

SERVICES = ("scheduler", "dag-processor", "triggerer", "api-server")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
META_DATABASE = "airflow_meta"
ADMIN_USER = "admin"
UP_TIMEOUT_SECONDS = 240


@dataclass(frozen=True)
class Service:
    name: str
    pid: int
    started: str  # the process's start time (/proc/<pid>/stat field 22): pid reuse is told apart
    running: bool


def _home(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW_HOME"])


def _run_dir(env: dict[str, str]) -> Path:
    return _home(env) / "run"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        # as the api-server binds: a port left in TIME_WAIT by the last `down` is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _secret(path: Path) -> str:
    """A random secret kept in a 0600 file, made on first use (JWT signing, the UI's session key)."""
    if not path.exists() or len(path.read_text().strip()) < 64:  # HS512 wants 64 bytes at least
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def _meta_dsn(warehouse_uri: str, scheme: str = "postgresql") -> str:
    """The metadata database on the warehouse's server, as SQLAlchemy wants it (psycopg2 unless told)."""
    url = urlparse(warehouse_uri)
    return urlunparse(url._replace(scheme=scheme, path=f"/{META_DATABASE}"))


def _ensure_meta_database(warehouse_uri: str) -> bool:
    """Create the metadata database when the server lacks it; True when it was created."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(warehouse_uri, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (META_DATABASE,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(META_DATABASE)))
        return not exists


def services_env(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, base_env: dict | None = None) -> dict[str, str]:
    """local_runner.airflow_env() made fit for the long-running services (see the module docstring)."""
    env = airflow_env(base_env, warehouse=True)
    home = _home(env)
    warehouse_uri = env["AIRFLOW_CONN_SWDW_WAREHOUSE"]
    base_url = f"http://{host}:{port}"
    env.update(
        {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _meta_dsn(warehouse_uri),
            # the async engine through psycopg 3 (installed) rather than the derived asyncpg (not)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _meta_dsn(warehouse_uri, "postgresql+psycopg"),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # 2 cores shared: a few task processes at a time are plenty (sensors defer to the triggerer)
            "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM", "6"),
            "AIRFLOW__API__HOST": host,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": _secret(home / "run" / "api_secret_key"),
            "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home / "run" / "jwt_secret"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            # a task's first call may meet an api-server busy on 2 shared cores: wait, do not fail the try
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file(env)),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            # a new DAG file is seen within 30 s; the files are re-parsed at most every 30 s
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # task processes are forked from the scheduler: no BLAS thread pools across the fork
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    )
    return env


def passwords_file(env: dict[str, str]) -> Path:
    return _home(env) / "simple_auth_manager_passwords.json"


def _ensure_login(env: dict[str, str]) -> str:
    """The admin password, generated once; the api-server reads it from this file."""
    path = passwords_file(env)
    passwords = json.loads(path.read_text()) if path.exists() else {}
    if ADMIN_USER not in passwords:
        passwords[ADMIN_USER] = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n")
    path.chmod(0o600)
    return passwords[ADMIN_USER]


def migrate_meta(env: dict[str, str]) -> None:
    """Create or upgrade the metadata database (the slow migration runs once per Airflow version)."""
    home = _home(env)
    # not named .migrated-*: local_runner.ensure_airflow_db clears those for its SQLite file
    stamp = home / f".{META_DATABASE}-migrated-{metadata.version('apache-airflow-core')}"
    with _locked(home / ".migrate.lock"):
        created = _ensure_meta_database(env["AIRFLOW_CONN_SWDW_WAREHOUSE"])
        # a new database needs the migration whatever the stamp says (a restored warehouse
        # server, or a new SWDW_WAREHOUSE_DSN, under an Airflow home that migrated another one)
        if stamp.exists() and not created:
            return
        result = subprocess.run(
            [_bin("airflow"), "db", "migrate"], env=env, cwd=REPO_ROOT, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        stamp.touch()


def _pid_file(env: dict[str, str], name: str) -> Path:
    return _run_dir(env) / f"{name}.pid"


def _recorded(env: dict[str, str], name: str) -> Service | None:
    path = _pid_file(env, name)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid, started = int(record["pid"]), str(record["started"])
    return Service(name, pid, started, _start_time(pid) == started and process_running(pid))


def services(env: dict[str, str] | None = None) -> list[Service]:
    """What `up` started and recorded, running or not."""
    env = airflow_env() if env is None else env
    return [s for s in (_recorded(env, name) for name in SERVICES) if s is not None]


def _endpoint(env: dict[str, str]) -> str | None:
    path = _run_dir(env) / "endpoint"
    return path.read_text().strip() if path.exists() else None


def health(base_url: str, timeout: float = 3.0) -> dict | None:
    """The api-server's health report, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/api/v2/monitor/health", timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _execution_api_answers(base_url: str, timeout: float = 30.0) -> bool:
    """The task-facing API (a separate app in the api-server, loaded on first use) answers."""
    try:
        with urllib.request.urlopen(f"{base_url}/execution/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _all_healthy(report: dict | None) -> bool:
    if not report:
        return False
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((report.get(part) or {}).get("status") == "healthy" for part in parts)


def up(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = UP_TIMEOUT_SECONDS) -> dict:
    """Start the four services (unless already running) and wait until every one answers."""
    env = services_env(host, port)
    running = [s for s in services(env) if s.running]
    if len(running) == len(SERVICES):
        base_url = _endpoint(env) or f"http://{host}:{port}"
        return {"base_url": base_url, "user": ADMIN_USER, "password": _ensure_login(env), "started": []}
    if running:  # half up (one crashed): start clean
        down(env)
    if not _port_is_free(host, port):
        raise RuntimeError(f"{host}:{port} is in use: choose another port (swdw airflow up --port N)")
    migrate_meta(env)
    password = _ensure_login(env)
    logs = Path(env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])
    logs.mkdir(parents=True, exist_ok=True)
    run_dir = _run_dir(env)
    run_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{host}:{port}"
    (run_dir / "endpoint").write_text(base_url + "\n")
    for name in SERVICES:
        command = [_bin("airflow"), name]
        if name == "scheduler":  # forks the task processes: warm (ingest.airflow.warm_scheduler)
            command = [_bin("python"), "-m", "ingest.airflow.warm_scheduler"]
        if name == "api-server":
            command += ["--host", host, "--port", str(port)]
        with open(logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: down() stops it and every child
            )
        started = None
        for _ in range(50):  # /proc entry appears at once; loop only guards a slow fork
            started = _start_time(process.pid)
            if started:
                break
            time.sleep(0.01)
        _pid_file(env, name).write_text(json.dumps({"pid": process.pid, "started": started}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _all_healthy(health(base_url)) and _execution_api_answers(base_url):
            return {"base_url": base_url, "user": ADMIN_USER, "password": password, "started": list(SERVICES)}
        dead = [s.name for s in services(env) if not s.running]
        if dead:
            down(env)
            raise RuntimeError(f"Airflow service(s) {', '.join(dead)} exited at start; see {logs}/<service>.log")
        time.sleep(1)
    report = health(base_url)
    down(env)
    raise RuntimeError(f"Airflow did not answer within {timeout:.0f} s (health: {report}); see {logs}")


def down(env: dict[str, str] | None = None, grace: float = 15.0) -> list[str]:
    """Stop what `up` started: SIGTERM to each recorded process group, SIGKILL after ``grace``."""
    env = airflow_env() if env is None else env
    stopped = []
    recorded = services(env)
    for service in recorded:
        if service.running:
            try:
                os.killpg(service.pid, signal.SIGTERM)
                stopped.append(service.name)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for service in recorded:
        if service.name not in stopped:
            continue
        # the group, not only its leader: task processes and server workers leave with it
        while time.monotonic() < deadline and _group_alive(service.pid):
            time.sleep(0.2)
        if _group_alive(service.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, signal.SIGKILL)
            # SIGKILL is delivered asynchronously: return only once the group is gone
            killed_by = time.monotonic() + 10.0
            while time.monotonic() < killed_by and _group_alive(service.pid):
                time.sleep(0.1)
    for service in recorded:
        _pid_file(env, service.name).unlink(missing_ok=True)
    return stopped


def _stat_fields(pid: str) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()  # [state, ppid, pgrp, ...]


def process_running(pid: int) -> bool:
    """The process exists and is not a zombie (exited, waiting for its parent to reap it)."""
    fields = _stat_fields(str(pid))
    return fields is not None and fields[0] != "Z"


def _group_alive(pgid: int) -> bool:
    """Some process of the group still runs (zombies do not count; our own are reaped)."""
    with contextlib.suppress(ChildProcessError):  # `up` ran in this process: reap its children
        os.waitpid(pgid, os.WNOHANG)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields and fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False


def status(env: dict[str, str] | None = None) -> dict:
    """Each service with its pid and whether it runs, the UI's address and the health report."""
    env = airflow_env() if env is None else env
    base_url = _endpoint(env)
    return {
        "base_url": base_url,
        "services": {s.name: {"pid": s.pid, "running": s.running} for s in services(env)},
        "health": health(base_url) if base_url else None,
        "logs": env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"],
    }


def print_up(result: dict) -> None:
    print(f"Airflow UI: {result['base_url']}  (login {result['user']} / {result['password']})", flush=True)
    if not result["started"]:
        print("already running", flush=True)


def print_status(report: dict) -> int:
    if not report["services"]:
        print("Airflow services: not started (swdw airflow up)")
        return 1
    for name, service in report["services"].items():
        print(f"{name:<14} pid {service['pid']:<8} {'running' if service['running'] else 'NOT RUNNING'}")
    health_report = report["health"] or {}
    for part in ("metadatabase", "scheduler", "triggerer", "dag_processor"):
        print(f"health {part:<14} {(health_report.get(part) or {}).get('status', 'no answer')}")
    print(f"UI {report['base_url']}; logs {report['logs']}")
    return 0 if _all_healthy(report["health"]) else 1


if __name__ == "__main__":  # python -m ingest.airflow.services up|down|status
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "up":
        print_up(up())
    elif command == "down":
        print("stopped: " + (", ".join(down()) or "nothing"))
    else:
        sys.exit(print_status(status()))
