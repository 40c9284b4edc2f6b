-- one row per organisation (credit_code) and period: coverage flags now and in the previous month.
-- an organisation reported by several departments for the same period counts once
-- (the latest submission wins).
with snapshot_orgs as (
    select
        *,
        row_number() over (
            partition by credit_code, report_period
            order by submission_id desc, source_row desc
        ) as report_rank
    from {{ ref('stg_org_coverage') }}
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
)

select
    current_orgs.*,
    previous_orgs.credit_code is not null as in_previous_period,
    coalesce(previous_orgs.is_covered, false) as was_covered_previous_period,
    current_orgs.is_covered and not coalesce(previous_orgs.is_covered, false) as is_new_party_org
from orgs as current_orgs
left join orgs as previous_orgs
    on previous_orgs.credit_code = current_orgs.credit_code
    and previous_orgs.period_month = (current_orgs.period_month - interval '1 month')::date
