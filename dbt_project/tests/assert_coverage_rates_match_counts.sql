-- every mart_coverage rate equals its numerator ÷ denominator (4 decimals, null when no orgs)
with expected_rates as (
    select
        *,
        round(orgs_with_party_org::numeric / nullif(orgs_total, 0), 4) as expected_party_org_rate,
        round(orgs_with_union::numeric / nullif(orgs_total, 0), 4) as expected_union_rate,
        round(orgs_with_youth_league::numeric / nullif(orgs_total, 0), 4) as expected_youth_league_rate,
        round(orgs_with_womens_federation::numeric / nullif(orgs_total, 0), 4) as expected_womens_federation_rate,
        round(
            (orgs_with_union + orgs_with_youth_league + orgs_with_womens_federation)::numeric
            / nullif(3 * orgs_total, 0), 4
        ) as expected_mass_org_avg_rate
    from {{ ref('mart_coverage') }}
)

select *
from expected_rates
where party_org_coverage_rate is distinct from expected_party_org_rate
    or union_coverage_rate is distinct from expected_union_rate
    or youth_league_coverage_rate is distinct from expected_youth_league_rate
    or womens_federation_coverage_rate is distinct from expected_womens_federation_rate
    or mass_org_avg_coverage_rate is distinct from expected_mass_org_avg_rate
    -- the average is the mean of the three rates (up to rounding)
    or abs(
        mass_org_avg_coverage_rate
        - (union_coverage_rate + youth_league_coverage_rate + womens_federation_coverage_rate) / 3
    ) > 0.0001
    -- counts are consistent with each other
    or orgs_with_party_org <> orgs_single + orgs_joint + orgs_industry + orgs_regional
    or orgs_with_party_org > orgs_total
    or new_party_orgs > orgs_with_party_org
