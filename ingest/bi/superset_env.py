"""Where Superset lives and the environment its commands run with."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.config import settings

REPO = Path(__file__).resolve().parents[2]
BI_PROJECT = REPO / "bi"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088


@dataclass(frozen=True)
class BiPaths:
    home: Path  # $SWDW_HOME/bi: metadata, secrets, pid, log

    @property
    def venv_bin(self) -> Path:
        return BI_PROJECT / ".venv" / "bin"

    @property
    def assets(self) -> Path:
        return BI_PROJECT / "assets"

    @property
    def secret_key(self) -> Path:
        return self.home / "secret_key"

    @property
    def admin_password(self) -> Path:
        return self.home / "admin_password"

    @property
    def viewer_password(self) -> Path:
        return self.home / "viewer_password"

    @property
    def reader_password(self) -> Path:
        return self.home / "warehouse_reader_password"

    @property
    def pid_file(self) -> Path:
        return self.home / "superset.pid"

    @property
    def port_file(self) -> Path:
        return self.home / "superset.port"

    @property
    def log_file(self) -> Path:
        return self.home / "superset.log"

    @property
    def initialised_marker(self) -> Path:
        return self.home / "metadata_initialised"


def bi_paths() -> BiPaths:
    return BiPaths(home=settings().home / "bi")


def bi_port() -> int:
    return int(os.environ.get("SWDW_BI_PORT", DEFAULT_PORT))


def superset_env(paths: BiPaths, **extra: str) -> dict[str, str]:
    """The subprocess environment: this project's config, no telemetry, nothing fetched."""
    env = {
        key: value
        for key, value in os.environ.items()
        # the main environment's Python settings must not leak into Superset's interpreter
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env.update(
        SUPERSET_CONFIG_PATH=str(BI_PROJECT / "superset_config.py"),
        SWDW_BI_HOME=str(paths.home),
        FLASK_APP="superset.app:create_app()",
        SUPERSET_LOAD_EXAMPLES="no",
        SCARF_ANALYTICS="false",
        DO_NOT_TRACK="1",
        PATH=f"{paths.venv_bin}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env
