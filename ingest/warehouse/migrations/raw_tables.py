"""Raw tables follow the contracts: the step the migration runner derives from them at every start.

A contract with no raw table gets one; a contract that gained a column gets it added as nullable,
so the loads made before keep null there. What raw already holds is never changed here: a
contract that dropped or retyped a column raw has is refused, naming the migration to write
(docs/design.md §6, §7).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.intake.contracts import Contract, all_contracts, contract_version

# columns every raw table has beside the contract's
LOAD_COLUMNS = ("loaded_at",)


class ContractMismatch(RuntimeError):
    """A contract no longer matches the raw table holding its loads: a migration must move the data."""


@dataclass(frozen=True)
class RawStep:
    """One change a contract asks of raw, recorded like a migration."""

    submission_type: str
    contract_version: str
    description: str
    sql: str

    @property
    def version(self) -> str:
        return f"contract:{self.submission_type}@{self.contract_version}"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _base_type(sql: str) -> str:
    """'bigint not null' -> 'bigint': an added column is nullable whatever the fresh table says."""
    return re.split(r"\s+(?:not\s+null|default)\b", sql, maxsplit=1, flags=re.I)[0]


def _create_ddl(contract: Contract) -> str:
    columns = ",\n    ".join(f"{name} {sql}" for name, sql in contract.raw_columns())
    table = contract.raw_table
    return (
        f"create table {table} (\n    {columns},\n    loaded_at timestamptz not null default now()\n);\n"
        f"create index {contract.submission_type}_submission_idx on {table} (submission_id);\n"
        # dbt's incremental models read only rows loaded after their newest one
        f"create index {contract.submission_type}_loaded_at_idx on {table} (loaded_at);\n"
        f"grant select, insert on {table} to swdw_loader;\n"
        f"grant select on {table} to swdw_transformer, swdw_auditor;\n"
    )


def _existing_columns(conn, table: str) -> dict[str, str] | None:
    """column -> type of the raw table, None when it does not exist."""
    if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
        return None
    rows = conn.execute(
        """select attname, format_type(atttypid, null) from pg_attribute
            where attrelid = %s::regclass and attnum > 0 and not attisdropped""",
        (table,),
    ).fetchall()
    return dict(rows)


def _type_name(conn, sql_type: str, known: dict[str, str]) -> str:
    """PostgreSQL's name of a contract's type ('timestamptz' -> 'timestamp with time zone')."""
    if sql_type not in known:
        known[sql_type] = conn.execute("select format_type(%s::regtype, null)", (sql_type,)).fetchone()[0]
    return known[sql_type]


def _refusal(contract: Contract, problems: list[str], next_version: int) -> ContractMismatch:
    file_name = f"{next_version:04d}_{contract.submission_type}_columns.sql"
    return ContractMismatch(
        f"contract {contract.submission_type}.yml no longer matches {contract.raw_table}: "
        + "; ".join(problems)
        + f". Raw keeps every load as it came, so swdw does not change it on its own: write the migration "
        f"ingest/warehouse/migrations/{file_name} that moves those columns (rename, cast, or keep them under "
        f"a new name in the contract), or restore the contract."
    )


def pending_raw_steps(conn, next_version: int) -> list[RawStep]:
    """What raw lacks against the contracts; raises ContractMismatch before anything is changed."""
    steps = []
    type_names: dict[str, str] = {}
    for contract in all_contracts().values():
        version = contract_version(contract.submission_type)
        existing = _existing_columns(conn, contract.raw_table)
        if existing is None:
            steps.append(
                RawStep(contract.submission_type, version, f"create {contract.raw_table}", _create_ddl(contract))
            )
            continue
        wanted = {name: _base_type(sql) for name, sql in contract.raw_columns()}
        problems = [
            f"column {name} ({existing[name]}) is no longer in the contract"
            for name in existing
            if name not in wanted and name not in LOAD_COLUMNS
        ]
        problems += [
            f"column {name} is {existing[name]} in raw but {_type_name(conn, sql, type_names)} in the contract"
            for name, sql in wanted.items()
            if name in existing and existing[name] != _type_name(conn, sql, type_names)
        ]
        if problems:
            raise _refusal(contract, problems, next_version)
        missing = [(name, sql) for name, sql in wanted.items() if name not in existing]
        if missing:
            steps.append(
                RawStep(
                    contract.submission_type,
                    version,
                    f"{contract.raw_table}: add nullable " + ", ".join(name for name, _ in missing),
                    "".join(f"alter table {contract.raw_table} add column {name} {sql};\n" for name, sql in missing),
                )
            )
    return steps
