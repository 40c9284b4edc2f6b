"""Runtime configuration from the environment (docs/design.md §3)."""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# who may mail reports for which department: personal data, so read by the ingest only and never a
# dbt seed (seeds are loaded into the warehouse); the city points SWDW_DEPARTMENT_CONTACTS at its own
# `swdw airflow up --executor celery` sets it to workers x task slots; 4 suits LocalExecutor on 2 cores
FILES_AT_ONCE_ENV = "SWDW_FILES_AT_ONCE"
EXAMPLE_DEPARTMENT_CONTACTS = Path(__file__).resolve().parent / "intake" / "department_contacts.example.csv"

# the hash of the project files a dbt build is given (the CLI's and the build DAG's); the build stamp
# of every marts table records it (dbt macro stamp_build_info)
PROJECT_HASH_ENV = "SWDW_DBT_PROJECT_HASH"
# what dbt writes into its project folder (dbt_project/.gitignore): not the project's sources
DBT_GENERATED = {"target", "dbt_packages", "logs"}


def dbt_project_hash(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over the dbt project's files (models, macros, tests, seeds, dbt_project.yml, profiles.yml),
    each path with its bytes: any edit to what a build reads changes it. dbt's own output and hidden
    files (.user.yml, .sqlfluff) are left out."""
    digest = hashlib.sha256()
    for path in sorted(project_dir.rglob("*")):
        relative = path.relative_to(project_dir)
        if not path.is_file() or relative.parts[0] in DBT_GENERATED or any(p.startswith(".") for p in relative.parts):
            continue
        digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: str
    warehouse_dsn: str | None
    max_file_bytes: int
    max_rows: int
    department_contacts: Path
    mail_max_bytes: int
    mail_max_attachments: int
    files_at_once: int  # files of one ingest run processed at once: the task slots there are to fill

    @property
    def artifacts_dir(self) -> Path:
        """Local outputs of a command (audit packs, screenshots); what processes share is in the artifact store."""
        return self.home / "artifacts"

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"


def swdw_home(env=None) -> Path:
    """$SWDW_HOME of ``env`` (this process's environment by default), resolved."""
    return Path((os.environ if env is None else env).get("SWDW_HOME") or "./.swdw").resolve()


def settings() -> Settings:
    return Settings(
        home=swdw_home(),
        landing=os.environ.get("SWDW_LANDING_DIR", "./data/landing"),
        warehouse_dsn=os.environ.get("SWDW_WAREHOUSE_DSN") or None,
        max_file_bytes=int(os.environ.get("SWDW_MAX_FILE_BYTES", 50 * 1024 * 1024)),
        max_rows=int(os.environ.get("SWDW_MAX_ROWS", 500_000)),
        department_contacts=Path(os.environ.get("SWDW_DEPARTMENT_CONTACTS") or EXAMPLE_DEPARTMENT_CONTACTS),
        mail_max_bytes=int(os.environ.get("SWDW_MAIL_MAX_BYTES", 25 * 1024 * 1024)),
        mail_max_attachments=int(os.environ.get("SWDW_MAIL_MAX_ATTACHMENTS", 10)),
        files_at_once=max(1, int(os.environ.get(FILES_AT_ONCE_ENV) or 4)),
    )


def pii_key() -> bytes:
    """The keyed-hash secret: SWDW_PII_KEY, else generated once into $SWDW_HOME/pii.key (0600)."""
    if key := os.environ.get("SWDW_PII_KEY"):
        return key.encode()
    path = settings().home / "pii.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        print(f"warning: SWDW_PII_KEY unset; generated a key into {path}", file=sys.stderr)
    return path.read_text().strip().encode()


@functools.cache
def calendar_settings() -> tuple[int, str]:
    """(due day of the following month, the city's time zone): the dbt vars submission_due_day and
    local_timezone in dbt_project.yml, which the models read too."""
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")).get("vars", {})
    return int(variables.get("submission_due_day", 10)), str(variables.get("local_timezone", "Asia/Shanghai"))


def city_timezone() -> str:
    """The city's time zone, the dbt var local_timezone: the models' month boundaries, Airflow's
    default zone (set by ingest.airflow.local_runner.airflow_env, equal in docker-compose.yml) and
    the zone every swdw cron is read in (ingest.airflow.dag_defaults.city_cron)."""
    return calendar_settings()[1]
