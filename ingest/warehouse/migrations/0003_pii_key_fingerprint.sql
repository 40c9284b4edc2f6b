-- The fingerprint of the PII key the warehouse's personal-data hashes were made with (one row).
-- A pass started with another key is refused: its hashes would no longer join the stored ones.
-- Evidence like every audit table: append-only, guarded, hash-chained (ingest.warehouse.schema).
create table if not exists audit.pii_key (
    only_row     boolean primary key default true check (only_row),
    fingerprint  text not null,
    recorded_at  timestamptz not null default now(),
    chain_seq    bigint unique,
    prev_hash    text,
    row_hash     text
);
create or replace trigger pii_key_chain before insert on audit.pii_key
    for each row execute function audit.chain_row('4243', 'fingerprint', 'recorded_at', 'only_row');
create or replace trigger pii_key_append_only before update or delete on audit.pii_key
    for each row execute function audit.refuse_change();
create or replace trigger pii_key_no_truncate before truncate on audit.pii_key
    for each statement execute function audit.refuse_change();
grant select, insert on audit.pii_key to swdw_loader;
grant select on audit.pii_key to swdw_transformer, swdw_auditor;
revoke update, delete, truncate on audit.pii_key from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
