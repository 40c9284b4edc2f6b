-- latest version of each activity per (department_code, activity_id): the later landing wins,
-- then the higher submission id, then the later source row (files may be processed in any order)
with activity_versions as (
    select
        *,
        row_number() over (
            partition by department_code, activity_id
            order by submission_received_at desc, submission_id desc, source_row desc
        ) as version_rank
    from {{ ref('stg_service_activity_versions') }}
)

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
from activity_versions
where version_rank = 1
