"""scripts/system-packages.sh, the first step of `make test`, on simulated machines.

Each machine is a PATH holding only fakes: `id` (root or not), `apt-get` (records its calls and,
on install, puts the package's fake tool on the PATH, or fails), and the tools the probes look
for (chromium, fc-list, docker-compose). Nothing real is installed or probed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-packages.sh"
BASH = shutil.which("bash")
# the fake tool each package provides to the probes
TOOLS = {
    "chromium": ("chromium", "exit 0"),
    "fonts-wqy-zenhei": ("fc-list", "echo '/usr/share/fonts/wqy-zenhei.ttc: WenQuanYi Zen Hei:style=Regular'"),
    "docker-compose": ("docker-compose", "exit 0"),
    "dovecot-imapd": ("dovecot", "exit 0"),
    "redis-server": ("redis-server", "exit 0"),
}
ALL = list(TOOLS)


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


class Machine:
    def __init__(self, root: Path, *, uid: int, present: list[str], apt: str | None):
        self.bin = root / "bin"
        self.bin.mkdir()
        self.apt_log = root / "apt.log"
        for tool in ("grep", "mktemp", "tail", "rm"):  # what the script itself uses
            (self.bin / tool).symlink_to(shutil.which(tool))
        _fake(self.bin, "id", f"echo {uid}")
        for package in present:
            _fake(self.bin, *TOOLS[package])
        if apt == "works":
            installs = "\n".join(
                f'  case " $* " in *" {package} "*) {_install_line(self.bin, *TOOLS[package])} ;; esac'
                for package in TOOLS
            )
            _fake(self.bin, "apt-get", f'echo "$*" >> {self.apt_log}\nif [ "$1" = install ]; then\n{installs}\nfi')
        elif apt == "fails":
            _fake(self.bin, "apt-get", f'echo "$*" >> {self.apt_log}\necho "E: Unable to locate package" >&2\nexit 100')

    def run(self) -> subprocess.CompletedProcess:
        env = {"PATH": str(self.bin), "HOME": os.environ.get("HOME", "/tmp")}
        return subprocess.run([BASH, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)

    def apt_calls(self) -> list[str]:
        return self.apt_log.read_text().splitlines() if self.apt_log.exists() else []


def _install_line(bin_dir: Path, tool: str, body: str) -> str:
    return f"printf '#!/bin/sh\\n%s\\n' \"{body}\" > {bin_dir / tool}; /bin/chmod 755 {bin_dir / tool}"


@pytest.mark.parametrize("missing", [ALL, ["chromium"], ["fonts-wqy-zenhei", "docker-compose"]])
@pytest.mark.parametrize("apt", ["works", None])
def test_without_root_it_names_the_missing_packages_and_the_command_and_fails(tmp_path, missing, apt):
    machine = Machine(tmp_path, uid=1000, present=[p for p in ALL if p not in missing], apt=apt)
    result = machine.run()
    assert result.returncode != 0
    assert machine.apt_calls() == []  # never tries without root
    message = result.stderr
    listed = [line.split()[0] for line in message.splitlines() if line.startswith("  ") and "apt-get" not in line]
    assert listed == missing, message
    if apt:
        assert f"sudo apt-get install -y {' '.join(missing)}" in message
    else:
        assert "apt-get" not in message and "Debian" in message


def test_as_root_it_installs_what_is_missing_once_then_does_nothing(tmp_path):
    machine = Machine(tmp_path, uid=0, present=["fonts-wqy-zenhei"], apt="works")
    first = machine.run()
    assert first.returncode == 0, first.stderr
    calls = machine.apt_calls()
    assert calls[0].startswith("update")
    missing = [p for p in ALL if p != "fonts-wqy-zenhei"]
    assert calls[1].split()[-len(missing) :] == missing and calls[1].startswith("install -y")
    assert len(calls) == 2
    again = machine.run()
    assert again.returncode == 0 and again.stdout == again.stderr == ""
    assert machine.apt_calls() == calls  # present now: no apt-get update, no install


def test_as_root_a_failing_apt_get_stops_the_build_naming_the_packages(tmp_path):
    machine = Machine(tmp_path, uid=0, present=["chromium"], apt="fails")
    result = machine.run()
    assert result.returncode != 0
    assert "Unable to locate package" in result.stderr
    assert "apt-get install -y " + " ".join(p for p in ALL if p != "chromium") in result.stderr


@pytest.mark.parametrize("uid", [0, 1000])
def test_it_does_nothing_when_everything_is_there(tmp_path, uid):
    machine = Machine(tmp_path, uid=uid, present=ALL, apt="works")
    result = machine.run()
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert machine.apt_calls() == []


def test_either_compose_client_satisfies_the_compose_probe(tmp_path):
    machine = Machine(tmp_path, uid=1000, present=[p for p in ALL if p != "docker-compose"], apt=None)
    _fake(machine.bin, "docker", '[ "$1 $2" = "compose version" ]')  # the compose plugin, no docker-compose
    assert machine.run().returncode == 0
