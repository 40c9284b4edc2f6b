-- The findings and validation results of a file are COPYed in one statement, thousands of rows at
-- once, and chain_row looked the chain's last row up again for each of them (a query planned per
-- row: most of the load stage's time on a file with many findings). chain_row_batch keeps the head it
-- set last in a transaction-local setting and reads the table only for a transaction's first row.
-- The chain, its hashes and its lock are chain_row's, unchanged: the lock is taken with that first
-- lookup and held until commit, so no other writer appends in between; a rollback to a savepoint
-- also rolls the setting back, so a head that was undone is never used. Only for tables written
-- without ON CONFLICT: a row that a conflict skips after its BEFORE trigger ran would leave a head
-- the table does not hold (audit.submission, audit.pii_key, audit.mail_message and
-- audit.schema_migration keep chain_row).
create or replace function audit.chain_row_batch() returns trigger language plpgsql as $$
declare
    head_setting text := 'swdw_chain_head.t' || tg_relid::int;
    head text := current_setting(head_setting, true);
    previous_seq bigint;
    previous_hash text;
begin
    if coalesce(head, '') = '' then
        perform pg_advisory_xact_lock(tg_argv[0]::int, tg_relid::int);
        execute format('select chain_seq, row_hash from %s where chain_seq is not null '
                       'order by chain_seq desc limit 1', tg_relid::regclass)
            into previous_seq, previous_hash;
    else
        previous_seq := split_part(head, ':', 1)::bigint;
        previous_hash := nullif(split_part(head, ':', 2), '');
    end if;
    new.chain_seq := coalesce(previous_seq, 0) + 1;
    new.prev_hash := previous_hash;
    new.row_hash := audit.chain_hash(new.chain_seq, new.prev_hash, audit.chain_content(new, tg_argv[1:]));
    perform set_config(head_setting, new.chain_seq || ':' || new.row_hash, true);
    return new;
end $$;
-- the three triggers move to it with the arguments 0001 gave them (the lock namespace and the
-- chained columns, read back from pg_trigger: the lists stay those of ingest.warehouse.schema)
do $$
declare
    t record;
    arguments text;
begin
    for t in
        select tgrelid::regclass as tbl, tgname, tgargs from pg_trigger
         where tgname in ('submission_finding_chain', 'validation_result_chain', 'reprocess_finding_chain')
           and tgrelid::regclass::text in ('audit.submission_finding', 'audit.validation_result', 'audit.reprocess_finding')
    loop
        select string_agg(quote_literal(a), ', ' order by n) into arguments
          from unnest(array_remove(string_to_array(encode(t.tgargs, 'escape'), '\000'), '')) with ordinality as u (a, n);
        execute format('create or replace trigger %I before insert on %s for each row execute function audit.chain_row_batch(%s)',
                       t.tgname, t.tbl, arguments);
    end loop;
end $$;
