"""Upgrade in place: swdw started over a warehouse the previous release built migrates it and keeps
every row (tests/fixtures/release_0.1.0/README.md says how the fixture was made)."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from ingest.jobs.pipeline import ingest_landing
from ingest.jobs.transform import dbt_build
from ingest.warehouse.connection import bootstrap
from ingest.warehouse.dump import relocate_kept_paths, restore_warehouse
from ingest.warehouse.migrations import released_migrations

from .helpers import query, run_cli, table_digest

RELEASE = Path(__file__).parent / "fixtures" / "release_0.1.0"
RELEASE_HOME = "/tmp/fx/home"  # where the release's register says its files are
ROLES = ["swdw_loader", "swdw_transformer", "swdw_bi", "swdw_auditor"]
# what the migrations add to rows the release wrote: left out of the comparison
ADDED_COLUMNS = ("contract_version",)


def _tables(dsn: str) -> list[str]:
    rows = query(
        dsn,
        "select format('%%I.%%I', schemaname, tablename) from pg_tables "
        "where schemaname in ('raw', 'audit', 'intermediate', 'marts') and tablename <> 'schema_migration' order by 1",
    )
    return [name for (name,) in rows]


def _digests(dsn: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    return {table: table_digest(dsn, table, ADDED_COLUMNS) for table in tables}


@pytest.fixture()
def release_warehouse(clean_warehouse, swdw_home, tmp_path) -> Path:
    """The release's database restored as it was, and its kept files under a home of this test."""
    restore_warehouse(RELEASE / "warehouse.dump", ROLES)
    old_home = tmp_path / "release_home"
    with tarfile.open(RELEASE / "home.tar.gz") as archive:
        archive.extractall(old_home, filter="data")
    heads = swdw_home / "artifacts" / "audit_chain"
    shutil.rmtree(heads, ignore_errors=True)
    shutil.copytree(old_home / "artifacts" / "audit_chain", heads)
    return old_home


@pytest.mark.slow
def test_the_previous_release_upgrades_in_place_keeping_every_row(release_warehouse, clean_warehouse):
    dsn = clean_warehouse
    assert query(dsn, "select to_regclass('audit.schema_migration')") == [(None,)]  # the release had none
    tables = _tables(dsn)
    assert {
        "raw.org_coverage",
        "raw.service_activity",
        "raw.suggestion",
        "audit.submission",
        "marts.mart_coverage",
    } <= set(tables)
    before = _digests(dsn, tables)
    assert before["audit.submission"][0] == 28

    applied = bootstrap()

    assert [step.split()[0] for step in applied] == [m.version for m in released_migrations()]
    assert _digests(dsn, tables) == before  # every row of every table kept
    assert set(_tables(dsn)) >= set(tables)
    verify = run_cli("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert bootstrap() == []

    # the release's files land again: each is known, nothing loads twice
    assert relocate_kept_paths(RELEASE_HOME, str(release_warehouse)) > 0
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    for department in (release_warehouse / "archive").iterdir():
        for kept in department.iterdir():
            original = re.sub(r"^\d+_", "", kept.name)  # the archive prefixes the submission id
            [(kind,)] = query(dsn, "select submission_type from audit.submission where archive_path = %s", (str(kept),))
            target = landing / department.name / kind / original
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(kept, target)
    outcomes = ingest_landing(progress=None)
    assert len(outcomes) == 27 and {o.status for o in outcomes} == {"duplicate"}
    assert _digests(dsn, [t for t in tables if t.startswith("raw.")]) == {
        t: v for t, v in before.items() if t.startswith("raw.")
    }
    # and today's models build over the release's rows
    assert dbt_build() is True
