"""`swdw bi up|down|status`: Superset on 127.0.0.1, started in the background, stopped by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ingest.bi.reader_login import ensure_reader_login, reader_uri
from ingest.bi.secret_files import read_or_create
from ingest.bi.superset_env import DEFAULT_HOST, BiPaths, bi_paths, bi_port, superset_env
from ingest.warehouse.connection import bootstrap, warehouse_dsn

START_TIMEOUT_SECONDS = 240
# one worker, many threads: a dashboard asks for all its charts at once, and CI has 2 cores
GUNICORN_THREADS = 8


class BiUnavailable(RuntimeError):
    """Superset cannot be started (its environment is missing, or it did not answer)."""


@dataclass(frozen=True)
class BiStatus:
    running: bool
    pid: int | None
    url: str
    answering: bool


def _url(port: int) -> str:
    return f"http://{DEFAULT_HOST}:{port}"


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{_url(port)}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _pid(paths: BiPaths) -> int | None:
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _recorded_port(paths: BiPaths) -> int | None:
    try:
        return int(paths.port_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def status(port: int | None = None) -> BiStatus:
    """The server `up` started: its pid and, unless given, the port `up` recorded."""
    paths = bi_paths()
    port = port or _recorded_port(paths) or bi_port()
    pid = _pid(paths)
    return BiStatus(running=pid is not None, pid=pid, url=_url(port), answering=pid is not None and _answers(port))


def _superset(paths: BiPaths, env: dict[str, str], *args: str) -> None:
    """One Superset command, its output appended to the log (it is long and rarely interesting)."""
    with paths.log_file.open("a") as log:
        log.write(f"\n==> superset {' '.join(args)}\n")
        log.flush()
        result = subprocess.run(
            [str(paths.venv_bin / "superset"), *args], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode:
        raise BiUnavailable(f"`superset {' '.join(args)}` failed (exit {result.returncode}); see {paths.log_file}")


def _superset_version(paths: BiPaths) -> str:
    dist = next((paths.venv_bin.parent / "lib").glob("python3*/site-packages/apache_superset-*.dist-info"), None)
    return dist.name if dist else "unknown"


def init_metadata(paths: BiPaths, announce=print) -> None:
    """Secrets and Superset's own metadata (db upgrade + init, once per Superset version).

    Touches no warehouse, so it may run while the warehouse is being loaded (the tests do).
    """
    if not (paths.venv_bin / "superset").exists():
        raise BiUnavailable(f"Superset's environment is missing: run `make bi-install` ({paths.venv_bin})")
    paths.home.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.home, 0o700)
    read_or_create(paths.secret_key, "SUPERSET_SECRET_KEY", nbytes=42)
    version = _superset_version(paths)
    marker = paths.initialised_marker
    if marker.exists() and marker.read_text() == version:
        return
    announce("Superset: creating its metadata (db upgrade, init; once per version)…")
    env = superset_env(paths)
    _superset(paths, env, "db", "upgrade")
    _superset(paths, env, "init")
    marker.write_text(version)


def prepare(paths: BiPaths, announce=print) -> dict[str, str]:
    """Metadata, the warehouse login, the bundle, roles and users. Returns the server's env."""
    init_metadata(paths, announce)
    admin_password, admin_new = read_or_create(paths.admin_password, "SWDW_BI_ADMIN_PASSWORD")
    if admin_new:
        announce(
            f"Superset admin: user admin, password {admin_password} (printed once; kept in {paths.admin_password})"
        )
    viewer_password, viewer_new = read_or_create(paths.viewer_password, "SWDW_BI_VIEWER_PASSWORD")
    if viewer_new:
        announce(f"Superset viewer: user viewer, password in {paths.viewer_password}")
    reader_password, _ = read_or_create(paths.reader_password, "SWDW_BI_READER_PASSWORD")

    dsn = warehouse_dsn()
    bootstrap()  # swdw_bi exists before the login is made a member of it
    ensure_reader_login(dsn, reader_password)
    env = superset_env(
        paths,
        SWDW_BI_ASSETS=str(paths.assets),
        SWDW_BI_WAREHOUSE_URI=reader_uri(dsn, reader_password),
        SWDW_BI_ADMIN_PASSWORD=admin_password,
        SWDW_BI_VIEWER_PASSWORD=viewer_password,
    )
    # every start: the committed bundle (overwrite), the warehouse URI of today, roles, users
    with paths.log_file.open("a") as log:
        log.write("\n==> bi/provision.py\n")
        log.flush()
        result = subprocess.run(
            [str(paths.venv_bin / "python"), str(paths.assets.parent / "provision.py")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode:
        raise BiUnavailable(f"importing the dashboards failed; see {paths.log_file}")
    # the server itself needs none of these secrets: it reads the stored, encrypted database entry
    for key in ("SWDW_BI_WAREHOUSE_URI", "SWDW_BI_ADMIN_PASSWORD", "SWDW_BI_VIEWER_PASSWORD"):
        env.pop(key)
    return env


def _server_command(paths: BiPaths, port: int) -> list[str]:
    bind = f"{DEFAULT_HOST}:{port}"
    gunicorn = paths.venv_bin / "gunicorn"
    if gunicorn.exists():
        return [
            str(gunicorn),
            "--bind",
            bind,
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            str(GUNICORN_THREADS),
            "--timeout",
            "120",
            # a browser's idle keep-alive connections would hold a graceful stop for 30 s;
            # every request is a read, so 3 s is plenty
            "--graceful-timeout",
            "3",
            "superset.app:create_app()",
        ]
    return [str(paths.venv_bin / "superset"), "run", "--host", DEFAULT_HOST, "--port", str(port), "--with-threads"]


def up(port: int | None = None, announce=print) -> BiStatus:
    """Start Superset unless it runs; return once it answers on /health."""
    port = port or bi_port()
    paths = bi_paths()
    current = status(port)
    if current.running and current.answering:
        announce(f"Superset already running at {current.url} (pid {current.pid})")
        return current
    if current.running:
        down()
    env = prepare(paths, announce)
    with paths.log_file.open("a") as log:
        log.write(f"\n==> server on port {port}\n")
        log.flush()
        process = subprocess.Popen(
            _server_command(paths, port),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: `down` stops it and its workers
        )
    paths.pid_file.write_text(str(process.pid))
    paths.port_file.write_text(str(port))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BiUnavailable(f"Superset exited with {process.returncode}; see {paths.log_file}")
        if _answers(port):
            result = status(port)
            announce(f"Superset at {result.url} (pid {result.pid}); dashboards: {result.url}/dashboard/list/")
            return result
        time.sleep(0.5)
    down()
    raise BiUnavailable(f"Superset did not answer within {START_TIMEOUT_SECONDS}s; see {paths.log_file}")


def down(timeout: float = 20) -> bool:
    """Stop the server `up` started (its process group); False when none ran."""
    paths = bi_paths()
    pid = _pid(paths)
    if pid is None:
        paths.pid_file.unlink(missing_ok=True)
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        _signal_group(pid, signal.SIGKILL)
    paths.pid_file.unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # the leader's pid is its group id (start_new_session)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def log_path() -> Path:
    return bi_paths().log_file
