{{ config(materialized='view') }}
-- every accepted version of every activity: one row per raw row of a loaded or superseded
-- service_activity submission, with the submitting department and when the submission
-- landed (which orders versions). a view: the incremental int_service_activity reads only
-- the rows loaded since its last run.
with activity_rows as (
    select * from {{ ref('stg_service_activity') }}
),

accepted_submissions as (
    select
        submission_id,
        department_code,
        received_at as submission_received_at
    from {{ ref('stg_submissions') }}
    where
        submission_type = 'service_activity'
        and status in ('loaded', 'superseded')
)

select
    accepted_submissions.department_code,
    activity_rows.activity_id,
    activity_rows.activity_date,
    activity_rows.activity_month,
    activity_rows.district_code,
    activity_rows.category,
    activity_rows.target_group,
    activity_rows.participants,
    activity_rows.volunteers,
    activity_rows.service_hours,
    activity_rows.is_approximate,
    activity_rows.title,
    activity_rows.organizer,
    activity_rows.submission_id,
    activity_rows.source_row,
    accepted_submissions.submission_received_at,
    activity_rows.loaded_at
from activity_rows
inner join accepted_submissions
    on activity_rows.submission_id = accepted_submissions.submission_id
