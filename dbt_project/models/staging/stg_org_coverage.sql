-- every raw org_coverage row of every submission, cleaned: an empty party_org_form means none,
-- empty flags mean no. which snapshot counts is decided against the register in
-- int_org_coverage_snapshots.
with raw_rows as (
    select * from {{ source('raw', 'org_coverage') }}
)

select
    submission_id,
    source_row,
    {{ month_start('report_period') }} as report_period,
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
    loaded_at
from raw_rows
