-- organisations in the latest accepted snapshot per (department_code, report_period)
with accepted_submissions as (
    select
        submission_id,
        department_code,
        report_period
    from {{ source('audit', 'submission') }}
    where submission_type = 'org_coverage'
        and status = 'loaded'
),

snapshot_rows as (
    select
        submissions.department_code,
        {{ month_start('coalesce(raw_rows.report_period, submissions.report_period)') }} as snapshot_period,
        raw_rows.*
    from {{ source('raw', 'org_coverage') }} as raw_rows
    inner join accepted_submissions as submissions using (submission_id)
),

ranked_rows as (
    select
        *,
        max(submission_id) over (partition by department_code, snapshot_period) as latest_submission_id
    from snapshot_rows
)

select
    department_code,
    snapshot_period as report_period,
    credit_code,
    org_name,
    org_type,
    district_code,
    employee_count,
    party_member_count,
    coalesce(party_org_form, 'none') as party_org_form,
    coalesce(has_union, false) as has_union,
    coalesce(has_youth_league, false) as has_youth_league,
    coalesce(has_womens_federation, false) as has_womens_federation,
    coalesce(instructor_assigned, false) as instructor_assigned,
    industry,
    submission_id,
    source_row,
    loaded_at
from ranked_rows
where submission_id = latest_submission_id
