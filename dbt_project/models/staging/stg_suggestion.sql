-- latest version of each suggestion per (department_code, suggestion_id).
-- personal data (submitter_*_hash, submitter_phone_masked), free-text content and extra
-- are never selected here.
with accepted_submissions as (
    select submission_id, department_code, received_at
    from {{ source('audit', 'submission') }}
    where submission_type = 'suggestion'
      and status in ('loaded', 'superseded')
),

suggestion_versions as (
    select
        submissions.department_code,
        raw_rows.suggestion_id,
        raw_rows.received_date,
        raw_rows.channel,
        raw_rows.district_code,
        raw_rows.topic,
        raw_rows.title,
        raw_rows.status,
        raw_rows.concluded_date,
        raw_rows.handling_unit,
        raw_rows.submission_id,
        raw_rows.source_row,
        raw_rows.loaded_at,
        row_number() over (
            partition by submissions.department_code, raw_rows.suggestion_id
            -- later landing wins; the id breaks ties (files may be processed in any order)
            order by submissions.received_at desc, raw_rows.submission_id desc, raw_rows.source_row desc
        ) as version_rank
    from {{ source('raw', 'suggestion') }} as raw_rows
    join accepted_submissions as submissions using (submission_id)
)

select
    department_code,
    suggestion_id,
    received_date,
    {{ month_start('received_date') }} as received_month,
    channel,
    district_code,
    topic,
    title,
    status,
    concluded_date,
    handling_unit,
    submission_id,
    source_row,
    loaded_at
from suggestion_versions
where version_rank = 1
