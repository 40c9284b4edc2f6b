"""The real Airflow services on this machine: `swdw airflow up|down|status` and `make airflow` (docs/design.md §8).

``up`` starts the api-server (UI, default 127.0.0.1:8080), scheduler, dag-processor and
triggerer in the background, and returns once every one of them answers (the api-server's
health endpoint reports the other three by their heartbeats). The executor is LocalExecutor, or
with ``--executor celery --workers N`` CeleryExecutor: N ``airflow celery worker`` processes,
each in its own working folder, a Redis broker (Debian's redis-server on a free loopback port,
its queue in an append-only file, unless SWDW_REDIS_URL names one) and the result backend in
the metadata database. Everything runs under supervisord (ingest.airflow.supervision), which
restarts a service that crashes; ``down`` stops exactly what ``up`` started, each service as a
process group. ``status`` says what runs and where.

Their environment is ingest.airflow.local_runner.airflow_env() (the connection
swdw_warehouse, the offline switches, logs under $SWDW_HOME/airflow/logs, and whatever else
it applies) with two differences from `airflow dags test`:
- the metadata lives in its own database ``airflow_meta`` on the warehouse's PostgreSQL
  server (the embedded one unless SWDW_WAREHOUSE_DSN is set), not in SQLite: the scheduler,
  triggerer and executor work concurrently, which SQLite cannot carry; `make demo` keeps its
  SQLite file, so both can be used side by side;
- the api-server's login (simple auth manager, user ``admin``) has a password generated once
  into $SWDW_HOME/airflow/simple_auth_manager_passwords.json (0600), printed by ``up``.

The ports the services open besides the UI (the log servers of the scheduler, triggerer and
workers, the broker) are picked free at ``up``, so several checkouts can run side by side.
"""

from __future__ import annotations

import json
import secrets
import shutil
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

from ingest.airflow import supervision
from ingest.airflow.local_runner import _bin, _locked, airflow_env
from ingest.airflow.supervision import Program
from ingest.config import FILES_AT_ONCE_ENV, REPO_ROOT
from ingest.ports import free_port

SERVICES = ("scheduler", "dag-processor", "triggerer", "api-server")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
META_DATABASE = "airflow_meta"
ADMIN_USER = "admin"
UP_TIMEOUT_SECONDS = 300
EXECUTORS = ("local", "celery")
WORKER_CONCURRENCY = 2  # task slots per Celery worker: one per core of a small machine
BROKER = "redis"  # the program name of the broker supervisord runs when SWDW_REDIS_URL is unset
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
SUPERVISOR = "supervisord"


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


QUEUED_TIMEOUT_ENV = "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT"


def executor_settings(env: dict[str, str], executor: str, broker_url: str | None, workers: int = 1) -> dict[str, str]:
    """The executor's part of the services' environment: LocalExecutor, or CeleryExecutor with its
    broker (Redis) and its result backend in the metadata database."""
    if executor == "local":
        return {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        # the ingest DAG keeps every task slot of every worker busy (dag_defaults.files_at_once)
        FILES_AT_ONCE_ENV: str(workers * WORKER_CONCURRENCY),
        "AIRFLOW__CELERY__BROKER_URL": broker_url or "",
        "AIRFLOW__CELERY__RESULT_BACKEND": _meta_dsn(env["AIRFLOW_CONN_SWDW_WAREHOUSE"], "db+postgresql"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # one task taken at a time: a task queued behind a long one on a busy worker waits for nothing
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        # a task whose worker died unacknowledged goes back to the queue after this long (its lease)
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "3600",
        # a task queued while the broker was down (its message lost) is queued again, not stuck:
        # after this long in the queue (a deployment's own value wins), looked for every 30 s
        QUEUED_TIMEOUT_ENV: env.get(QUEUED_TIMEOUT_ENV, "180"),
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "30",
        # a killed worker's running tasks are failed (then retried) once its heartbeats stop
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    }


def _programs(env: dict[str, str], host: str, port: int, workers: int, redis_port: int | None) -> list[Program]:
    """What supervisord runs: the four services, and with Celery the broker and the workers."""
    home, logs = _home(env), Path(env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])
    celery = env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    programs = []
    for name in SERVICES:
        command = [_bin("airflow"), name]
        if name == "scheduler" and not celery:  # forks the task processes: warm (ingest.airflow.warm_start)
            command = [_bin("python"), "-m", "ingest.airflow.warm_start", "scheduler"]
        if name == "api-server":
            command += ["--host", host, "--port", str(port)]
        programs.append(Program(name, command, REPO_ROOT, logs / f"{name}.log"))
    if redis_port is not None:
        data = _run_dir(env) / "redis"
        data.mkdir(parents=True, exist_ok=True)
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(redis_port), "--dir", str(data)]
        # the queue survives a restart of the broker: an append-only file, flushed every second
        command += ["--appendonly", "yes", "--save", "", "--protected-mode", "yes"]
        programs.append(Program(BROKER, command, data, logs / f"{BROKER}.log"))
    for number in range(1, workers + 1 if celery else 1):
        name = f"worker-{number}"
        folder = home / "workers" / name  # its own working folder: nothing passes between workers there
        folder.mkdir(parents=True, exist_ok=True)
        command = [_bin("python"), "-m", "ingest.airflow.warm_start", "celery", "worker"]
        command += ["--celery-hostname", f"{name}@%h", "--concurrency", str(WORKER_CONCURRENCY)]
        command += ["--pid", str(folder / "worker.pid")]  # not the shared $AIRFLOW_HOME/airflow-worker.pid
        environment = {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()), "C_FORCE_ROOT": "1"}
        programs.append(Program(name, command, folder, logs / f"{name}.log", environment))
    return programs


