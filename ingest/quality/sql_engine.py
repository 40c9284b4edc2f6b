"""The suites on GX's SQL execution engine: a file's validation columns in a PostgreSQL table.

Issue 25 measured this path against the pandas checkpoint (benchmarks/gx_sql_ab.py): the same
suite, the same rows, result_format COMPLETE with `unexpected_index_column_names=["source_row"]`.
It carries every rule (the custom expectations have SQL forms in ingest.quality.custom_expectations,
the GB 32100 check character as the PostgreSQL function of CREDIT_CHECK_SQL) and gives the same
unexpected rows, but it is slower than pandas at 100,000 and 500,000 rows, so production validates
with the pandas checkpoint (ingest.quality.validation) and nothing here runs in a load.

The staged table holds what the pandas frame holds (ingest.quality.validation.frame_for): source_row
and the columns the suite reads, personal data only as `<column>_check` = valid|malformed.
"""

from __future__ import annotations

from ingest.intake.contracts import SQL_TYPES, Contract
from ingest.intake.records import Records
from ingest.quality.checks import CREDIT_CHECK_SQL, pii_check_columns
from ingest.quality.suites import RESULT_FORMAT, build_expectation, columns_read, expectation_specs, get_context

SCHEMA = "intake"
# integers as bigint: a staged value is what normalisation kept, raw's narrower type is the load's concern
STAGE_TYPES = {**SQL_TYPES, "integer": "bigint", "decimal": "float8"}


def install(conn) -> None:
    """The schema of staged tables and the rule functions the SQL forms call (idempotent)."""
    conn.execute(f"create schema if not exists {SCHEMA}")
    conn.execute(CREDIT_CHECK_SQL)


def stage_columns(contract: Contract) -> dict[str, str]:
    """column -> PostgreSQL type of the staged table: source_row and what the suite reads."""
    derived = set(pii_check_columns(contract, Records()))
    columns = {"source_row": "integer"}
    for name in columns_read(contract):
        columns[name] = "text" if name in derived else STAGE_TYPES[contract.column(name).type]
    return columns


def create_stage(conn, table: str, contract: Contract) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in stage_columns(contract).items())
    conn.execute(f"drop table if exists {SCHEMA}.{table}")
    conn.execute(f"create unlogged table {SCHEMA}.{table} ({columns})")


def stage_records(conn, table: str, contract: Contract, records: Records | list[dict]) -> int:
    """Replace the staged table's rows by the records' validation columns (binary COPY)."""
    records = Records.of(records)
    columns = stage_columns(contract)
    derived = pii_check_columns(contract, records)
    values = []
    for name, sql_type in columns.items():
        if name in derived:
            values.append(derived[name])
        elif sql_type == "float8":
            values.append([None if v is None else float(v) for v in records.column(name)])
        else:
            values.append(records.column(name))
    conn.execute(f"truncate {SCHEMA}.{table}")
    with conn.cursor().copy(f"copy {SCHEMA}.{table} ({', '.join(columns)}) from stdin (format binary)") as copy:
        copy.set_types(list(columns.values()))
        for row in zip(*values):
            copy.write_row(row)
    conn.execute(f"analyze {SCHEMA}.{table}")
    return len(records)


def sql_result_format(rows: int) -> dict:
    """RESULT_FORMAT for the SQL engine: it caps unexpected_index_list at partial_unexpected_count
    (pandas returns every index under COMPLETE), so that count is raised to the row count."""
    return {**RESULT_FORMAT, "partial_unexpected_count": max(rows, RESULT_FORMAT["partial_unexpected_count"])}


def sqlalchemy_url(dsn: str) -> str:
    """A libpq URI as SQLAlchemy's psycopg (3) URL."""
    return "postgresql+psycopg://" + dsn.split("://", 1)[1]


class SqlSuites:
    """An ephemeral GX context with the contracts' suites over staged tables of one PostgreSQL database."""

    def __init__(self, dsn: str):
        import great_expectations as gx

        get_context()  # registers the custom expectations
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.source = self.context.data_sources.add_postgres("warehouse", connection_string=sqlalchemy_url(dsn))
        self._definitions = {}

    def definition(self, contract: Contract, table: str):
        """The validation definition of the contract's suite over SCHEMA.table (which must exist)."""
        key = (contract.submission_type, table)
        if key not in self._definitions:
            gx = self._gx
            asset = self.source.add_table_asset(name=table, table_name=table, schema_name=SCHEMA)
            batch = asset.add_batch_definition_whole_table("whole_table")
            suite = self.context.suites.add(
                gx.ExpectationSuite(
                    name=f"{contract.submission_type}@{table}",
                    expectations=[build_expectation(spec) for spec in expectation_specs(contract)],
                )
            )
            self._definitions[key] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{contract.submission_type}@{table}", data=batch, suite=suite)
            )
        return self._definitions[key]

    def run(self, contract: Contract, table: str, parameters: dict, rows: int):
        return self.definition(contract, table).run(
            expectation_parameters=parameters, result_format=sql_result_format(rows)
        )
