-- 两个覆盖: party and mass-organisation coverage per period_month × district_code × org_type
with orgs as (
    select *
    from {{ ref('int_org_coverage_history') }}
    where {{ coverage_in_scope() }}
),

coverage_counts as (
    select
        period_month,
        district_code,
        org_type,
        count(*) as orgs_total,
        count(*) filter (where is_covered) as orgs_with_party_org,
        count(*) filter (where party_org_form = 'single') as orgs_single,
        count(*) filter (where party_org_form = 'joint') as orgs_joint,
        count(*) filter (where party_org_form = 'industry') as orgs_industry,
        count(*) filter (where party_org_form = 'regional') as orgs_regional,
        count(*) filter (where has_union) as orgs_with_union,
        count(*) filter (where has_youth_league) as orgs_with_youth_league,
        count(*) filter (where has_womens_federation) as orgs_with_womens_federation,
        count(*) filter (where should_form_party_org) as orgs_should_form_party_org,
        count(*) filter (where instructor_assigned) as orgs_with_instructor,
        sum(party_member_count) as party_members,
        count(*) filter (where is_new_party_org) as new_party_orgs
    from orgs
    group by period_month, district_code, org_type
),

districts as (
    select
        district_code,
        district_name
    from {{ ref('stg_districts') }}
),

org_type_labels as (
    select
        code as org_type,
        label_zh as org_type_label
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'org_coverage' and column_name = 'org_type'
)

select
    coverage_counts.period_month,
    coverage_counts.district_code,
    districts.district_name,
    coverage_counts.org_type,
    org_type_labels.org_type_label,
    coverage_counts.orgs_total,
    coverage_counts.orgs_with_party_org,
    coverage_counts.orgs_single,
    coverage_counts.orgs_joint,
    coverage_counts.orgs_industry,
    coverage_counts.orgs_regional,
    {{ safe_rate('coverage_counts.orgs_with_party_org', 'coverage_counts.orgs_total') }} as party_org_coverage_rate,
    coverage_counts.orgs_with_union,
    coverage_counts.orgs_with_youth_league,
    coverage_counts.orgs_with_womens_federation,
    {{ safe_rate('coverage_counts.orgs_with_union', 'coverage_counts.orgs_total') }} as union_coverage_rate,
    {{ safe_rate('coverage_counts.orgs_with_youth_league', 'coverage_counts.orgs_total') }} as youth_league_coverage_rate,
    {{ safe_rate('coverage_counts.orgs_with_womens_federation', 'coverage_counts.orgs_total') }} as womens_federation_coverage_rate,
    -- mean of the three rates = (union + youth league + women's federation) ÷ (3 × orgs_total)
    {{ safe_rate(
        'coverage_counts.orgs_with_union + coverage_counts.orgs_with_youth_league + coverage_counts.orgs_with_womens_federation',
        '3 * coverage_counts.orgs_total'
    ) }} as mass_org_avg_coverage_rate,
    coverage_counts.orgs_should_form_party_org,
    coverage_counts.orgs_with_instructor,
    coverage_counts.party_members,
    coverage_counts.new_party_orgs
from coverage_counts
left join districts using (district_code)
left join org_type_labels using (org_type)
