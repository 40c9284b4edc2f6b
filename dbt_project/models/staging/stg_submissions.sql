-- the submission register, one row per file received, whatever became of it (rejected files
-- in unknown folders included); the period it reports for as a month
with submissions as (
    select * from {{ source('audit', 'submission') }}
)

select
    submission_id,
    department_code,
    submission_type,
    {{ submission_period_month() }} as period_month,
    report_period,
    period_start,
    period_end,
    file_name,
    sha256,
    bytes,
    received_at,
    {{ local_time('received_at') }}::date as received_date,
    status,
    status_reason,
    coalesce(row_count, 0) as row_count,
    error_count,
    warning_count,
    superseded_by,
    data_docs_url,
    feedback_path,
    loaded_at,
    updated_at
from submissions
