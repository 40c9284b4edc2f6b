{{ config(materialized='view') }}
-- every accepted version of every suggestion: one row per raw row of a loaded or superseded
-- suggestion submission, with the submitting department and when the submission landed
-- (which orders versions). no personal data: stg_suggestion never selects it.
with suggestion_rows as (
    select * from {{ ref('stg_suggestion') }}
),

accepted_submissions as (
    select
        submission_id,
        department_code,
        received_at as submission_received_at
    from {{ ref('stg_submissions') }}
    where
        submission_type = 'suggestion'
        and status in ('loaded', 'superseded')
)

select
    accepted_submissions.department_code,
    suggestion_rows.suggestion_id,
    suggestion_rows.received_date,
    suggestion_rows.received_month,
    suggestion_rows.channel,
    suggestion_rows.district_code,
    suggestion_rows.topic,
    suggestion_rows.title,
    suggestion_rows.status,
    suggestion_rows.concluded_date,
    suggestion_rows.handling_unit,
    suggestion_rows.submission_id,
    suggestion_rows.source_row,
    accepted_submissions.submission_received_at,
    suggestion_rows.loaded_at
from suggestion_rows
inner join accepted_submissions
    on suggestion_rows.submission_id = accepted_submissions.submission_id
