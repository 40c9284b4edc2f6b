"""The audit tables' hash chains: what a superuser with the triggers disabled can no longer hide."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import psycopg
import pytest

from ingest.warehouse.migrations import released_migrations
from ingest.warehouse.schema import (
    APPEND_ONLY_TABLES,
    CHAIN_COLUMNS,
    CHAINED_COLUMNS,
    LIFECYCLE_COLUMNS,
    SUBMISSION_RECEIVED_FACTS,
)

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import query, run_cli

FINDINGS = "audit.submission_finding"


@pytest.fixture()
def loaded(clean_warehouse) -> str:
    """One loaded file with five warnings: five findings, GX results, a register row, a pipeline run."""
    from ingest.jobs.pipeline import ingest_landing

    landing = Path(os.environ["SWDW_LANDING_DIR"])
    rows = [org_row(n, form="未组建") for n in range(1, 6)]  # 应建未建: one warning each
    write_csv(landing_path(landing, "xiangshan", "org_coverage", "2024年12月.csv"), [ORG_HEADER, *rows])
    [outcome] = ingest_landing()
    assert outcome.status == "loaded" and outcome.warning_count == 5
    return clean_warehouse


def _as_superuser(dsn: str, table: str, *statements: str) -> None:
    """What the issue fears: the owner switches the guards off, rewrites, switches them on again."""
    with psycopg.connect(dsn) as conn:
        conn.execute(f"alter table {table} disable trigger user")
        for statement in statements:
            conn.execute(statement)
        conn.execute(f"alter table {table} enable trigger user")


def _verify(*args: str, **env: str):
    done = run_cli("audit", "verify", *args, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _write_at_once(dsn: str, write) -> None:
    """Four writers at once, each on its own connection, the loader role for every other one:
    ``write(conn, writer)``; any writer's error fails the test."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "do $$ begin create role chain_loader_probe login password 'probe' in role swdw_loader; "
            "exception when duplicate_object then null; end $$"
        )
    loader_dsn = dsn.replace(dsn.split("//")[1].split("@")[0], "chain_loader_probe:probe")
    errors = []

    def writer(n: int) -> None:
        try:
            with psycopg.connect(loader_dsn if n % 2 else dsn) as conn:
                write(conn, n)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors


def test_every_audit_column_is_chained_or_allowed_to_move(clean_warehouse):
    """A column added to an audit table must be placed: in the chain, or among the lifecycle columns."""
    assert set(CHAINED_COLUMNS) == {*APPEND_ONLY_TABLES, *LIFECYCLE_COLUMNS, "audit.submission"}
    for table, chained in CHAINED_COLUMNS.items():
        schema, name = table.split(".")
        columns = {
            c
            for (c,) in query(
                clean_warehouse,
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
                (schema, name),
            )
        }
        assert set(chained) <= columns, table
        if table == "audit.submission":
            assert chained == SUBMISSION_RECEIVED_FACTS
        else:
            assert columns == {*chained, *LIFECYCLE_COLUMNS.get(table, ()), *CHAIN_COLUMNS}, table