def services(env: dict[str, str] | None = None) -> list[Service]:
    """What `up` started, running or not: supervisord and every program it runs."""
    env = airflow_env() if env is None else env
    run_dir = _run_dir(env)
    pid = supervision.supervisor_pid(run_dir)
    if pid is None:
        return []
    states = supervision.processes(run_dir) or []
    return [
        Service(SUPERVISOR, pid, _start_time(pid) or "", True),
        *(Service(s.name, s.pid, str(s.started), s.running) for s in states),
    ]


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


def up(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout: float = UP_TIMEOUT_SECONDS,
    executor: str = "local",
    workers: int = 1,
) -> dict:
    """Start the services under supervisord (unless all run already) and wait until every one answers.

    ``executor="celery"`` adds ``workers`` Celery workers and, unless SWDW_REDIS_URL names one, a
    Redis broker of its own."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    env = services_env(host, port)
    recorded = services(env)
    if recorded and all(s.running for s in recorded):
        base_url = _endpoint(env) or f"http://{host}:{port}"
        return {"base_url": base_url, "user": ADMIN_USER, "password": _ensure_login(env), "started": []}
    if recorded:  # half up (a service failed for good): start clean
        down(env)
    if not _port_is_free(host, port):
        raise RuntimeError(f"{host}:{port} is in use: choose another port (swdw airflow up --port N)")
    redis_port = None
    broker_url = env.get("SWDW_REDIS_URL")
    if executor == "celery" and not broker_url:
        redis_port = free_port()
        broker_url = f"redis://127.0.0.1:{redis_port}/0"
    env.update(executor_settings(env, executor, broker_url, workers))
    migrate_meta(env)
    password = _ensure_login(env)
    logs = Path(env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])
    run_dir = _run_dir(env)
    run_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{host}:{port}"
    (run_dir / "endpoint").write_text(base_url + "\n")
    programs = _programs(env, host, port, workers, redis_port)
    supervision.start(run_dir, logs, programs, env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _all_healthy(health(base_url)) and _execution_api_answers(base_url) and _workers_up(env):
            return {
                "base_url": base_url,
                "user": ADMIN_USER,
                "password": password,
                "started": [p.name for p in programs],
            }
        failed = [s.name for s in supervision.processes(run_dir) or [] if s.state in supervision.FAILED_STATES]
        if failed:
            down(env)
            raise RuntimeError(
                f"Airflow service(s) {', '.join(failed)} kept exiting at start; see {logs}/<service>.log"
            )
        time.sleep(1)
    report = health(base_url)
    down(env)
    raise RuntimeError(f"Airflow did not answer within {timeout:.0f} s (health: {report}); see {logs}")


def _workers_up(env: dict[str, str]) -> bool:
    """Every Celery worker has been running for a while (none, with LocalExecutor)."""
    states = supervision.processes(_run_dir(env)) or []
    return all(s.state == "RUNNING" for s in states if s.name.startswith("worker-") or s.name == BROKER)


def stop_service(name: str, env: dict[str, str] | None = None) -> None:
    """Stop one program (a worker, the broker) until start_service: for maintenance and fault tests."""
    supervision.stop_program(_run_dir(airflow_env() if env is None else env), name)


def start_service(name: str, env: dict[str, str] | None = None) -> None:
    supervision.start_program(_run_dir(airflow_env() if env is None else env), name)


def down(env: dict[str, str] | None = None, grace: float = 60.0) -> list[str]:
    """Stop what `up` started: every program as a process group, then supervisord."""
    env = airflow_env() if env is None else env
    return supervision.shutdown(_run_dir(env), grace)


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


def status(env: dict[str, str] | None = None) -> dict:
    """Each service with its pid and whether it runs, the UI's address and the health report."""
    env = airflow_env() if env is None else env
    base_url = _endpoint(env)
    return {
        "base_url": base_url,
        "services": {s.name: {"pid": s.pid, "running": s.running} for s in services(env)},
        "executor": _executor_of(env),
        "health": health(base_url) if base_url else None,
        "logs": env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"],
    }


def _executor_of(env: dict[str, str]) -> str:
    states = supervision.processes(_run_dir(env)) or []
    workers = [s for s in states if s.name.startswith("worker-")]
    return f"CeleryExecutor, {len(workers)} worker(s)" if workers else "LocalExecutor"


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
    print(f"executor {report['executor']}; UI {report['base_url']}; logs {report['logs']}")
    return 0 if _all_healthy(report["health"]) else 1


if __name__ == "__main__":  # python -m ingest.airflow.services up|down|status
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "up":
        print_up(up())
    elif command == "down":
        print("stopped: " + (", ".join(down()) or "nothing"))
    else:
        sys.exit(print_status(status()))
