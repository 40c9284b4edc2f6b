"""The services' supervisor: supervisord (PyPI ``supervisor``) runs every long-running process.

Why supervisord rather than our own pid files: it restarts a service that crashes (a worker
killed by the OOM killer, a scheduler that lost its database for a moment), stops each one as a
process group (task processes and server workers leave with their service), and answers what
runs over XML-RPC on a unix socket, whatever process asks. One supervisord per Airflow home.

``Program`` says what to run; ``start`` writes the configuration and starts supervisord (its
children inherit the environment it is started with, plus each program's own ``environment``);
``processes`` reads their state; ``shutdown`` stops them all, then supervisord itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import signal
import subprocess
import tempfile
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

from ingest.airflow.local_runner import _bin

CONFIG_NAME = "supervisord.conf"
PID_NAME = "supervisord.pid"
START_SECONDS = 20
STOP_WAIT_SECONDS = 15  # SIGTERM, then SIGKILL to the group: a task process mid-write gets this long
RUNNING_STATES = ("STARTING", "RUNNING")
FAILED_STATES = ("FATAL",)  # exited at start more often than startretries allows
_SOCKET_MAX = 100  # a unix socket path is limited to 107 bytes


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    directory: Path
    log: Path
    environment: dict[str, str] = field(default_factory=dict)  # on top of supervisord's own


@dataclass(frozen=True)
class ProcessState:
    name: str
    pid: int  # 0 when not running
    state: str  # supervisord's state name: RUNNING, STARTING, BACKOFF, EXITED, FATAL, STOPPED...
    started: int  # epoch seconds of its last start

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # supervisord expands %(name)s in its configuration values


def socket_path(run_dir: Path) -> Path:
    path = run_dir / "supervisor.sock"
    if len(str(path)) <= _SOCKET_MAX:
        return path
    digest = hashlib.sha1(str(run_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"swdw-supervisor-{digest}.sock"


def _program_section(program: Program) -> str:
    lines = [
        f"[program:{program.name}]",
        f"command={_escape(shlex.join(program.command))}",
        f"directory={_escape(str(program.directory))}",
        "autostart=true",
        "autorestart=true",  # a crashed service comes back
        "startsecs=3",
        "startretries=5",
        "stopasgroup=true",
        "killasgroup=true",
        f"stopwaitsecs={STOP_WAIT_SECONDS}",
        "redirect_stderr=true",
        f"stdout_logfile={_escape(str(program.log))}",
        "stdout_logfile_maxbytes=50MB",
        "stdout_logfile_backups=3",
    ]
    if program.environment:
        pairs = ",".join(f'{key}="{_escape(value)}"' for key, value in program.environment.items())
        lines.append(f"environment={pairs}")
    return "\n".join(lines)


def write_config(run_dir: Path, log_dir: Path, programs: list[Program]) -> Path:
    sock = socket_path(run_dir)
    sections = [
        "[supervisord]",
        "nodaemon=true",  # started detached by start(): its pid is the one in the pid file
        f"pidfile={_escape(str(run_dir / PID_NAME))}",
        f"logfile={_escape(str(log_dir / 'supervisord.log'))}",
        f"childlogdir={_escape(str(log_dir))}",
        "",
        "[unix_http_server]",
        f"file={_escape(str(sock))}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        *(_program_section(program) + "\n" for program in programs),
    ]
    path = run_dir / CONFIG_NAME
    path.write_text("\n".join(sections) + "\n")
    return path


def _proxy(run_dir: Path):
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{socket_path(run_dir)}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def supervisor_pid(run_dir: Path) -> int | None:
    """The pid of this home's supervisord, when it runs."""
    try:
        pid = int((run_dir / PID_NAME).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def processes(run_dir: Path) -> list[ProcessState] | None:
    """The state of every program, or None when supervisord does not answer."""
    if supervisor_pid(run_dir) is None:
        return None
    try:
        infos = _proxy(run_dir).supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error):
        return None
    return [ProcessState(i["name"], int(i["pid"]), i["statename"], int(i["start"])) for i in infos]


def start(run_dir: Path, log_dir: Path, programs: list[Program], env: dict[str, str]) -> int:
    """Write the configuration and start supervisord, which starts every program; its pid."""
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    config = write_config(run_dir, log_dir, programs)
    socket_path(run_dir).unlink(missing_ok=True)
    with open(log_dir / "supervisord.out", "ab") as out:
        process = subprocess.Popen(
            [_bin("supervisord"), "-c", str(config)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the command that started it
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"supervisord exited at start ({process.returncode}); see {log_dir}/supervisord.log")
        if processes(run_dir) is not None:
            return process.pid
        time.sleep(0.2)
    raise RuntimeError(f"supervisord did not answer within {START_SECONDS} s; see {log_dir}/supervisord.log")


def stop_program(run_dir: Path, name: str) -> None:
    _proxy(run_dir).supervisor.stopProcess(name, True)


def start_program(run_dir: Path, name: str) -> None:
    _proxy(run_dir).supervisor.startProcess(name, True)


def shutdown(run_dir: Path, grace: float = 60.0) -> list[str]:
    """Stop every program (each as a group, SIGKILL after STOP_WAIT_SECONDS), then supervisord;
    the names of the programs that were running."""
    pid = supervisor_pid(run_dir)
    states = processes(run_dir) or []
    running = [s.name for s in states if s.running]
    if pid is None:
        return running
    with contextlib.suppress(OSError, xmlrpc.client.Error):
        _proxy(run_dir).supervisor.shutdown()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):  # it did not stop in time: take it and what it ran down by force
        for state in states:
            if state.pid:
                with contextlib.suppress(OSError):
                    os.killpg(state.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    (run_dir / PID_NAME).unlink(missing_ok=True)
    return running


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # started from this process: reap it
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