def test_rows_are_chained_as_written_and_verify_holds(loaded):
    for table in CHAINED_COLUMNS:
        seqs = [s for (s,) in query(loaded, f"select chain_seq from {table} order by chain_seq")]
        assert seqs == list(range(1, len(seqs) + 1)), table
    assert query(loaded, f"select count(*) from {FINDINGS} where row_hash is null") == [(0,)]
    # lifecycle columns move without breaking a chain; the hashes never move
    with psycopg.connect(loaded, autocommit=True) as conn:
        conn.execute("update audit.pipeline_run set failed = 0")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update audit.submission set row_hash = 'forged'")
    # canonical content: a reader in another time zone recomputes the same hashes
    done = _verify("--record", PGTZ="Asia/Shanghai")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every chain holds" in done.stdout
    heads = (Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain" / "heads.jsonl").read_text()
    assert '"audit.submission_finding": {"chain_seq": 5' in heads


def test_verify_names_a_row_rewritten_with_the_triggers_disabled(loaded):
    [(finding_id, seq)] = query(loaded, f"select finding_id, chain_seq from {FINDINGS} where chain_seq = 3")
    _as_superuser(
        loaded, FINDINGS, f"update {FINDINGS} set message_en = 'nothing wrong' where finding_id = {finding_id}"
    )
    done = _verify()
    assert done.returncode == 1, done.stdout
    assert f"{FINDINGS}: broken at finding_id {finding_id} (chain_seq {seq}): row changed" in done.stdout
    assert "audit.validation_result" in done.stdout and f"1 of {len(CHAINED_COLUMNS)} chains broken" in done.stdout


def test_a_chain_recomputed_after_tampering_disagrees_with_the_recorded_heads(loaded):
    from ingest.warehouse.audit_chain import verify_chain

    assert _verify("--record").returncode == 0
    columns = ", ".join(f"'{c}'" for c in CHAINED_COLUMNS[FINDINGS])
    # the forger rewrites finding 2 and recomputes every hash from there, as verify would
    _as_superuser(
        loaded,
        FINDINGS,
        f"update {FINDINGS} set severity = 'warning', message_en = 'nothing wrong' where chain_seq = 2",
        f"""do $$ declare r record; previous text;
            begin
                select row_hash into previous from {FINDINGS} where chain_seq = 1;
                for r in select chain_seq from {FINDINGS} where chain_seq >= 2 order by chain_seq loop
                    update {FINDINGS} t set prev_hash = previous,
                           row_hash = audit.chain_hash(t.chain_seq, previous, audit.chain_content(t, array[{columns}]))
                     where chain_seq = r.chain_seq returning row_hash into previous;
                end loop;
            end $$""",
    )
    with psycopg.connect(loaded) as conn:
        assert verify_chain(conn, FINDINGS, {}).broken is None  # the forgery holds in itself
    done = _verify()
    assert done.returncode == 1, done.stdout
    assert f"{FINDINGS}: broken at finding_id" in done.stdout and "(chain_seq 5): chain rewritten" in done.stdout


def test_deleted_and_slipped_in_rows_break_the_chain(loaded):
    assert _verify("--record").returncode == 0
    _as_superuser(loaded, FINDINGS, f"delete from {FINDINGS} where chain_seq = 5")
    done = _verify()
    assert done.returncode == 1 and "chain_seq 5: recorded" in done.stdout and "(rows deleted)" in done.stdout
    _as_superuser(loaded, FINDINGS, f"delete from {FINDINGS} where chain_seq = 2")
    done = _verify()
    assert "(chain_seq 3): chain_seq skips or repeats" in done.stdout
    _as_superuser(
        loaded,
        "audit.pipeline_run",
        "insert into audit.pipeline_run (trigger, files_seen) values ('forged', 0)",
    )
    done = _verify()
    assert "audit.pipeline_run: broken at run_id" in done.stdout and "not in the chain" in done.stdout


def test_concurrent_writers_keep_one_unbroken_chain(clean_warehouse):
    """Transactions that insert at once, the loader role among them, still form a single chain."""
    from ingest.warehouse.audit_chain import verify_chain

    def write(conn, writer: int) -> None:
        for batch in range(5):
            with conn.transaction():
                for _ in range(4):
                    conn.execute(
                        "insert into audit.pipeline_run (trigger, files_seen) values (%s, %s)",
                        (f"writer {writer}", batch),
                    )

    _write_at_once(clean_warehouse, write)
    with psycopg.connect(clean_warehouse) as conn:
        report = verify_chain(conn, "audit.pipeline_run", {})
    assert report.broken is None and report.rows == 80


def test_rows_from_before_the_chain_are_sealed_once(loaded):
    """A warehouse bootstrapped before the chains existed gets them, its rows chained in id order."""
    with psycopg.connect(loaded) as conn:
        conn.execute(f"drop trigger submission_finding_chain on {FINDINGS}")
        conn.execute(f"alter table {FINDINGS} drop column chain_seq, drop column prev_hash, drop column row_hash")
    # a warehouse from before the chains is from before migrations too: the baseline adopts it
    with psycopg.connect(loaded) as conn:
        conn.execute(released_migrations()[0].sql)
    seqs = query(loaded, f"select finding_id, chain_seq from {FINDINGS} order by finding_id")
    assert [s for _, s in seqs] == [1, 2, 3, 4, 5]
    assert _verify().returncode == 0


def _finding_rows(submission_id: int, count: int, severity: str = "warning") -> list[tuple]:
    return [
        (submission_id, n, "org_type", "单位类型", str(n), "probe_rule", severity, "探针", "probe")
        for n in range(count)
    ]


def _copy_findings(conn, rows: list[tuple]) -> None:
    columns = "submission_id, source_row, column_name, column_header, value, rule, severity, message_zh, message_en"
    with conn.cursor().copy(f"copy {FINDINGS} ({columns}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def test_findings_copied_by_concurrent_loads_keep_one_unbroken_chain(loaded):
    """chain_row_batch (0005) keeps the head it set in the transaction: writers copying findings at
    once, the loader role among them, still form one chain (the first row of each takes the lock)."""
    from ingest.warehouse.audit_chain import verify_chain

    [[submission_id]] = query(loaded, "select min(submission_id) from audit.submission")

    def write(conn, writer: int) -> None:
        for _ in range(3):
            with conn.transaction():
                _copy_findings(conn, _finding_rows(submission_id, 50))

    _write_at_once(loaded, write)
    with psycopg.connect(loaded) as conn:
        report = verify_chain(conn, FINDINGS, {})
    assert report.broken is None and report.rows == 5 + 4 * 3 * 50


def test_findings_rolled_back_to_a_savepoint_leave_no_head_behind(loaded):
    """A COPY that fails half-way inside a savepoint, and one that is rolled back whole: the head
    chain_row_batch kept for them is undone with them, so the rows after chain onto the table's."""
    from ingest.warehouse.audit_chain import verify_chain

    [[submission_id]] = query(loaded, "select min(submission_id) from audit.submission")
    with psycopg.connect(loaded) as conn:
        with conn.transaction():
            _copy_findings(conn, _finding_rows(submission_id, 3))
            with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
                _copy_findings(conn, _finding_rows(submission_id, 4) + _finding_rows(submission_id, 1, "fatal"))
            with pytest.raises(RuntimeError), conn.transaction():
                _copy_findings(conn, _finding_rows(submission_id, 6))
                raise RuntimeError("rolled back to the savepoint")
            _copy_findings(conn, _finding_rows(submission_id, 2))
        with conn.transaction():
            _copy_findings(conn, _finding_rows(submission_id, 1))
        report = verify_chain(conn, FINDINGS, {})
    assert report.broken is None and report.rows == 5 + 3 + 2 + 1


def test_the_copied_evidence_tables_chain_in_batches_and_the_others_row_by_row(clean_warehouse):
    batched = {"audit.submission_finding", "audit.validation_result", "audit.reprocess_finding"}
    functions = dict(
        query(
            clean_warehouse,
            """select tgrelid::regclass::text, tgfoid::regproc::text from pg_trigger
                where not tgisinternal and tgname like '%%\\_chain'""",
        )
    )
    assert set(functions) == set(CHAINED_COLUMNS)
    for table, function in functions.items():
        assert function == ("audit.chain_row_batch" if table in batched else "audit.chain_row"), table


def test_findings_copied_in_another_time_zone_chain_as_verify_recomputes_them(loaded):
    """chain_row_batch (0006) hashes the row as jsonb less its unchained columns, in UTC like
    audit.chain_content: a session in Asia/Shanghai writes hashes that verify recomputes alike."""
    from ingest.warehouse.audit_chain import verify_chain

    [[submission_id]] = query(loaded, "select min(submission_id) from audit.submission")
    with psycopg.connect(loaded) as conn:
        conn.execute("set timezone to 'Asia/Shanghai'")
        with conn.transaction():
            _copy_findings(conn, _finding_rows(submission_id, 3))
            conn.execute(
                f"insert into {FINDINGS} (submission_id, source_row, rule, severity, message_zh, message_en, recorded_at) "
                "values (%s, 9, 'probe_rule', 'warning', '探针', 'probe', '2024-12-31 23:30:00+08')",
                (submission_id,),
            )
        report = verify_chain(conn, FINDINGS, {})
    assert report.broken is None and report.rows == 5 + 4
