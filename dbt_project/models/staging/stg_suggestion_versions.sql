-- every accepted version of every suggestion: one row per raw row of a loaded or superseded
-- submission, with when the submission landed (which orders versions).
-- personal data (submitter_*_hash, submitter_phone_masked), free-text content and extra
-- are never selected here.
with accepted_submissions as (
    select
        submission_id,
        department_code,
        received_at as submission_received_at
    from {{ source('audit', 'submission') }}
    where
        submission_type = 'suggestion'
        and status in ('loaded', 'superseded')
),

raw_suggestions as (
    select * from {{ source('raw', 'suggestion') }}
)

select
    accepted_submissions.department_code,
    raw_suggestions.suggestion_id,
    raw_suggestions.received_date,
    {{ month_start('raw_suggestions.received_date') }} as received_month,
    raw_suggestions.channel,
    raw_suggestions.district_code,
    raw_suggestions.topic,
    raw_suggestions.title,
    raw_suggestions.status,
    raw_suggestions.concluded_date,
    raw_suggestions.handling_unit,
    raw_suggestions.submission_id,
    raw_suggestions.source_row,
    accepted_submissions.submission_received_at,
    raw_suggestions.loaded_at
from raw_suggestions
inner join accepted_submissions
    on raw_suggestions.submission_id = accepted_submissions.submission_id
