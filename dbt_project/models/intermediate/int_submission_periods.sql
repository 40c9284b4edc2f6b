-- what arrived per department × submission type × period month, from the register. every
-- register row counts, rejected files in unknown department or type folders included:
-- is_known_submission_type tells a contract type from a folder name ingest rejected.
with submissions as (
    select * from {{ ref('stg_submissions') }}
),

submission_types as (
    select code as submission_type
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'audit' and column_name = 'submission_type'
),

latest_submissions as (
    select distinct on (department_code, submission_type, period_month)
        department_code,
        submission_type,
        period_month,
        submission_id as latest_submission_id,
        status as latest_status
    from submissions
    order by
        department_code asc,
        submission_type asc,
        period_month asc,
        {{ latest_version_order(received_at='received_at', source_row=none) }}
),

period_totals as (
    select
        department_code,
        submission_type,
        period_month,
        count(*) as submissions_received,
        count(*) filter (where status in ('loaded', 'superseded')) as submissions_accepted,
        count(*) filter (where status = 'quarantined') as submissions_quarantined,
        min(received_at) as first_received_at,
        max(received_at) as last_received_at,
        min(received_date) as first_received_date,
        min(received_date) filter (where status in ('loaded', 'superseded')) as first_accepted_date,
        sum(row_count) as rows_received,
        sum(error_count) as errors,
        sum(warning_count) as warnings
    from submissions
    group by department_code, submission_type, period_month
)

select
    period_totals.*,
    latest_submissions.latest_submission_id,
    latest_submissions.latest_status,
    period_totals.submission_type in (
        select submission_types.submission_type from submission_types
    ) as is_known_submission_type
from period_totals
inner join latest_submissions using (department_code, submission_type, period_month)
