"""A/B of one GX suite on the same rows: the pandas checkpoint against GX's SQL execution engine on PostgreSQL.

    .venv/bin/python benchmarks/gx_sql_ab.py [--rows 100000] [--type org_coverage] [--repeat 2] [--per-expectation]

Rows: benchmarks/gx_validation.py's synthetic records with about 1 % rows breaking an error rule
(check character, negative count, duplicate code) besides its 1 % warnings. In a throw-away
SWDW_HOME with the embedded PostgreSQL (or SWDW_WAREHOUSE_DSN), it times
  A  frame_for + the pandas suite (the production checkpoint's ValidationDefinition),
  B  COPY of the same frame into a table + the same suite on a PostgreSQL table asset,
both with result_format COMPLETE and unexpected_index_column_names=["source_row"], checks the two
give the same unexpected source rows per expectation, and with --per-expectation times each
expectation alone on both engines. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from gx_validation import _records  # noqa: E402


def _dirty(submission_type: str, records: list[dict]) -> list[dict]:
    """About 1 % of rows break an error rule, so both engines report unexpected rows; decimals
    as normalisation leaves them (Decimal)."""
    for n, record in enumerate(records):
        if "service_hours" in record:
            record["service_hours"] = Decimal(str(record["service_hours"]))
            record["is_approximate"] = False
        if submission_type == "org_coverage":
            if n % 211 == 5:
                record["credit_code"] = record["credit_code"][:17] + ("0" if record["credit_code"][17] != "0" else "1")
            if n % 307 == 7:
                record["employee_count"] = -1
            if n % 401 == 9:
                record["credit_code"] = records[0]["credit_code"]
            if n % 503 == 11:
                record["district_code"] = "340604"  # outside xiangshan's jurisdiction
        elif submission_type == "service_activity" and n % 211 == 5:
            record["participants"] = -3
        elif submission_type == "suggestion" and n % 211 == 5:
            record["concluded_date"] = None
    return records


def _sources(result) -> dict[str, tuple]:
    out = {}
    for item in result.results:
        config = item.expectation_config
        key = f"{config.type}:{config.meta.get('rule')}:{config.kwargs.get('column') or config.kwargs.get('column_A')}"
        rows = sorted(int(u["source_row"]) for u in item.result.get("unexpected_index_list") or [])
        out[key] = (bool(item.success), rows, (item.exception_info or {}).get("exception_message"))
    return out


def _time_load(dsn: str, contract, records: list[dict], repeat: int) -> None:
    """The load stage both ways, each in a transaction rolled back: the production COPY into raw
    (ingest.warehouse.loading.copy_records) and INSERT … SELECT from a table already holding the
    same rows in raw's shape (what the load would cost if the staged rows moved inside the database)."""
    import psycopg

    from ingest.warehouse.loading import copy_records

    copies, inserts = [], []
    names = ", ".join(name for name, _ in contract.raw_columns())
    for _ in range(repeat):
        with psycopg.connect(dsn) as conn:
            started = time.perf_counter()
            copy_records(conn, contract, 1, records)
            copies.append(time.perf_counter() - started)
            conn.execute(f"create temporary table staged as select {names} from {contract.raw_table}")
            conn.execute("analyze staged")
            started = time.perf_counter()
            conn.execute(f"insert into {contract.raw_table} ({names}) select {names} from staged")
            inserts.append(time.perf_counter() - started)
            conn.rollback()
    print(
        f"load: COPY into {contract.raw_table} best {min(copies):.2f} s {[round(x, 2) for x in copies]}; "
        f"INSERT … SELECT of the same rows best {min(inserts):.2f} s {[round(x, 2) for x in inserts]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--type", default="org_coverage")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--per-expectation", action="store_true")
    parser.add_argument(
        "--load",
        action="store_true",
        help="also time the load: COPY into raw (copy_records) against INSERT … SELECT from a staged copy",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one SQL suite run (top 25 by cumulative time)")
    parser.add_argument("--trace", action="store_true", help="with --per-expectation: each SQL statement and its time")
    parser.add_argument(
        "--sql-partial",
        type=int,
        default=None,
        help="partial_unexpected_count for the SQL run (GX's SQL engine caps unexpected_index_list at it); "
        "default: the row count, so every failing source row comes back as in pandas",
    )
    args = parser.parse_args()
    os.environ["SWDW_PII_KEY"] = "benchmark"
    warnings.filterwarnings("ignore")

    import great_expectations as gx
    import psycopg

    from ingest.intake.contracts import get_contract
    from ingest.intake.reference import departments
    from ingest.quality.sql_engine import SqlSuites, create_stage, install, sql_result_format, stage_records
    from ingest.quality.suites import RESULT_FORMAT, build_expectation, expectation_specs, get_context
    from ingest.quality.validation import frame_for, run_parameters
    from ingest.warehouse.connection import bootstrap, warehouse_dsn

    dsn = warehouse_dsn()
    bootstrap()
    contract = get_contract(args.type)
    department = departments()["xiangshan"]
    parameters = run_parameters(department, dt.date(2025, 1, 10))
    records = _dirty(args.type, _records(args.type, args.rows))
    specs = expectation_specs(contract)
    sql_format = sql_result_format(args.sql_partial or len(records))

    file_context = get_context()
    definition = file_context.validation_definitions.get(args.type)

    # --- A: pandas -------------------------------------------------------------------------------
    def pandas_run(suite=None):
        started = time.perf_counter()
        frame = frame_for(contract, records)
        framed = time.perf_counter()
        if suite is None:
            result = definition.run(
                batch_parameters={"dataframe": frame}, expectation_parameters=parameters, result_format=RESULT_FORMAT
            )
        else:
            batch = definition.data.get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(suite, expectation_parameters=parameters, result_format=RESULT_FORMAT)
        return framed - started, time.perf_counter() - framed, result

    # --- B: SQL ----------------------------------------------------------------------------------
    def copy_in(conn) -> float:
        """COPY the records' validation columns (PII checks derived in Python, as for pandas) into the table."""
        started = time.perf_counter()
        stage_records(conn, "ab_stage", contract, records)
        return time.perf_counter() - started

    with psycopg.connect(dsn, autocommit=True) as conn:
        install(conn)
        create_stage(conn, "ab_stage", contract)  # the table asset must exist when it is added
    suites = SqlSuites(dsn)
    sql_definition = suites.definition(contract, "ab_stage")
    whole = sql_definition.data

    def sql_run():
        with psycopg.connect(dsn, autocommit=True) as conn:
            copy_seconds = copy_in(conn)
        started = time.perf_counter()
        result = sql_definition.run(expectation_parameters=parameters, result_format=sql_format)
        return copy_seconds, time.perf_counter() - started, result

    import sqlalchemy

    statements: list[tuple[str, float]] = []

    def before(conn, cursor, statement, *_):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, *_):
        statements.append((statement, time.perf_counter() - conn.info.pop("started")))

    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", before)
    sqlalchemy.event.listen(sqlalchemy.engine.Engine, "after_cursor_execute", after)

    print(f"{args.type}: {len(records)} rows, {len(specs)} expectations, PostgreSQL at {dsn.split('@')[-1]}")
    pandas_run()  # warm both (imports, metric registry, connection pool)
    sql_run()
    a_runs, b_runs = [], []
    for _ in range(args.repeat):
        a_runs.append(pandas_run())
        b_runs.append(sql_run())
    a = min(a_runs, key=lambda r: r[0] + r[1])
    b = min(b_runs, key=lambda r: r[0] + r[1])
    print(f"{'':10} {'prepare s':>10} {'suite s':>8} {'total s':>8}   (best of {args.repeat}; all runs below)")
    print(f"{'pandas':10} {a[0]:>10.2f} {a[1]:>8.2f} {a[0] + a[1]:>8.2f}   frame_for | checkpoint suite")
    print(f"{'sql':10} {b[0]:>10.2f} {b[1]:>8.2f} {b[0] + b[1]:>8.2f}   COPY+analyze | suite on PostgreSQL")
    print(
        "runs pandas:", [f"{x:.2f}+{y:.2f}" for x, y, _ in a_runs], "sql:", [f"{x:.2f}+{y:.2f}" for x, y, _ in b_runs]
    )

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        sql_definition.run(expectation_parameters=parameters, result_format=sql_format)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)

    if args.trace:
        statements.clear()
        sql_definition.run(expectation_parameters=parameters, result_format=sql_format)
        print(
            f"whole suite on PostgreSQL: {len(statements)} statements, {sum(t for _, t in statements):.2f} s in the database; slowest:"
        )
        for statement, seconds in sorted(statements, key=lambda x: -x[1])[:15]:
            print(f"      {seconds:7.3f}  {' '.join(statement.split())[:260]}")

    if args.load:
        _time_load(dsn, contract, records, args.repeat)

    pa, sq = _sources(a[2]), _sources(b[2])
    same = all(pa[k][:2] == sq.get(k, (None, None))[:2] for k in pa)
    print(f"same success and unexpected source rows per expectation: {same}")
    for key in pa:
        if pa[key] != sq.get(key):
            print(
                f"  DIFF {key}: pandas {pa[key][0]} {len(pa[key][1])} rows {pa[key][2]} | "
                f"sql {sq.get(key, (None, [], None))[0]} {len(sq.get(key, (None, [], None))[1])} rows "
                f"{sq.get(key, (None, [], None))[2]}"
            )

    if args.per_expectation:
        print(
            f"\n{'expectation (alone)':62} {'pandas s':>9} {'sql s':>7} {'queries':>7} {'in db s':>7} {'unexpected':>10}"
        )
        for spec in specs:
            one = build_expectation(spec)
            one_suite = gx.ExpectationSuite(name="one", expectations=[build_expectation(spec)])
            pandas_times, sql_times = [], []
            for _ in range(args.repeat):
                pandas_times.append(pandas_run(one_suite)[1])
                statements.clear()
                started = time.perf_counter()
                result = whole.get_batch().validate(one, expectation_parameters=parameters, result_format=sql_format)
                sql_times.append(time.perf_counter() - started)
            label = f"{spec['type'].removeprefix('expect_')} [{spec['meta']['rule']}:{spec['kwargs'].get('column') or spec['kwargs'].get('column_A')}]"
            in_db = sum(seconds for _, seconds in statements)
            print(
                f"{label[:62]:62} {min(pandas_times):>9.3f} {min(sql_times):>7.3f} {len(statements):>7} "
                f"{in_db:>7.3f} {result.result.get('unexpected_count')!s:>10}"
            )
            if args.trace:
                for statement, seconds in statements:
                    print(f"      {seconds:7.3f}  {' '.join(statement.split())[:150]}")


def _run() -> None:
    """main() in a scratch SWDW_HOME whose embedded PostgreSQL is stopped and removed at the end."""
    scratch = "SWDW_HOME" not in os.environ and "SWDW_WAREHOUSE_DSN" not in os.environ
    if scratch:
        os.environ["SWDW_HOME"] = tempfile.mkdtemp(prefix="swdw-gx-ab-")
    try:
        main()
    finally:
        if scratch:
            from ingest.warehouse.connection import stop_embedded

            stop_embedded()
            shutil.rmtree(os.environ["SWDW_HOME"], ignore_errors=True)


if __name__ == "__main__":
    _run()
