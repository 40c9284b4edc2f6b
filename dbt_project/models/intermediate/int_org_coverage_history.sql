-- one row per organisation (credit_code) and period: coverage flags now and in the previous month.
-- an organisation reported by several departments for the same period counts once
-- (the latest version wins: later landing, then higher submission id, then later row).
with snapshot_orgs as (
    select
        *,
        row_number() over (
            partition by credit_code, report_period
            order by {{ latest_version_order() }}
        ) as report_rank
    from {{ ref('int_org_coverage_snapshots') }}
),

orgs as (
    select
        report_period as period_month,
        credit_code,
        org_name,
        org_type,
        district_code,
        department_code,
        employee_count,
        party_member_count,
        party_org_form,
        party_org_form <> 'none' as is_covered,
        has_union,
        has_youth_league,
        has_womens_federation,
        instructor_assigned,
        -- 应建未建: 3 or more party members and no party organisation (contract rule)
        party_member_count >= 3 and party_org_form = 'none' as should_form_party_org,
        submission_id
    from snapshot_orgs
    where report_rank = 1
),

-- the organisation's previous snapshot (a window, not a self-join: linear in the number of rows)
orgs_with_previous as (
    select
        *,
        lag(period_month) over (partition by credit_code order by period_month) as previous_snapshot_month,
        lag(is_covered) over (partition by credit_code order by period_month) as previous_snapshot_covered
    from orgs
),

orgs_with_previous_period as (
    select
        *,
        coalesce(previous_snapshot_month = (period_month - interval '1 month')::date, false) as in_previous_period
    from orgs_with_previous
)

select
    period_month,
    credit_code,
    org_name,
    org_type,
    district_code,
    department_code,
    employee_count,
    party_member_count,
    party_org_form,
    is_covered,
    has_union,
    has_youth_league,
    has_womens_federation,
    instructor_assigned,
    should_form_party_org,
    submission_id,
    in_previous_period,
    in_previous_period and previous_snapshot_covered as was_covered_previous_period,
    is_covered and not (in_previous_period and previous_snapshot_covered) as is_new_party_org
from orgs_with_previous_period
