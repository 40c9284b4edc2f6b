"""Every DDL statement of the warehouse: schemas, roles and grants (docs/design.md §7), every audit
table with its tamper guard, and the raw tables (generated from the contracts).

Idempotent; run before every ingest, reprocess and calendar check. No other module creates
or alters a table.
"""

from __future__ import annotations

from ingest.intake.contracts import all_contracts
from ingest.warehouse.locks import CHAIN_NAMESPACE

ROLES = ("swdw_loader", "swdw_transformer", "swdw_bi", "swdw_auditor")

AUDIT_DDL = """
create table if not exists audit.submission (
    submission_id    bigserial primary key,
    department_code  text not null,
    submission_type  text not null,
    report_period    date,
    period_start     date,
    period_end       date,
    file_name        text not null,
    landing_path     text not null,
    sha256           text not null,
    bytes            bigint not null,
    received_at      timestamptz not null default now(),
    status           text not null default 'received'
        check (status in ('received', 'validating', 'loaded', 'quarantined', 'superseded')),
    status_reason    text,
    row_count        integer,
    error_count      integer not null default 0,
    warning_count    integer not null default 0,
    -- processing attempts; a file interrupted this often is quarantined instead of retried forever
    attempts         integer not null default 0,
    superseded_by    bigint references audit.submission (submission_id),
    data_docs_url    text,
    feedback_path    text,
    archive_path     text,
    loaded_at        timestamptz,
    updated_at       timestamptz not null default now(),
    -- the same bytes from the same department and type are registered once
    unique (department_code, submission_type, sha256)
);
create table if not exists audit.submission_finding (
    finding_id       bigserial primary key,
    submission_id    bigint not null references audit.submission (submission_id),
    source_row       integer,
    column_name      text,
    column_header    text,
    value            text,
    rule             text not null,
    severity         text not null check (severity in ('error', 'warning')),
    message_zh       text not null,
    message_en       text not null,
    recorded_at      timestamptz not null default now()
);
create table if not exists audit.validation_result (
    result_id          bigserial primary key,
    submission_id      bigint not null references audit.submission (submission_id),
    suite_name         text not null,
    expectation_type   text not null,
    column_name        text,
    rule               text,
    severity           text not null,
    success            boolean not null,
    observed_value     jsonb,
    unexpected_count   integer,
    unexpected_source_rows integer[],
    run_at             timestamptz not null default now()
);
create table if not exists audit.pipeline_run (
    run_id        bigserial primary key,
    started_at    timestamptz not null default now(),
    finished_at   timestamptz,
    trigger       text not null,
    files_seen    integer,
    loaded        integer,
    quarantined   integer,
    duplicates    integer,
    failed        integer
);
create table if not exists audit.reprocess_run (
    reprocess_id          bigserial primary key,
    submission_id         bigint not null references audit.submission (submission_id),
    requested_by          text,
    airflow_run_id        text,
    parameters            jsonb,
    previous_status       text not null,
    previous_error_count  integer,
    previous_warning_count integer,
    sha256_verified       boolean not null,
    verdict               text check (verdict in ('accepted', 'rejected')),
    action                text not null check (action in
        ('loaded', 'still_rejected', 'confirmed', 'flagged', 'skipped')),
    new_status            text,
    row_count             integer,
    error_count           integer,
    warning_count         integer,
    reason                text,
    feedback_path         text,
    started_at            timestamptz not null default now(),
    finished_at           timestamptz
);
create table if not exists audit.reprocess_finding (
    reprocess_id     bigint not null references audit.reprocess_run (reprocess_id),
    submission_id    bigint not null,
    source_row       integer,
    column_name      text,
    column_header    text,
    value            text,
    rule             text not null,
    severity         text not null check (severity in ('error', 'warning')),
    message_zh       text not null,
    message_en       text not null
);
create index if not exists reprocess_run_submission_idx on audit.reprocess_run (submission_id);
create table if not exists audit.lateness_check (
    check_id          bigserial primary key,
    check_date        date not null,
    period_month      date not null,
    department_code   text not null,
    submission_type   text not null,
    due_date          date not null,
    status            text not null check (status in ('on_time', 'late', 'rejected', 'missing')),
    days_late         integer,
    submissions_received integer not null,
    submissions_quarantined integer not null,
    first_accepted_at timestamptz,
    accepted_submission_id bigint,
    airflow_run_id    text,
    checked_at        timestamptz not null default now()
);
-- The month a register row reports for, defined once: its report_period, else the end, else the
-- start of the event dates it covers, else the month before it landed (city time). dbt's macro
-- submission_period_month, reprocess and the reporting calendar all call this function.
create or replace function audit.submission_period_month(
    report_period date, period_start date, period_end date, received_at timestamptz, local_timezone text
) returns date language sql stable as $$
    select coalesce(
        date_trunc('month', report_period)::date,
        date_trunc('month', period_end)::date,
        date_trunc('month', period_start)::date,
        (date_trunc('month', received_at at time zone local_timezone)::date - interval '1 month')::date
    )
$$;
-- append-only: a re-run of a day adds rows; the latest checked_at of a day is that day's answer
create index if not exists lateness_check_day_idx
    on audit.lateness_check (check_date, period_month, department_code, submission_type, checked_at);
"""


