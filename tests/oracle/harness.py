"""Runs a planned sequence through the real pipeline and holds every mart against the oracle.

Per run: write the run's files into the landing zone with their landing times, process them
(`ingest_landing`, or `process_landing_file` in the run's task order), check each file's
outcome against its verdict, and after a build (`dbt_build()` must succeed) compare every
mart, row by row and column by column, with `marts` computed from the accepted records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from ingest.config import DBT_PROJECT_DIR

from ..helpers import query
from .marts import COLUMNS, MARTS, SCALED_COLUMNS, AcceptedFile, RegisterRow, current_snapshots
from .records import file_bytes, grid
from .sequences import PlannedFile, Sequence

SCHEMAS = "raw, audit, staging, intermediate, marts"
# columns that say when a mart was built rather than what it holds (marts.mart_build_info and the like)
BUILD_COLUMN = re.compile(r"(^|_)(built|build|invocation|generated)(_|$)")


def is_build_column(name: str) -> bool:
    return bool(BUILD_COLUMN.search(name))


class OracleMismatch(AssertionError):
    pass


def reset_warehouse(dsn: str, landing: Path) -> None:
    """What clean_warehouse does, once per generated example: empty schemas, an empty landing zone."""
    import psycopg

    from ingest.warehouse.connection import bootstrap

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"drop schema if exists {SCHEMAS} cascade")
    bootstrap()
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    os.environ["SWDW_LANDING_DIR"] = str(landing)


def failed_dbt_nodes() -> list[str]:
    """The nodes the last dbt invocation failed (from its run_results.json), and how many it skipped."""
    results = json.loads((DBT_PROJECT_DIR / "target" / "run_results.json").read_text())["results"]
    failed = [
        f"{r['unique_id']}: {r['status']} {(r.get('message') or '')[:200]}"
        for r in results
        if r["status"] in ("fail", "error", "runtime error")
    ]
    skipped = sum(r["status"] == "skipped" for r in results)
    return failed + ([f"({skipped} nodes skipped downstream)"] if skipped else [])


class SequenceRun:
    """One sequence against one warehouse: what landed, what the register says, what the marts say."""

    def __init__(self, dsn: str, landing: Path, sequence: Sequence):
        self.dsn, self.landing, self.sequence = dsn, landing, sequence
        self.written: dict[int, bytes] = {}
        self.registered: set[tuple[str, str, str]] = set()  # (department folder, type folder, sha256)
        self.by_name: dict[tuple[str, str, str], PlannedFile] = {}
        self.log: list[str] = []

    def context(self) -> str:
        return "sequence:\n" + self.sequence.describe() + "\n" + "\n".join(self.log)

    def fail(self, message: str) -> None:
        raise OracleMismatch(f"{message}\n\n{self.context()}")

    # --- landing and ingest --------------------------------------------------------------

    def write(self, planned: PlannedFile) -> Path:
        if planned.copy_of is not None:
            data = self.written[planned.copy_of]
        else:
            rows = grid(
                planned.submission_type,
                planned.department,
                planned.records,
                planned.period,
                planned.style,
                None if planned.fault == "empty" else planned.fault,
            )
            data = file_bytes(rows, planned.style)
        self.written[planned.serial] = data
        path = self.landing.joinpath(*planned.landing_folders, planned.file_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = planned.landed_at.timestamp()
        os.utime(path, (stamp, stamp))
        department, kind = planned.registered_as
        self.by_name[(department, kind, planned.file_name)] = planned
        return path

    def ingest(self, run) -> None:
        import hashlib

        from ingest.intake.landing import discover
        from ingest.jobs.pipeline import FileOutcome, ingest_landing, process_landing_file

        paths = {str(self.write(planned)): planned for planned in run.files}
        entries = discover(str(self.landing))
        if sorted(e.path for e in entries) != sorted(paths):
            self.fail(f"landing zone holds {[e.path for e in entries]}, expected {sorted(paths)}")
        if run.order is None:
            outcomes = ingest_landing(progress=None)
        else:
            entries = [entries[i] for i in run.order]
            outcomes = [FileOutcome(**process_landing_file(entry)) for entry in entries]
        for entry, outcome in zip(entries, outcomes, strict=True):
            planned = paths[entry.path]
            key = (*planned.registered_as, hashlib.sha256(self.written[planned.serial]).hexdigest())
            expected = "duplicate" if key in self.registered else planned.verdict
            self.registered.add(key)
            self.log.append(
                f"  ingest #{planned.serial}: {outcome.status} (expected {expected}) {outcome.reason or ''}"
            )
            if outcome.status != expected or outcome.file_name != planned.file_name:
                self.fail(
                    f"file #{planned.serial} {planned.file_name}: ingest said {outcome.status}, expected {expected}"
                )

    # --- the oracle's inputs ---------------------------------------------------------------

    def register(self) -> list[RegisterRow]:
        rows = query(
            self.dsn,
            """select submission_id, department_code, submission_type, report_period, period_start, period_end,
                      received_at, status, row_count, error_count, warning_count
                 from audit.submission order by submission_id""",
        )
        return [RegisterRow(*row) for row in rows]

    def accepted(self, register: list[RegisterRow]) -> list[AcceptedFile]:
        """The accepted files with the records the generator wrote, checked against the register."""
        names = dict(query(self.dsn, "select submission_id, file_name from audit.submission order by submission_id"))
        files = []
        for row in register:
            planned = self.by_name.get((row.department_code, row.submission_type, names[row.submission_id]))
            if planned is None:
                self.fail(f"register row {row} matches no planned file")
            if row.received_at != planned.landed_at:
                self.fail(f"#{planned.serial} received_at {row.received_at}, landed {planned.landed_at}")
            if row.status not in ("loaded", "superseded"):
                continue
            if row.row_count != len(planned.records):
                self.fail(f"#{planned.serial} row_count {row.row_count}, wrote {len(planned.records)}")
            files.append(
                AcceptedFile(
                    row.submission_id,
                    row.department_code,
                    row.submission_type,
                    row.received_at,
                    planned.period,
                    planned.records,
                )
            )
        # docs/design.md §4: of a department's snapshots for a month exactly the latest landed stays loaded
        current = {f.submission_id for f in current_snapshots(files).values()}
        for row in register:
            if row.submission_type == "org_coverage" and row.status in ("loaded", "superseded"):
                expected = "loaded" if row.submission_id in current else "superseded"
                if row.status != expected:
                    self.fail(f"submission {row.submission_id} is {row.status}, expected {expected}")
        return files

    # --- marts -----------------------------------------------------------------------------

    def mart_rows(self, table: str) -> tuple[list[str], list[dict]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.dsn) as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(f"select * from marts.{table}")
            columns = [c.name for c in cursor.description]
            return columns, cursor.fetchall()

    def compare_marts(self) -> None:
        register = self.register()
        files = self.accepted(register)
        problems = []
        for table, (grain, definition) in MARTS.items():
            expected_rows = definition(register if table == "mart_submission_quality" else files)
            columns, actual_rows = self.mart_rows(table)
            assert all(list(row) == COLUMNS[table] for row in expected_rows), f"the oracle's {table} columns"
            if [c for c in columns if not is_build_column(c)] != COLUMNS[table]:
                problems.append((f"{table} columns", f"{columns}, expected {COLUMNS[table]}"))
                continue
            problems += diff_rows(table, grain, expected_rows, actual_rows)
        if problems:
            self.fail("marts differ from the oracle:\n" + summarise(problems))

    def build(self) -> None:
        from ingest.jobs.transform import dbt_build

        if not dbt_build():
            self.fail("dbt build failed:\n" + "\n".join(failed_dbt_nodes()))

    def play(self) -> None:
        for run in self.sequence.runs:
            self.ingest(run)
            if run.build:
                self.build()
                self.compare_marts()


def mart_digests(dsn: str) -> dict[str, str]:
    """An md5 over every row of every table in marts (build-time columns left out), in a fixed order."""
    digests = {}
    tables = [t for (t,) in query(dsn, "select tablename from pg_tables where schemaname = 'marts' order by 1")]
    for table in tables:
        columns = [
            c
            for (c,) in query(
                dsn,
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = %s order by ordinal_position",
                (table,),
            )
            if not is_build_column(c)
        ]
        row = "row(" + ", ".join(f't."{c}"' for c in columns) + ")::text"
        sql = f"select md5(coalesce(string_agg({row}, '|' order by {row}), '')) from marts.{table} as t"
        digests[table] = query(dsn, sql)[0][0]
    return digests


def summarise(problems: list[tuple[str, str]], per_kind: int = 3) -> str:
    """At most a few lines per kind of difference (mart and column), with how many there are."""
    kinds: dict[str, list[str]] = {}
    for kind, line in problems:
        kinds.setdefault(kind, []).append(line)
    out = []
    for kind, lines in kinds.items():
        out.append(f"{kind}: {len(lines)} row(s)")
        out += [f"  {line}" for line in lines[:per_kind]]
    return "\n".join(out)


def same_value(column: str, expected, actual) -> bool:
    if column in SCALED_COLUMNS and expected is not None and actual is not None:
        return str(expected) == str(actual)  # as stored: 0.5000 is not 0.5
    return expected == actual


def diff_rows(
    table: str, grain: tuple[str, ...], expected_rows: list[dict], actual_rows: list[dict]
) -> list[tuple[str, str]]:
    """(kind, line) for every difference: missing and unexpected rows, then cell by cell."""
    expected = {tuple(r[c] for c in grain): r for r in expected_rows}
    actual = {tuple(r[c] for c in grain): r for r in actual_rows}
    problems = []
    if len(actual) != len(actual_rows):
        problems.append((f"{table} grain", f"{grain} is not unique"))
    for key in sorted(expected.keys() - actual.keys(), key=str):
        problems.append((f"{table} missing rows", f"{key}: expected {expected[key]}"))
    for key in sorted(actual.keys() - expected.keys(), key=str):
        problems.append((f"{table} unexpected rows", f"{key}: {actual[key]}"))
    for key in sorted(expected.keys() & actual.keys(), key=str):
        for column, value in expected[key].items():
            if not same_value(column, value, actual[key][column]):
                problems.append((f"{table}.{column}", f"{key}: mart {actual[key][column]!r}, oracle {value!r}"))
    return problems
