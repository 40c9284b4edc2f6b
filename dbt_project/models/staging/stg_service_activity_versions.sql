-- every accepted version of every activity: one row per raw row of a loaded or superseded
-- submission, with the submitting department and when the submission landed (which orders versions)
with accepted_submissions as (
    select
        submission_id,
        department_code,
        received_at as submission_received_at
    from {{ source('audit', 'submission') }}
    where
        submission_type = 'service_activity'
        and status in ('loaded', 'superseded')
),

raw_activities as (
    select * from {{ source('raw', 'service_activity') }}
)

select
    accepted_submissions.department_code,
    raw_activities.activity_id,
    raw_activities.activity_date,
    {{ month_start('raw_activities.activity_date') }} as activity_month,
    raw_activities.district_code,
    raw_activities.category,
    raw_activities.target_group,
    raw_activities.participants,
    coalesce(raw_activities.volunteers, 0) as volunteers,
    coalesce(raw_activities.service_hours, 0) as service_hours,
    raw_activities.is_approximate,
    raw_activities.title,
    raw_activities.organizer,
    raw_activities.submission_id,
    raw_activities.source_row,
    accepted_submissions.submission_received_at,
    raw_activities.loaded_at
from raw_activities
inner join accepted_submissions
    on raw_activities.submission_id = accepted_submissions.submission_id