_AUDIT_GUARD_FUNCTIONS = """
-- Audit rows are evidence. Grants alone do not bind the owner or a superuser, so triggers
-- refuse the changes for every role: findings and validation results are append-only; the
-- submission register keeps what was received (who, what, which bytes, when) fixed and lets
-- only the lifecycle columns (status, counts, periods, paths, urls, timestamps) move.
create or replace function audit.refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit.% is append-only: % refused', tg_table_name, tg_op
        using errcode = 'insufficient_privilege',
              hint = 'audit rows are evidence; record a new row instead';
end $$;
-- the other audit tables with a lifecycle (a run that starts, then finishes) name the columns
-- that may move as trigger arguments; every other column is fixed once written
create or replace function audit.guard_fixed_columns() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and (to_jsonb(new) - tg_argv) = (to_jsonb(old) - tg_argv) then
        return new;
    end if;
    raise exception 'audit.%: % refused: only % may change', tg_table_name, tg_op, array_to_string(tg_argv, ', ')
        using errcode = 'insufficient_privilege',
              hint = 'audit rows are evidence; record a new row instead';
end $$;
"""


_GUARD_SUBMISSION = """
create or replace function audit.guard_submission() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and ({new_fixed}) is not distinct from ({old_fixed}) then
        return new;
    end if;
    raise exception 'audit.submission: % refused for submission %: only its lifecycle columns may change',
        tg_op, old.submission_id
        using errcode = 'insufficient_privilege',
              hint = 'sha256, bytes, file_name, department_code, submission_type, received_at, '
                     'landing_path and the hash chain are fixed when a file is registered; rows are never deleted';
end $$;
"""


# Every audit table and how it is guarded; tests/test_ingest.py checks that no audit table is missing.
APPEND_ONLY_TABLES = (
    "audit.validation_result",
    "audit.submission_finding",
    "audit.reprocess_finding",
    "audit.lateness_check",
)
# table -> the columns a later step of the same run may fill in
LIFECYCLE_COLUMNS = {
    "audit.pipeline_run": ("finished_at", "loaded", "quarantined", "duplicates", "failed"),
    "audit.reprocess_run": (
        "verdict",
        "action",
        "new_status",
        "row_count",
        "error_count",
        "warning_count",
        "reason",
        "feedback_path",
        "finished_at",
    ),
}


# Tamper evidence beyond the guards, which an owner or a superuser can disable: every row of every
# audit table carries a hash over its chained columns and the previous row's hash, one chain per
# table (verified by ingest.warehouse.audit_chain). A table whose rows move later chains only what
# is fixed at insert (a file's received facts, a run's start): its lifecycle columns are guarded by
# the triggers above but not chained, so a status change never breaks a chain. The lists are frozen
# once rows are chained: a column added later is not in the hash of earlier rows.
CHAIN_COLUMNS = ("chain_seq", "prev_hash", "row_hash")
SUBMISSION_RECEIVED_FACTS = (
    "submission_id",
    "department_code",
    "submission_type",
    "file_name",
    "landing_path",
    "sha256",
    "bytes",
    "received_at",
)
# what a load writes into audit.validation_result, one row per expectation (register.record_validation_results)
VALIDATION_RESULT_COLUMNS = (
    "submission_id",
    "suite_name",
    "expectation_type",
    "column_name",
    "rule",
    "severity",
    "success",
    "observed_value",
    "unexpected_count",
    "unexpected_source_rows",
)
# what a finding row holds, in audit.submission_finding and audit.reprocess_finding (register.record_findings)
FINDING_COLUMNS = (
    "submission_id",
    "source_row",
    "column_name",
    "column_header",
    "value",
    "rule",
    "severity",
    "message_zh",
    "message_en",
)
# table -> its chained columns; the first names a row in verify's report (tests check every column is placed)
CHAINED_COLUMNS = {
    "audit.submission": SUBMISSION_RECEIVED_FACTS,
    "audit.submission_finding": ("finding_id", *FINDING_COLUMNS, "recorded_at"),
    "audit.validation_result": ("result_id", *VALIDATION_RESULT_COLUMNS, "run_at"),
    "audit.pipeline_run": ("run_id", "started_at", "trigger", "files_seen"),
    "audit.reprocess_run": (
        "reprocess_id",
        "submission_id",
        "requested_by",
        "airflow_run_id",
        "parameters",
        "previous_status",
        "previous_error_count",
        "previous_warning_count",
        "sha256_verified",
        "started_at",
    ),
    "audit.reprocess_finding": ("reprocess_id", *FINDING_COLUMNS),
    "audit.lateness_check": (
        "check_id",
        "check_date",
        "period_month",
        "department_code",
        "submission_type",
        "due_date",
        "status",
        "days_late",
        "submissions_received",
        "submissions_quarantined",
        "first_accepted_at",
        "accepted_submission_id",
        "airflow_run_id",
        "checked_at",
    ),
}

