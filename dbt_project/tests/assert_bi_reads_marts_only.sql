-- docs/design.md §7: swdw_bi reads marts and nothing else; swdw_auditor reads audit, raw and marts
-- but not the dbt working schemas. One row per privilege that breaks this.
-- depends_on: {{ ref('mart_coverage') }}
-- depends_on: {{ ref('mart_service_counts') }}
-- depends_on: {{ ref('mart_petition_conversion') }}
-- depends_on: {{ ref('mart_submission_quality') }}
-- depends_on: {{ ref('dim_district') }}
-- depends_on: {{ ref('dim_department') }}
with roles as (
    select rolname from pg_roles
    where rolname in ('swdw_bi', 'swdw_auditor')
),

relations as (
    select
        namespaces.nspname as schema_name,
        classes.relname as relation_name,
        classes.oid as relation_oid
    from pg_class as classes
    inner join pg_namespace as namespaces on classes.relnamespace = namespaces.oid
    where
        classes.relkind in ('r', 'v', 'm', 'p', 'f')
        and namespaces.nspname in ('raw', 'audit', 'staging', 'intermediate', 'marts')
),

privileges as (
    select
        roles.rolname as role_name,
        relations.schema_name,
        relations.relation_name,
        has_table_privilege(roles.rolname, relations.relation_oid, 'select') as can_select
    from roles
    cross join relations
)

select *
from privileges
where
    (role_name = 'swdw_bi' and can_select <> (schema_name = 'marts'))
    or (role_name = 'swdw_auditor' and schema_name in ('staging', 'intermediate') and can_select)
    or (role_name = 'swdw_auditor' and schema_name = 'marts' and not can_select)
