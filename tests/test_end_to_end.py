"""The product end to end: sample submissions → `swdw run` → headline figures from marts.*."""

import csv

import pytest

from ingest import samples as sample
from ingest.jobs.summary import headline_figures

from .helpers import REPO, query, run_cli

ROLE_MATRIX = REPO / "tests" / "expected_role_matrix.csv"


def test_run_reports_every_file(sample_run):
    assert "quarantined" in sample_run.stdout and "loaded" in sample_run.stdout
    assert "Traceback" not in sample_run.stdout + sample_run.stderr


def test_headline_figures_come_out_of_the_marts(sample_run):
    figures = headline_figures()
    period, orgs, party_rate, mass_rate, new_orgs = figures["coverage"]
    assert period == "2024-12"
    assert orgs == sample.TARGET_ORGS_TOTAL
    assert float(party_rate) == sample.TARGET_PARTY_ORG_COVERAGE_PCT
    assert float(mass_rate) == sample.TARGET_MASS_ORG_AVG_COVERAGE_PCT
    year, received, converted = figures["suggestions"]
    assert (year, received, converted) == (
        2024,
        sample.TARGET_SUGGESTIONS_RECEIVED,
        sample.TARGET_SUGGESTIONS_CONVERTED,
    )


def test_register_tells_what_happened(sample_run, warehouse):
    statuses = dict(query(warehouse, "select status, count(*) from audit.submission group by status"))
    assert statuses.get("quarantined", 0) >= 2 and statuses.get("superseded", 0) >= 1
    assert not {"received", "validating"} & set(statuses)
    status = run_cli("status")
    assert status.returncode == 0 and "quarantined" in status.stdout


def test_summary_masks_the_password_and_dsn_prints_it(sample_run, warehouse):
    from urllib.parse import urlparse

    password = urlparse(warehouse).password
    summary = run_cli("summary")
    assert summary.returncode == 0, summary.stderr
    assert password not in summary.stdout + summary.stderr
    assert f"postgresql://swdw:****@127.0.0.1:{urlparse(warehouse).port}/swdw" in summary.stdout
    assert run_cli("dsn").stdout.strip().splitlines()[-1] == warehouse


def test_bi_role_reads_marts_only(sample_run, warehouse):
    import psycopg

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(
            "do $$ begin create role bi_probe login password 'probe' in role swdw_bi; "
            "exception when duplicate_object then null; end $$"
        )
    bi_dsn = warehouse.replace(warehouse.split("//")[1].split("@")[0], "bi_probe:probe")
    with psycopg.connect(bi_dsn) as conn:
        assert conn.execute("select count(*) from marts.mart_coverage").fetchone()[0] > 0
    for table in ("raw.suggestion", "audit.submission", "staging.stg_suggestion"):
        with psycopg.connect(bi_dsn) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {table} limit 1")


def _granted(dsn: str, role: str, schema: str, privilege: str) -> str:
    """A matrix cell: yes (every table and view of the schema), no (none), or the tables that have it."""
    if privilege in ("usage", "create"):
        return "yes" if query(dsn, "select has_schema_privilege(%s, %s, %s)", (role, schema, privilege))[0][0] else "no"
    rows = query(
        dsn,
        """select c.relname, has_table_privilege(%s, c.oid, %s) from pg_class c
            where c.relnamespace = %s::regnamespace and c.relkind in ('r', 'p', 'v', 'm') order by c.relname""",
        (role, privilege, schema),
    )
    assert rows, f"{schema} holds no tables: the matrix would be vacuous"
    granted = [name for name, has in rows if has]
    return "yes" if len(granted) == len(rows) else " ".join(granted) if granted else "no"


def test_every_role_against_every_schema_matches_the_committed_matrix(sample_run, warehouse):
    """docs/design.md §7 as a table: each group role × each schema × usage, create, select, insert, update, delete, truncate."""
    with ROLE_MATRIX.open(newline="") as handle:
        expected = list(csv.DictReader(handle))
    privileges = [p for p in expected[0] if p not in ("role", "schema")]
    assert {(r["role"], r["schema"]) for r in expected} == {
        (role, schema)
        for role in ("swdw_loader", "swdw_transformer", "swdw_bi", "swdw_auditor")
        for schema in ("raw", "audit", "staging", "intermediate", "marts")
    }
    differences = [
        f"{r['role']} on {r['schema']}: {p} expected {r[p]!r}, granted {granted!r}"
        for r in expected
        for p in privileges
        if (granted := _granted(warehouse, r["role"], r["schema"], p)) != r[p]
    ]
    assert not differences, "\n".join(differences)


def _marts_digest(dsn: str) -> dict[str, str]:
    """An md5 over every row of every mart table, in a fixed order."""
    tables = [t for (t,) in query(dsn, "select tablename from pg_tables where schemaname = 'marts' order by 1")]
    assert tables
    return {
        table: query(dsn, f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from marts.{table} t")[
            0
        ][0]
        for table in tables
    }


def test_rerun_is_idempotent(sample_run, warehouse, tmp_path):
    """The same files dropped again and the pipeline rerun: nothing registered, loaded or changed twice."""
    counted = (
        "select (select count(*) from audit.submission), (select sum(row_count) from audit.submission), "
        "(select count(*) from raw.org_coverage), (select count(*) from raw.service_activity), "
        "(select count(*) from raw.suggestion)"
    )
    before, marts_before = query(warehouse, counted), _marts_digest(warehouse)
    assert run_cli("sample", "--out", str(tmp_path)).returncode == 0
    again = run_cli("run", env={"SWDW_LANDING_DIR": str(tmp_path)})
    assert again.returncode == 0, again.stderr[-3000:]
    assert "duplicate" in again.stdout and " 0 loaded" in again.stdout
    assert "build skipped" in again.stdout  # nothing new over current marts: no dbt build, no docs
    assert query(warehouse, counted) == before
    assert _marts_digest(warehouse) == marts_before


def test_no_clear_phone_or_id_number_in_any_table(sample_run, warehouse):
    mobile = r"(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)"
    id_number = r"(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)"
    columns = query(
        warehouse,
        """
        select table_schema, table_name, column_name from information_schema.columns
         where table_schema in ('raw', 'audit', 'staging', 'intermediate', 'marts')
           and data_type in ('text', 'character varying', 'jsonb')
           and column_name not like '%%hash' and column_name not in ('sha256', 'credit_code')""",
    )
    assert len(columns) > 20
    leaks = []
    for schema, table, column in columns:
        hits = query(
            warehouse,
            f'select count(*) from {schema}."{table}" where "{column}"::text ~ %s or "{column}"::text ~ %s',
            (mobile, id_number),
        )
        if hits[0][0]:
            leaks.append(f"{schema}.{table}.{column}: {hits[0][0]}")
    assert not leaks
    # the sample does carry personal data: it is there as hashes
    assert query(warehouse, "select count(*) from raw.suggestion where submitter_phone_hash is not null")[0][0] > 0