_CHAIN_FUNCTIONS = """
-- the chained columns as canonical text: jsonb orders the keys, and UTC makes a timestamp read
-- the same whatever the session's time zone
create or replace function audit.chain_content(rec anyelement, columns text[]) returns text
    language sql stable set timezone to 'UTC' as $$
    select coalesce(jsonb_object_agg(key, value), '{}')::text from jsonb_each(to_jsonb(rec)) where key = any(columns)
$$;
create or replace function audit.chain_hash(seq bigint, prev text, content text) returns text
    language sql immutable as $$
    select encode(sha256(convert_to(seq || '|' || coalesce(prev, '') || '|' || content, 'UTF8')), 'hex')
$$;
-- before insert; tg_argv = (lock namespace, chained columns...). The chain's lock is held until
-- commit, so the next writer reads this row as its previous one (read committed: the lookup after
-- the lock sees that commit; a writer on an older snapshot hits the unique index, never forks the
-- chain); chain_seq, not the id a sequence hands out before the lock, is the order of the chain.
create or replace function audit.chain_row() returns trigger language plpgsql as $$
declare
    previous_seq bigint;
    previous_hash text;
begin
    perform pg_advisory_xact_lock(tg_argv[0]::int, tg_relid::int);
    execute format('select chain_seq, row_hash from %s where chain_seq is not null '
                   'order by chain_seq desc limit 1', tg_relid::regclass)
        into previous_seq, previous_hash;
    new.chain_seq := coalesce(previous_seq, 0) + 1;
    new.prev_hash := previous_hash;
    new.row_hash := audit.chain_hash(new.chain_seq, new.prev_hash, audit.chain_content(new, tg_argv[1:]));
    return new;
end $$;
"""


def _sql_array(columns) -> str:
    return "array[" + ", ".join(f"'{column}'" for column in columns) + "]"


def _chain_columns_ddl(table: str, columns: tuple[str, ...]) -> str:
    """Add the chain columns once; rows written before the chain existed are sealed then, in id order."""
    name = table.split(".")[1]
    return f"""do $$
declare
    r record;
    seq bigint := 0;
    previous text;
begin
    if exists (select 1 from pg_attribute where attrelid = '{table}'::regclass and attname = 'row_hash') then
        return;
    end if;
    alter table {table} add column chain_seq bigint, add column prev_hash text, add column row_hash text;
    create unique index {name}_chain_seq_idx on {table} (chain_seq);
    if exists (select 1 from {table}) then
        alter table {table} disable trigger user;
        for r in select ctid as row_ctid, audit.chain_content(t, {_sql_array(columns)}) as content
                   from {table} t order by {columns[0]}, ctid loop
            seq := seq + 1;
            update {table} set chain_seq = seq, prev_hash = previous,
                               row_hash = audit.chain_hash(seq, previous, r.content)
             where ctid = r.row_ctid returning row_hash into previous;
        end loop;
        alter table {table} enable trigger user;
    end if;
end $$;"""


def chain_ddl() -> str:
    return _CHAIN_FUNCTIONS + "\n".join(_chain_columns_ddl(t, c) for t, c in CHAINED_COLUMNS.items()) + "\n"


