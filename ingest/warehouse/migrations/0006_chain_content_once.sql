-- chain_row_batch took each row's chained content from audit.chain_content: the row as jsonb,
-- expanded key by key and aggregated back, a subquery per row (half the trigger's time on a file's
-- thousands of findings). The same text is the row as jsonb less the columns that are not chained:
-- jsonb keeps an object's keys in one order however it is built, so the hashes do not change, and
-- audit verify still recomputes them with audit.chain_content. Which columns are not chained is
-- read from the transaction's first row and kept beside the head (a column added to the table
-- later is not chained, as before); a rollback to a savepoint undoes both settings together. The
-- function runs in UTC, as audit.chain_content does: a timestamp's text must not follow the session.
create or replace function audit.chain_row_batch() returns trigger language plpgsql set timezone to 'UTC' as $$
declare
    head_setting text := 'swdw_chain_head.t' || tg_relid::int;
    unchained_setting text := 'swdw_chain_unchained.t' || tg_relid::int;
    head text := current_setting(head_setting, true);
    unchained_text text := current_setting(unchained_setting, true);
    row_json jsonb := to_jsonb(new);
    unchained text[];
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
    if coalesce(unchained_text, '') = '' then
        unchained := array(select key from jsonb_object_keys(row_json) as key where key <> all(tg_argv[1:]));
        perform set_config(unchained_setting, unchained::text, true);
    else
        unchained := unchained_text::text[];
    end if;
    new.chain_seq := coalesce(previous_seq, 0) + 1;
    new.prev_hash := previous_hash;
    new.row_hash := audit.chain_hash(new.chain_seq, new.prev_hash, (row_json - unchained)::text);
    perform set_config(head_setting, new.chain_seq || ':' || new.row_hash, true);
    return new;
end $$;
