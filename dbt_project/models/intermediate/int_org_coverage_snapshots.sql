{{ config(materialized='view') }}
-- organisations in the latest accepted snapshot per (department_code, report_period): rows of
-- loaded org_coverage submissions (ingest marks the older snapshot of a department and month
-- superseded); should two loaded snapshots still meet, the latest version order decides
with org_rows as (
    select * from {{ ref('stg_org_coverage') }}
),

accepted_submissions as (
    select
        submission_id,
        department_code,
        report_period as submission_report_period,
        received_at as submission_received_at
    from {{ ref('stg_submissions') }}
    where
        submission_type = 'org_coverage'
        and status = 'loaded'
),

snapshot_rows as (
    select
        accepted_submissions.department_code,
        coalesce(
            org_rows.report_period, {{ month_start('accepted_submissions.submission_report_period') }}
        ) as report_period,
        org_rows.credit_code,
        org_rows.org_name,
        org_rows.org_type,
        org_rows.district_code,
        org_rows.employee_count,
        org_rows.party_member_count,
        org_rows.party_org_form,
        org_rows.has_union,
        org_rows.has_youth_league,
        org_rows.has_womens_federation,
        org_rows.instructor_assigned,
        org_rows.industry,
        org_rows.submission_id,
        org_rows.source_row,
        accepted_submissions.submission_received_at,
        org_rows.loaded_at
    from org_rows
    inner join accepted_submissions
        on org_rows.submission_id = accepted_submissions.submission_id
),

ranked_rows as (
    select
        *,
        first_value(submission_id) over (
            partition by department_code, report_period
            order by {{ latest_version_order() }}
        ) as latest_submission_id
    from snapshot_rows
)

select
    department_code,
    report_period,
    credit_code,
    org_name,
    org_type,
    district_code,
    employee_count,
    party_member_count,
    party_org_form,
    has_union,
    has_youth_league,
    has_womens_federation,
    instructor_assigned,
    industry,
    submission_id,
    source_row,
    submission_received_at,
    loaded_at
from ranked_rows
where submission_id = latest_submission_id
