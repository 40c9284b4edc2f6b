-- The fingerprint of the PII key the warehouse's personal-data hashes were made with (one row).
-- A pass started with another key is refused: its hashes would no longer join the stored ones.
create table if not exists audit.pii_key (
    only_row     boolean primary key default true check (only_row),
    fingerprint  text not null,
    recorded_at  timestamptz not null default now()
);
grant select, insert on audit.pii_key to swdw_loader;
grant select on audit.pii_key to swdw_transformer, swdw_auditor;
revoke update, delete, truncate on audit.pii_key from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
