-- a city-wide roll-up of the marts is a ratio of sums and equals the rate computed directly
-- from the organisations / suggestions; one row per period whose roll-up disagrees
with coverage_rollup as (
    select
        period_month,
        sum(orgs_total) as orgs_total,
        {{ safe_rate('sum(orgs_with_party_org)', 'sum(orgs_total)') }} as party_org_coverage_rate,
        {{ safe_rate(
            'sum(orgs_with_union) + sum(orgs_with_youth_league) + sum(orgs_with_womens_federation)',
            '3 * sum(orgs_total)'
        ) }} as mass_org_avg_coverage_rate
    from {{ ref('mart_coverage') }}
    group by period_month
),

coverage_direct as (
    select
        period_month,
        count(*) as orgs_total,
        {{ safe_rate('count(*) filter (where is_covered)', 'count(*)') }} as party_org_coverage_rate,
        {{ safe_rate(
            'count(*) filter (where has_union) + count(*) filter (where has_youth_league)'
            ~ ' + count(*) filter (where has_womens_federation)',
            '3 * count(*)'
        ) }} as mass_org_avg_coverage_rate
    from {{ ref('int_org_coverage_history') }}
    where party_member_count >= {{ var('coverage_min_party_members') | int }}
    group by period_month
),

conversion_rollup as (
    select
        date_trunc('year', received_month)::date as received_year,
        sum(suggestions_received) as suggestions_received,
        {{ safe_rate('sum(suggestions_converted)', 'sum(suggestions_received)') }} as conversion_rate
    from {{ ref('mart_petition_conversion') }}
    group by date_trunc('year', received_month)::date
),

conversion_direct as (
    select
        date_trunc('year', received_month)::date as received_year,
        count(*) as suggestions_received,
        {{ safe_rate(
            'count(*) filter (where ' ~ status_in_group('status', 'converted') ~ ')', 'count(*)'
        ) }} as conversion_rate
    from {{ ref('int_suggestion_status_history') }}
    where is_current
    group by date_trunc('year', received_month)::date
),

coverage_mismatches as (
    select
        'coverage' as measure,
        coalesce(coverage_rollup.period_month, coverage_direct.period_month) as period
    from coverage_rollup
    full outer join coverage_direct
        on coverage_rollup.period_month = coverage_direct.period_month
    where
        coverage_rollup.orgs_total is distinct from coverage_direct.orgs_total
        or coverage_rollup.party_org_coverage_rate is distinct from coverage_direct.party_org_coverage_rate
        or coverage_rollup.mass_org_avg_coverage_rate is distinct from coverage_direct.mass_org_avg_coverage_rate
),

conversion_mismatches as (
    select
        'conversion' as measure,
        coalesce(conversion_rollup.received_year, conversion_direct.received_year) as period
    from conversion_rollup
    full outer join conversion_direct
        on conversion_rollup.received_year = conversion_direct.received_year
    where
        conversion_rollup.suggestions_received is distinct from conversion_direct.suggestions_received
        or conversion_rollup.conversion_rate is distinct from conversion_direct.conversion_rate
)

select * from coverage_mismatches
union all
select * from conversion_mismatches
