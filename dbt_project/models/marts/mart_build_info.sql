{{ config(materialized='view') }}
-- 构建信息: one row per marts table with when it was last built and the register entries it
-- reflects, read live from the stamp each build writes on the table (macro stamp_build_info);
-- register_changes_since_build > 0 or a null built_at tells BI that a table is stale;
-- built_from_current_register says whether the register is where the build found it (macro register_position).
{%- set mart_tables = [] %}
{%- if execute %}
    {%- for node in graph.nodes.values() %}
        {%- if node.resource_type == 'model' and node.config.schema == 'marts'
            and node.config.materialized in ('table', 'incremental') %}
            {%- do mart_tables.append(node.alias) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}
with mart_tables as (
    select mart_name
    from unnest(string_to_array('{{ mart_tables | sort | join(",") }}', ',')) as mart_names (mart_name)
),

table_comments as (
    select
        classes.relname as mart_name,
        obj_description(classes.oid, 'pg_class') as comment_text
    from pg_catalog.pg_class as classes
    inner join pg_catalog.pg_namespace as namespaces on classes.relnamespace = namespaces.oid
    where
        namespaces.nspname = '{{ this.schema }}'
        and classes.relkind in ('r', 'p')
),

stamps as (
    select
        mart_name,
        stamp
    from (
        select
            mart_name,
            case when pg_input_is_valid(comment_text, 'jsonb') then comment_text::jsonb end as stamp
        from table_comments
    ) as parsed
    where stamp ? 'swdw_build_info'
),

register as (
    select
        submission_id,
        status,
        updated_at
    from {{ ref('stg_submissions') }}
),

register_now as (
    select {{ register_position('register') }} as register_position
    from register
),

build_info as (
    select
        mart_tables.mart_name,
        (stamps.stamp ->> 'built_at')::timestamptz as built_at,
        (stamps.stamp ->> 'register_max_submission_id')::bigint as register_max_submission_id,
        (stamps.stamp ->> 'register_max_received_at')::timestamptz as register_max_received_at,
        (stamps.stamp ->> 'register_max_loaded_at')::timestamptz as register_max_loaded_at,
        stamps.stamp ->> 'dbt_invocation_id' as dbt_invocation_id,
        stamps.stamp ->> 'register_position' as register_position,
        stamps.stamp ->> 'dbt_project_hash' as dbt_project_hash
    from mart_tables
    left join stamps on mart_tables.mart_name = stamps.mart_name
)

select
    build_info.mart_name,
    build_info.built_at,
    build_info.register_max_submission_id,
    build_info.register_max_received_at,
    build_info.register_max_loaded_at,
    -- register rows added or changed (loaded, quarantined, superseded) since the build
    (
        select count(*)
        from register
        where
            register.submission_id > coalesce(build_info.register_max_submission_id, 0)
            or register.updated_at > build_info.built_at
    ) as register_changes_since_build,
    build_info.dbt_invocation_id,
    build_info.register_position,
    coalesce(build_info.register_position = register_now.register_position, false) as built_from_current_register,
    build_info.dbt_project_hash
from build_info
cross join register_now
