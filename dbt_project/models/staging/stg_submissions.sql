-- the submission register, one row per file; the period it reports for as a month
with submissions as (
    select * from {{ source('audit', 'submission') }}
)

select
    submission_id,
    department_code,
    submission_type,
    coalesce(
        {{ month_start('report_period') }},
        {{ month_start('period_end') }},
        {{ month_start('period_start') }},
        ({{ month_start("received_at at time zone '" ~ var('local_timezone') ~ "'") }} - interval '1 month')::date
    ) as period_month,
    report_period,
    period_start,
    period_end,
    file_name,
    sha256,
    bytes,
    received_at,
    (received_at at time zone '{{ var("local_timezone") }}')::date as received_date,
    status,
    status_reason,
    coalesce(row_count, 0) as row_count,
    error_count,
    warning_count,
    superseded_by,
    data_docs_url,
    feedback_path,
    loaded_at
from submissions