def _audit_triggers() -> list[tuple[str, str, str, str, str]]:
    """(trigger, table, event, level, function call) for every audit table."""
    triggers = []
    for table in APPEND_ONLY_TABLES:
        name = table.split(".")[1]
        triggers.append((f"{name}_append_only", table, "update or delete", "row", "refuse_change()"))
    for table, movable in LIFECYCLE_COLUMNS.items():
        name = table.split(".")[1]
        arguments = ", ".join(f"'{column}'" for column in movable)
        triggers.append(
            (f"{name}_fixed_columns", table, "update or delete", "row", f"guard_fixed_columns({arguments})")
        )
    triggers.append(
        ("submission_received_facts_fixed", "audit.submission", "update or delete", "row", "guard_submission()")
    )
    for table in (*APPEND_ONLY_TABLES, *LIFECYCLE_COLUMNS, "audit.submission"):
        triggers.append((f"{table.split('.')[1]}_no_truncate", table, "truncate", "statement", "refuse_change()"))
    for table, columns in CHAINED_COLUMNS.items():
        arguments = ", ".join(f"'{argument}'" for argument in (CHAIN_NAMESPACE, *columns))
        triggers.append((f"{table.split('.')[1]}_chain", table, "insert", "row", f"chain_row({arguments})"))
    return triggers


def audit_guards_ddl() -> str:
    triggers = "\n".join(
        f"do $$ begin if not exists (select 1 from pg_trigger where tgname = '{name}' "
        f"and tgrelid = '{table}'::regclass) then create trigger {name} before {event} on {table} "
        f"for each {level} execute function audit.{function}; end if; end $$;"
        for name, table, event, level, function in _audit_triggers()
    )
    fixed = (*SUBMISSION_RECEIVED_FACTS, *CHAIN_COLUMNS)
    guard_submission = _GUARD_SUBMISSION.replace("{new_fixed}", ", ".join(f"new.{column}" for column in fixed)).replace(
        "{old_fixed}", ", ".join(f"old.{column}" for column in fixed)
    )
    return _AUDIT_GUARD_FUNCTIONS + guard_submission + triggers + "\n"


def raw_ddl() -> str:
    statements = []
    for contract in all_contracts().values():
        columns = ",\n    ".join(f"{name} {sql}" for name, sql in contract.raw_columns())
        statements.append(
            f"create table if not exists {contract.raw_table} (\n    {columns},\n"
            f"    loaded_at timestamptz not null default now()\n);\n"
            f"create index if not exists {contract.submission_type}_submission_idx "
            f"on {contract.raw_table} (submission_id);\n"
            # dbt's incremental models read only rows loaded after their newest one
            f"create index if not exists {contract.submission_type}_loaded_at_idx "
            f"on {contract.raw_table} (loaded_at);"
        )
    return "\n".join(statements)


def roles_ddl() -> str:
    create_roles = "\n".join(
        f"do $$ begin create role {role} nologin; exception when duplicate_object then null; end $$;" for role in ROLES
    )
    return (
        create_roles
        + """
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
grant usage on schema raw, audit to swdw_loader;
-- loading needs no DDL: tables are created by bootstrap as the owner, so the loader cannot add
-- an audit table that no guard or chain covers
revoke create on schema raw, audit from swdw_loader;
grant usage on schema raw, audit to swdw_transformer, swdw_auditor;
grant usage, create on schema staging, intermediate, marts to swdw_transformer;
grant usage on schema marts to swdw_bi, swdw_auditor;
revoke all on schema raw, audit, staging, intermediate from swdw_bi;
"""
    )


GRANTS_DDL = """
grant select, insert on all tables in schema raw to swdw_loader;
grant select, insert, update on all tables in schema audit to swdw_loader;
grant usage on all sequences in schema raw, audit to swdw_loader;
grant select on all tables in schema raw, audit to swdw_transformer, swdw_auditor;
-- audit rows are evidence: no role may update or delete findings and validation results;
-- the loader updates only the register's lifecycle columns (enforced by audit_guards_ddl)
revoke update, delete, truncate on {append_only}
    from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
revoke delete, truncate on {lifecycle} from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
alter default privileges in schema marts grant select on tables to swdw_bi, swdw_auditor;
"""


def grants_ddl() -> str:
    return GRANTS_DDL.format(
        append_only=", ".join(APPEND_ONLY_TABLES),
        lifecycle=", ".join(("audit.submission", *LIFECYCLE_COLUMNS)),
    )


def bootstrap_sql() -> str:
    return roles_ddl() + AUDIT_DDL + chain_ddl() + audit_guards_ddl() + raw_ddl() + grants_ddl()
