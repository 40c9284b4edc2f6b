"""Versioned migrations: applied once, in order, recorded; edited ones refused; old warehouses
adopted; raw tables follow the contracts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from importlib.metadata import version as package_version
from pathlib import Path

import psycopg
import pytest

from ingest import cli
from ingest.intake import contracts
from ingest.jobs.pipeline import ingest_landing
from ingest.warehouse import migrations
from ingest.warehouse.audit_chain import heads_path
from ingest.warehouse.connection import bootstrap, warehouse_dsn
from ingest.warehouse.migrations import MigrationRefused, released_migrations
from ingest.warehouse.schema import CHAINED_COLUMNS, LIFECYCLE_COLUMNS

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import VENV_BIN, query, run_cli

OWNED_SCHEMAS = "raw, audit, staging, intermediate, marts"


def _empty_database(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"drop schema if exists {OWNED_SCHEMAS} cascade")


def _recorded(dsn: str) -> dict[str, tuple[str, str, str]]:
    rows = query(dsn, "select version, name, checksum, swdw_version from audit.schema_migration")
    return {version: (name, checksum, swdw) for version, name, checksum, swdw in rows}


@pytest.fixture()
def rebuilt_afterwards(clean_warehouse):
    """A test that bends the contracts or the migrations leaves a warehouse the real ones built."""
    yield clean_warehouse
    contracts.all_contracts.cache_clear()
    _empty_database(clean_warehouse)
    bootstrap()


# Both copies patch with a monkeypatch of their own: undone as the copy's teardown, before
# rebuilt_afterwards rebuilds (the test's shared monkeypatch would be undone only after it, so
# the warehouse and the contracts cache would be rebuilt from the bent copy).
@pytest.fixture()
def contract_copy(rebuilt_afterwards, tmp_path) -> Path:
    """A copy of the contracts folder that the warehouse now follows; the test edits it."""
    copy = tmp_path / "contracts"
    shutil.copytree(contracts.CONTRACTS_DIR, copy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(contracts, "CONTRACTS_DIR", copy)
        contracts.all_contracts.cache_clear()
        yield copy
    contracts.all_contracts.cache_clear()


@pytest.fixture()
def migration_copy(rebuilt_afterwards, tmp_path) -> Path:
    copy = tmp_path / "migrations"
    copy.mkdir()
    for migration in released_migrations():
        shutil.copy(migration.path, copy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS_DIR", copy)
        yield copy


def test_an_empty_database_gets_every_migration_recorded_and_a_rerun_applies_nothing(clean_warehouse):
    _empty_database(clean_warehouse)
    done = run_cli("upgrade")
    assert done.returncode == 0, done.stderr
    released = released_migrations()
    assert released, "no migration found"
    printed = [line.removeprefix("applied ") for line in done.stdout.splitlines() if line.startswith("applied ")]
    assert printed[: len(released)] == [f"{m.version} {m.name}" for m in released]  # in version order
    recorded = _recorded(clean_warehouse)
    for migration in released:
        name, checksum, swdw = recorded[migration.version]
        assert (name, checksum, swdw) == (
            migration.name,
            hashlib.sha256(migration.path.read_bytes()).hexdigest(),
            package_version("swdw"),
        )
    # then the raw tables of every contract, each recorded with the contract version that made it
    for submission_type in contracts.all_contracts():
        assert query(clean_warehouse, "select to_regclass(%s)::text", (f"raw.{submission_type}",)) == [
            (f"raw.{submission_type}",)
        ]
        assert any(v.startswith(f"contract:{submission_type}@") for v in recorded), recorded
    assert len(printed) == len(recorded)

    again = run_cli("upgrade")
    assert again.returncode == 0, again.stderr
    assert "applied " not in again.stdout and "(0 applied)" in again.stdout
    assert bootstrap() == []
    assert _recorded(clean_warehouse) == recorded


def test_two_commands_starting_at_once_apply_each_migration_once(clean_warehouse):
    _empty_database(clean_warehouse)
    starts = [
        subprocess.Popen([str(VENV_BIN / "swdw"), "upgrade"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [start.communicate(timeout=300) for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0], [err for _, err in outputs]
    applied = [line for out, _ in outputs for line in out.splitlines() if line.startswith("applied ")]
    assert len(applied) == len(set(applied)) == len(_recorded(clean_warehouse))
    assert {line.split()[1] for line in applied} >= {m.version for m in released_migrations()}


def test_an_edited_released_migration_is_refused_naming_it(migration_copy, capsys):
    edited = sorted(migration_copy.glob("*.sql"))[0]
    edited.write_text(edited.read_text() + "\ncreate table audit.sneaked_in (id int);\n")
    (migration_copy / "9999_later.sql").write_text("create table audit.later_one (id int);\n")
    assert cli.main(["upgrade"]) != 0
    err = capsys.readouterr().err
    assert edited.name in err and "edited" in err
    assert "Traceback" not in err
    # refused before anything ran: neither the later migration nor the edit reached the warehouse
    dsn = _dsn()
    assert query(dsn, "select to_regclass('audit.later_one'), to_regclass('audit.sneaked_in')") == [(None, None)]
    assert "9999" not in _recorded(dsn)


def _dsn() -> str:
    return warehouse_dsn()


def test_a_warehouse_of_the_release_before_migrations_is_adopted_with_its_rows(clean_warehouse):
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月.csv"),
        [ORG_HEADER, org_row(1), org_row(2, form="未组建")],
    )
    [outcome] = ingest_landing()
    assert outcome.status == "loaded"
    # each submission records the contract version that judged it, and `swdw status` shows it
    judged_by = hashlib.sha256((contracts.CONTRACTS_DIR / "org_coverage.yml").read_bytes()).hexdigest()[:12]
    assert query(clean_warehouse, "select contract_version from audit.submission") == [(judged_by,)]
    status = run_cli("status")
    assert status.returncode == 0 and f"version {judged_by}" in status.stdout, status.stdout + status.stderr
    # what the previous release left: the same tables, no migration record (nor its chain head
    # outside the database), no contract_version
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        conn.execute("drop table audit.schema_migration")
        conn.execute("alter table audit.submission drop column contract_version")
    recordings = [json.loads(line) for line in heads_path().read_text().splitlines()]
    for recording in recordings:
        recording["heads"].pop("audit.schema_migration")
    heads_path().write_text("".join(json.dumps(recording) + "\n" for recording in recordings))
    tables = [*CHAINED_COLUMNS, "raw.org_coverage"]
    tables.remove("audit.schema_migration")
    digest = (
        "select md5(coalesce(string_agg((to_jsonb(t) - 'contract_version')::text, '|' "
        "order by (to_jsonb(t) - 'contract_version')::text), '')) from {} t"
    )
    before = {table: query(clean_warehouse, digest.format(table))[0][0] for table in tables}
    assert query(clean_warehouse, "select count(*) from raw.org_coverage") == [(2,)]

    applied = bootstrap()

    assert [step.split()[0] for step in applied] == [m.version for m in released_migrations()]  # raw kept
    assert {table: query(clean_warehouse, digest.format(table))[0][0] for table in tables} == before
    assert query(clean_warehouse, "select contract_version from audit.submission") == [(None,)]
    verify = run_cli("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _add_optional_column(contract_file: Path, name: str) -> None:
    text = contract_file.read_text(encoding="utf-8")
    column = f"  - name: {name}\n    label_zh: 新增备注\n    aliases: [新增备注]\n    type: text\n    required: false\n"
    contract_file.write_text(text.replace("columns:\n", "columns:\n" + column, 1), encoding="utf-8")


def test_a_contract_gaining_an_optional_column_adds_a_nullable_raw_column(contract_copy):
    dsn = _dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:  # a load of the old shape
        conn.execute("insert into raw.service_activity (submission_id, source_row) values (1, 1)")
    _add_optional_column(contract_copy / "service_activity.yml", "follow_up_note")
    contracts.all_contracts.cache_clear()

    applied = bootstrap()

    assert len(applied) == 1 and "raw.service_activity" in applied[0] and "follow_up_note" in applied[0]
    assert query(
        dsn,
        """select data_type, is_nullable from information_schema.columns
            where table_schema = 'raw' and table_name = 'service_activity' and column_name = 'follow_up_note'""",
    ) == [("text", "YES")]
    assert query(dsn, "select follow_up_note from raw.service_activity") == [(None,)]
    new_version = hashlib.sha256((contract_copy / "service_activity.yml").read_bytes()).hexdigest()[:12]
    assert f"contract:service_activity@{new_version}" in _recorded(dsn)
    assert bootstrap() == []


def test_a_contract_dropping_a_raw_column_is_refused_naming_the_migration_to_write(contract_copy, capsys):
    contract_file = contract_copy / "service_activity.yml"
    _add_optional_column(contract_file, "follow_up_note")
    contracts.all_contracts.cache_clear()
    bootstrap()
    contract_file.write_text(
        contract_file.read_text(encoding="utf-8").replace("  - name: follow_up_note\n", "  - name: follow_up_text\n")
    )
    contracts.all_contracts.cache_clear()
    recorded = _recorded(_dsn())

    assert cli.main(["upgrade"]) != 0

    err = capsys.readouterr().err
    next_version = int(released_migrations()[-1].version) + 1
    assert f"{next_version:04d}_service_activity_columns.sql" in err
    assert "follow_up_note" in err and "Traceback" not in err
    with pytest.raises(MigrationRefused, match="follow_up_note"):
        bootstrap()
    # nothing moved: the renamed column was not added either
    assert _recorded(_dsn()) == recorded
    assert query(
        _dsn(),
        """select column_name from information_schema.columns
            where table_schema = 'raw' and table_name = 'service_activity' and starts_with(column_name, 'follow_up')""",
    ) == [("follow_up_note",)]


def test_a_contract_retyping_a_raw_column_is_refused(contract_copy):
    contract_file = contract_copy / "service_activity.yml"
    text = contract_file.read_text(encoding="utf-8")
    retyped = text.replace(
        "aliases: [活动编号, 编号]\n    type: text", "aliases: [活动编号, 编号]\n    type: integer", 1
    )
    assert retyped != text
    contract_file.write_text(retyped, encoding="utf-8")
    contracts.all_contracts.cache_clear()
    with pytest.raises(MigrationRefused, match=r"activity_id is text in raw but integer"):
        bootstrap()


def test_the_installed_triggers_name_the_column_lists(clean_warehouse):
    """Migration 0001 froze the lists of ingest.warehouse.schema into triggers: the two must agree."""
    rows = query(
        clean_warehouse,
        """select tgrelid::regclass::text, tgname, encode(tgargs, 'escape') from pg_trigger
            where not tgisinternal and tgrelid::regclass::text like 'audit.%%'""",
    )
    arguments = {(table, name): args.split("\\000")[:-1] if args else [] for table, name, args in rows}
    for table, columns in CHAINED_COLUMNS.items():
        chain = arguments[(table, f"{table.split('.')[1]}_chain")]
        assert chain[1:] == list(columns), table
    for table, movable in LIFECYCLE_COLUMNS.items():
        assert arguments[(table, f"{table.split('.')[1]}_fixed_columns")] == list(movable), table


def test_a_file_carrying_the_new_column_loads_it_and_files_without_it_keep_null(contract_copy):
    _add_optional_column(contract_copy / "org_coverage.yml", "follow_up_note")
    contracts.all_contracts.cache_clear()
    bootstrap()
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月.csv"),
        [[*ORG_HEADER, "新增备注"], [*org_row(1), "已回访"]],
    )
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年11月.csv"), [ORG_HEADER, org_row(2, period="2024-11")]
    )

    outcomes = ingest_landing()

    assert sorted(o.status for o in outcomes) == ["loaded", "loaded"]
    rows = query(_dsn(), "select to_char(report_period, 'YYYY-MM'), follow_up_note from raw.org_coverage order by 1")
    assert rows == [("2024-11", None), ("2024-12", "已回访")]
