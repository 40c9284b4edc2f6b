-- One row per message read from the intake mailbox (ingest.jobs.mail_intake): who sent it, for which
-- department, what became of it and where its original (.eml) is kept. Written once, when the message
-- is done: the same Message-ID, or the same UIDVALIDITY and UID, is never processed twice.
-- The sender is an address (personal data): audit only, no model reads it.
create table if not exists audit.mail_message (
    mail_id          bigserial primary key,
    uidvalidity      bigint not null,
    uid              bigint not null,
    message_id       text unique,
    sender           text not null,
    department_code  text,
    received_at      timestamptz not null,
    outcome          text not null check (outcome in ('landed', 'refused', 'unknown_sender')),
    reason           text,
    landed_files     text[],
    reply            text,
    eml_path         text,
    recorded_at      timestamptz not null default now(),
    chain_seq        bigint,
    prev_hash        text,
    row_hash         text,
    unique (uidvalidity, uid)
);
create unique index if not exists mail_message_chain_seq_idx on audit.mail_message (chain_seq);
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'mail_message_append_only' and tgrelid = 'audit.mail_message'::regclass) then create trigger mail_message_append_only before update or delete on audit.mail_message for each row execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'mail_message_no_truncate' and tgrelid = 'audit.mail_message'::regclass) then create trigger mail_message_no_truncate before truncate on audit.mail_message for each statement execute function audit.refuse_change(); end if; end $$;
do $$ begin if not exists (select 1 from pg_trigger where tgname = 'mail_message_chain' and tgrelid = 'audit.mail_message'::regclass) then create trigger mail_message_chain before insert on audit.mail_message for each row execute function audit.chain_row('4243', 'mail_id', 'uidvalidity', 'uid', 'message_id', 'sender', 'department_code', 'received_at', 'outcome', 'reason', 'landed_files', 'reply', 'eml_path', 'recorded_at'); end if; end $$;
grant select, insert on audit.mail_message to swdw_loader;
grant usage on sequence audit.mail_message_mail_id_seq to swdw_loader;
grant select on audit.mail_message to swdw_transformer, swdw_auditor;
revoke update, delete, truncate on audit.mail_message from public, swdw_loader, swdw_transformer, swdw_bi, swdw_auditor;
