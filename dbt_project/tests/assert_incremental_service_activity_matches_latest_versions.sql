-- the incremental int_service_activity holds exactly the latest version of every activity,
-- as the stg_service_activity view recomputes it from every raw row (EXCEPT both ways)
with held as (
    select * from {{ ref('int_service_activity') }}
),

recomputed as (
    select * from {{ ref('stg_service_activity') }}
),

only_held as (
    select
        'only in int_service_activity' as discrepancy,
        held_rows.*
    from (
        select * from held
        except
        select * from recomputed
    ) as held_rows
),

only_recomputed as (
    select
        'only in stg_service_activity' as discrepancy,
        recomputed_rows.*
    from (
        select * from recomputed
        except
        select * from held
    ) as recomputed_rows
)

select * from only_held
union all
select * from only_recomputed
