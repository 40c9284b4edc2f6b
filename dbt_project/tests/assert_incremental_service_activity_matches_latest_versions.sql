-- the incremental int_service_activity holds exactly the latest version of every activity,
-- as recomputed here from every accepted version (EXCEPT both ways)
with held as (
    select * from {{ ref('int_service_activity') }}
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by department_code, activity_id
            order by {{ latest_version_order() }}
        ) as version_rank
    from {{ ref('int_service_activity_versions') }}
),

recomputed as (
    select
        department_code,
        activity_id,
        activity_date,
        activity_month,
        district_code,
        category,
        target_group,
        participants,
        volunteers,
        service_hours,
        is_approximate,
        title,
        organizer,
        submission_id,
        source_row,
        submission_received_at,
        loaded_at
    from ranked_versions
    where version_rank = 1
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
        'only in the recomputed latest versions' as discrepancy,
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
