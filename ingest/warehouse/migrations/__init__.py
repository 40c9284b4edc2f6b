"""Versioned migrations of everything swdw owns in PostgreSQL (docs/design.md §7).

The released migrations are the plain SQL files beside this module, `NNNN_name.sql`, applied in
version order, each in its own transaction with its row in audit.schema_migration (version, name,
sha256 of the file, when, which swdw). Then raw tables follow the contracts (raw_tables.py),
recorded the same way. The caller holds the bootstrap advisory lock, so two commands starting at
once apply each step once: the second finds it recorded.

A released migration is frozen: one whose file no longer matches the checksum recorded when it was
applied is refused before anything runs, and so is a warehouse recording a migration this swdw
does not know (a newer release migrated it). A warehouse built by the release before migrations
(its tables, no audit.schema_migration) is adopted: 0001 is idempotent, so it runs over it and is
recorded.

Why an in-house runner rather than yoyo-migrations or Alembic: the one promise that matters here,
refusing an edited released migration, is in neither (yoyo's migration hash is a hash of the
migration's id, not of its content; Alembic records only the head revision), so it would be
written here anyway; the raw step derived from the contracts, the advisory lock and the record in
a hash-chained audit table are ours too. What is left (list files, compare checksums, run each
file in a transaction) is a few dozen lines over psycopg, which swdw already uses, with no new
dependency, no second migration table and no SQLAlchemy.

Releasing: set the version in pyproject.toml; every migration file present at a release is frozen
from then on (the next change is the next NNNN file), and the release notes name the newest one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from ingest.warehouse.migrations.raw_tables import ContractMismatch, pending_raw_steps

MIGRATIONS_DIR = Path(__file__).parent
MIGRATION_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


class MigrationRefused(RuntimeError):
    """The warehouse and this swdw's migrations disagree: nothing is applied until a person decides."""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        # line endings normalised: a checkout with CRLF is the same released migration
        return hashlib.sha256(self.path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def released_migrations() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = MIGRATION_FILE.match(path.name)
        if not match:
            raise MigrationRefused(f"{path}: a migration is named NNNN_name.sql")
        found.append(Migration(match[1], match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationRefused(f"{MIGRATIONS_DIR}: two migrations share a version: {versions}")
    return found


def _recorded(conn) -> dict[str, str]:
    """version -> checksum of every step this warehouse records; empty before migrations existed."""
    if conn.execute("select to_regclass('audit.schema_migration')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("select version, checksum from audit.schema_migration").fetchall())


def _check_released(migrations: list[Migration], recorded: dict[str, str]) -> None:
    known = {m.version for m in migrations}
    for migration in migrations:
        was = recorded.get(migration.version)
        if was is not None and was != migration.checksum:
            raise MigrationRefused(
                f"migration {migration.path.name} was edited after this warehouse applied it "
                f"(recorded sha256 {was[:12]}, the file now {migration.checksum[:12]}). A released migration "
                "is frozen: restore the file as released and put the change in a new migration."
            )
    newer = sorted(v for v in recorded if v.isdigit() and v not in known)  # raw steps are "contract:..."
    if newer:
        raise MigrationRefused(
            f"this warehouse records migrations {', '.join(newer)}, which swdw {swdw_version()} does not have: "
            "a newer swdw migrated it; run that release."
        )


def swdw_version() -> str:
    try:
        return package_version("swdw")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _apply(conn, version: str, name: str, checksum: str, sql: str) -> None:
    with conn.transaction():
        conn.execute(sql)
        conn.execute(
            """insert into audit.schema_migration (version, name, checksum, swdw_version)
               values (%s, %s, %s, %s) on conflict (version) do nothing""",
            (version, name, checksum, swdw_version()),
        )


def apply_pending(conn) -> list[str]:
    """Apply what this warehouse lacks, in order; returns 'version name' of each step applied.

    ``conn`` is an autocommit connection holding the bootstrap lock."""
    migrations = released_migrations()
    recorded = _recorded(conn)
    _check_released(migrations, recorded)
    applied = []
    for migration in migrations:
        if migration.version not in recorded:
            _apply(conn, migration.version, migration.name, migration.checksum, migration.sql)
            applied.append(f"{migration.version} {migration.name}")
    next_version = int(migrations[-1].version) + 1 if migrations else 1
    try:
        steps = pending_raw_steps(conn, next_version)
    except ContractMismatch as exc:
        raise MigrationRefused(str(exc)) from None
    for step in steps:
        _apply(conn, step.version, step.description, step.checksum, step.sql)
        applied.append(f"{step.version} {step.description}")
    return applied
