"""Warehouse bootstrap: schemas, roles and grants (DESIGN §7), audit tables, raw tables.

Idempotent; run before every ingest. Raw tables are generated from the contracts.
"""

from __future__ import annotations

from ingest.intake.contracts import all_contracts

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
    duplicates    integer
);
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
create or replace function audit.guard_submission() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and (new.submission_id, new.department_code, new.submission_type, new.file_name,
                              new.landing_path, new.sha256, new.bytes, new.received_at)
            is not distinct from (old.submission_id, old.department_code, old.submission_type, old.file_name,
                                  old.landing_path, old.sha256, old.bytes, old.received_at) then
        return new;
    end if;
    raise exception 'audit.submission: % refused for submission %: only its lifecycle columns may change',
        tg_op, old.submission_id
        using errcode = 'insufficient_privilege',
              hint = 'sha256, bytes, file_name, department_code, submission_type, received_at and '
                     'landing_path are fixed when a file is registered; rows are never deleted';
end $$;
"""


# (trigger, table, event, level, function): created once, so a bootstrap does not lock the tables
AUDIT_TRIGGERS = (
    ("validation_result_append_only", "audit.validation_result", "update or delete", "row", "refuse_change"),
    ("validation_result_no_truncate", "audit.validation_result", "truncate", "statement", "refuse_change"),
    ("submission_finding_append_only", "audit.submission_finding", "update or delete", "row", "refuse_change"),
    ("submission_finding_no_truncate", "audit.submission_finding", "truncate", "statement", "refuse_change"),
    ("submission_received_facts_fixed", "audit.submission", "update or delete", "row", "guard_submission"),
    ("submission_no_truncate", "audit.submission", "truncate", "statement", "refuse_change"),
)


def audit_guards_ddl() -> str:
    triggers = "\n".join(
        f"do $$ begin if not exists (select 1 from pg_trigger where tgname = '{name}' "
        f"and tgrelid = '{table}'::regclass) then create trigger {name} before {event} on {table} "
        f"for each {level} execute function audit.{function}(); end if; end $$;"
        for name, table, event, level, function in AUDIT_TRIGGERS
    )
    return _AUDIT_GUARD_FUNCTIONS + triggers + "\n"


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
grant usage, create on schema raw, audit to swdw_loader;
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
revoke update, delete, truncate on audit.validation_result, audit.submission_finding
    from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
revoke delete, truncate on audit.submission from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
alter default privileges in schema marts grant select on tables to swdw_bi, swdw_auditor;
"""


def bootstrap_sql() -> str:
    return roles_ddl() + AUDIT_DDL + audit_guards_ddl() + raw_ddl() + GRANTS_DDL
