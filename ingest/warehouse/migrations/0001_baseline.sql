-- 0001 baseline: the warehouse as swdw 0.1.0 (the release before migrations) built it, plus the
-- table that records migrations: roles and schemas, the audit tables, their guards and hash
-- chains (the column lists are ingest.warehouse.schema's), and the grants. Raw tables follow
-- the contracts (ingest.warehouse.migrations.raw_tables). Every statement is idempotent, so
-- applying this over a warehouse the previous release built adopts it and keeps its rows.
-- Released: never edit; put a change in a new migration.
do $$ begin create role swdw_loader nologin; exception when duplicate_object then null; end $$;
do $$ begin create role swdw_transformer nologin; exception when duplicate_object then null; end $$;
do $$ begin create role swdw_bi nologin; exception when duplicate_object then null; end $$;
do $$ begin create role swdw_auditor nologin; exception when duplicate_object then null; end $$;
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
-- which migrations built this warehouse, and which swdw applied each (ingest.warehouse.migrations)
create table if not exists audit.schema_migration (
    version       text primary key,
    name          text not null,
    checksum      text not null,
    applied_at    timestamptz not null default now(),
    swdw_version  text not null
);

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
-- a table from before the chains gets the chain columns, its rows sealed once in key order
create or replace function audit.adopt_chain(tbl regclass, order_key text, columns text[]) returns void
    language plpgsql as $$
declare
    r record;
    seq bigint := 0;
    previous text;
begin
    if exists (select 1 from pg_attribute where attrelid = tbl and attname = 'row_hash') then
        return;
    end if;
    execute format('alter table %s add column chain_seq bigint, add column prev_hash text, add column row_hash text', tbl);
    execute format('create unique index %I on %s (chain_seq)', split_part(tbl::text, '.', 2) || '_chain_seq_idx', tbl);
    execute format('alter table %s disable trigger user', tbl);
    for r in execute format(
        'select ctid as row_ctid, audit.chain_content(t, $1) as content from %s t order by %s, ctid', tbl, order_key
    ) using columns loop
        seq := seq + 1;
        execute format(
            'update %s set chain_seq = $1, prev_hash = $2, row_hash = audit.chain_hash($1, $2, $3) '
            'where ctid = $4 returning row_hash', tbl
        ) into previous using seq, previous, r.content, r.row_ctid;
    end loop;
    execute format('alter table %s enable trigger user', tbl);
end $$;
select audit.adopt_chain('audit.submission', 'submission_id', array['submission_id', 'department_code', 'submission_type', 'file_name', 'landing_path', 'sha256', 'bytes', 'received_at']);
select audit.adopt_chain('audit.submission_finding', 'finding_id', array['finding_id', 'submission_id', 'source_row', 'column_name', 'column_header', 'value', 'rule', 'severity', 'message_zh', 'message_en', 'recorded_at']);
select audit.adopt_chain('audit.validation_result', 'result_id', array['result_id', 'submission_id', 'suite_name', 'expectation_type', 'column_name', 'rule', 'severity', 'success', 'observed_value', 'unexpected_count', 'unexpected_source_rows', 'run_at']);
select audit.adopt_chain('audit.pipeline_run', 'run_id', array['run_id', 'started_at', 'trigger', 'files_seen']);
select audit.adopt_chain('audit.reprocess_run', 'reprocess_id', array['reprocess_id', 'submission_id', 'requested_by', 'airflow_run_id', 'parameters', 'previous_status', 'previous_error_count', 'previous_warning_count', 'sha256_verified', 'started_at']);
select audit.adopt_chain('audit.reprocess_finding', 'reprocess_id', array['reprocess_id', 'submission_id', 'source_row', 'column_name', 'column_header', 'value', 'rule', 'severity', 'message_zh', 'message_en']);
select audit.adopt_chain('audit.lateness_check', 'check_id', array['check_id', 'check_date', 'period_month', 'department_code', 'submission_type', 'due_date', 'status', 'days_late', 'submissions_received', 'submissions_quarantined', 'first_accepted_at', 'accepted_submission_id', 'airflow_run_id', 'checked_at']);
select audit.adopt_chain('audit.schema_migration', 'version', array['version', 'name', 'checksum', 'applied_at', 'swdw_version']);

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

create or replace function audit.guard_submission() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and (new.submission_id, new.department_code, new.submission_type, new.file_name, new.landing_path, new.sha256, new.bytes, new.received_at, new.chain_seq, new.prev_hash, new.row_hash) is not distinct from (old.submission_id, old.department_code, old.submission_type, old.file_name, old.landing_path, old.sha256, old.bytes, old.received_at, old.chain_seq, old.prev_hash, old.row_hash) then
        return new;
    end if;
    raise exception 'audit.submission: % refused for submission %: only its lifecycle columns may change',
        tg_op, old.submission_id
        using errcode = 'insufficient_privilege',
              hint = 'sha256, bytes, file_name, department_code, submission_type, received_at, '
                     'landing_path and the hash chain are fixed when a file is registered; rows are never deleted';
end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'validation_result_append_only' and tgrelid = 'audit.validation_result'::regclass) then create trigger validation_result_append_only before update or delete on audit.validation_result for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_finding_append_only' and tgrelid = 'audit.submission_finding'::regclass) then create trigger submission_finding_append_only before update or delete on audit.submission_finding for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_finding_append_only' and tgrelid = 'audit.reprocess_finding'::regclass) then create trigger reprocess_finding_append_only before update or delete on audit.reprocess_finding for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'lateness_check_append_only' and tgrelid = 'audit.lateness_check'::regclass) then create trigger lateness_check_append_only before update or delete on audit.lateness_check for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'schema_migration_append_only' and tgrelid = 'audit.schema_migration'::regclass) then create trigger schema_migration_append_only before update or delete on audit.schema_migration for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'pipeline_run_fixed_columns' and tgrelid = 'audit.pipeline_run'::regclass) then create trigger pipeline_run_fixed_columns before update or delete on audit.pipeline_run for each row execute function audit.guard_fixed_columns('finished_at', 'loaded', 'quarantined', 'duplicates', 'failed'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_run_fixed_columns' and tgrelid = 'audit.reprocess_run'::regclass) then create trigger reprocess_run_fixed_columns before update or delete on audit.reprocess_run for each row execute function audit.guard_fixed_columns('verdict', 'action', 'new_status', 'row_count', 'error_count', 'warning_count', 'reason', 'feedback_path', 'finished_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_received_facts_fixed' and tgrelid = 'audit.submission'::regclass) then create trigger submission_received_facts_fixed before update or delete on audit.submission for each row execute function audit.guard_submission(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'validation_result_no_truncate' and tgrelid = 'audit.validation_result'::regclass) then create trigger validation_result_no_truncate before truncate on audit.validation_result for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_finding_no_truncate' and tgrelid = 'audit.submission_finding'::regclass) then create trigger submission_finding_no_truncate before truncate on audit.submission_finding for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_finding_no_truncate' and tgrelid = 'audit.reprocess_finding'::regclass) then create trigger reprocess_finding_no_truncate before truncate on audit.reprocess_finding for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'lateness_check_no_truncate' and tgrelid = 'audit.lateness_check'::regclass) then create trigger lateness_check_no_truncate before truncate on audit.lateness_check for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'schema_migration_no_truncate' and tgrelid = 'audit.schema_migration'::regclass) then create trigger schema_migration_no_truncate before truncate on audit.schema_migration for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'pipeline_run_no_truncate' and tgrelid = 'audit.pipeline_run'::regclass) then create trigger pipeline_run_no_truncate before truncate on audit.pipeline_run for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_run_no_truncate' and tgrelid = 'audit.reprocess_run'::regclass) then create trigger reprocess_run_no_truncate before truncate on audit.reprocess_run for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_no_truncate' and tgrelid = 'audit.submission'::regclass) then create trigger submission_no_truncate before truncate on audit.submission for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_chain' and tgrelid = 'audit.submission'::regclass) then create trigger submission_chain before insert on audit.submission for each row execute function audit.chain_row('4243', 'submission_id', 'department_code', 'submission_type', 'file_name', 'landing_path', 'sha256', 'bytes', 'received_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'submission_finding_chain' and tgrelid = 'audit.submission_finding'::regclass) then create trigger submission_finding_chain before insert on audit.submission_finding for each row execute function audit.chain_row('4243', 'finding_id', 'submission_id', 'source_row', 'column_name', 'column_header', 'value', 'rule', 'severity', 'message_zh', 'message_en', 'recorded_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'validation_result_chain' and tgrelid = 'audit.validation_result'::regclass) then create trigger validation_result_chain before insert on audit.validation_result for each row execute function audit.chain_row('4243', 'result_id', 'submission_id', 'suite_name', 'expectation_type', 'column_name', 'rule', 'severity', 'success', 'observed_value', 'unexpected_count', 'unexpected_source_rows', 'run_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'pipeline_run_chain' and tgrelid = 'audit.pipeline_run'::regclass) then create trigger pipeline_run_chain before insert on audit.pipeline_run for each row execute function audit.chain_row('4243', 'run_id', 'started_at', 'trigger', 'files_seen'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_run_chain' and tgrelid = 'audit.reprocess_run'::regclass) then create trigger reprocess_run_chain before insert on audit.reprocess_run for each row execute function audit.chain_row('4243', 'reprocess_id', 'submission_id', 'requested_by', 'airflow_run_id', 'parameters', 'previous_status', 'previous_error_count', 'previous_warning_count', 'sha256_verified', 'started_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'reprocess_finding_chain' and tgrelid = 'audit.reprocess_finding'::regclass) then create trigger reprocess_finding_chain before insert on audit.reprocess_finding for each row execute function audit.chain_row('4243', 'reprocess_id', 'submission_id', 'source_row', 'column_name', 'column_header', 'value', 'rule', 'severity', 'message_zh', 'message_en'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'lateness_check_chain' and tgrelid = 'audit.lateness_check'::regclass) then create trigger lateness_check_chain before insert on audit.lateness_check for each row execute function audit.chain_row('4243', 'check_id', 'check_date', 'period_month', 'department_code', 'submission_type', 'due_date', 'status', 'days_late', 'submissions_received', 'submissions_quarantined', 'first_accepted_at', 'accepted_submission_id', 'airflow_run_id', 'checked_at'); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'schema_migration_chain' and tgrelid = 'audit.schema_migration'::regclass) then create trigger schema_migration_chain before insert on audit.schema_migration for each row execute function audit.chain_row('4243', 'version', 'name', 'checksum', 'applied_at', 'swdw_version'); end if; end $$;

grant select, insert on all tables in schema raw to swdw_loader;
grant select, insert, update on all tables in schema audit to swdw_loader;
grant usage on all sequences in schema raw, audit to swdw_loader;
grant select on all tables in schema raw, audit to swdw_transformer, swdw_auditor;
-- audit rows are evidence: no role may update or delete findings and validation results;
-- the loader updates only the register's lifecycle columns (enforced by audit_guards_ddl)
revoke update, delete, truncate on audit.validation_result, audit.submission_finding, audit.reprocess_finding, audit.lateness_check, audit.schema_migration
    from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
revoke delete, truncate on audit.submission, audit.pipeline_run, audit.reprocess_run from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
alter default privileges in schema marts grant select on tables to swdw_bi, swdw_auditor;
