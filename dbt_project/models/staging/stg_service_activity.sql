-- latest version of each activity per (department_code, activity_id)
with accepted_submissions as (
    select submission_id, department_code, received_at
    from {{ source('audit', 'submission') }}
    where submission_type = 'service_activity'
      and status in ('loaded', 'superseded')
),

activity_versions as (
    select
        submissions.department_code,
        raw_rows.*,
        row_number() over (
            partition by submissions.department_code, raw_rows.activity_id
            -- later landing wins; the id breaks ties (files may be processed in any order)
            order by submissions.received_at desc, raw_rows.submission_id desc, raw_rows.source_row desc
        ) as version_rank
    from {{ source('raw', 'service_activity') }} as raw_rows
    join accepted_submissions as submissions using (submission_id)
)

select
    department_code,
    activity_id,
    activity_date,
    {{ month_start('activity_date') }} as activity_month,
    district_code,
    category,
    target_group,
    participants,
    coalesce(volunteers, 0) as volunteers,
    coalesce(service_hours, 0) as service_hours,
    is_approximate,
    title,
    organizer,
    submission_id,
    source_row,
    loaded_at
from activity_versions
where version_rank = 1
