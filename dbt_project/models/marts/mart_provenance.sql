-- 数据来源: for every row of every mart, the submissions (files) it was computed from and how
-- many of each file's rows it counts. keyed by mart_name × grain_key × submission_id; a mart row
-- nothing was submitted for (a report owed and missing) has one row with a null submission_id.
-- the mart gives the row, its figure, numerator and denominator; int_mart_row_files the files
-- behind it, counted from the same rows as the mart, so rows_used adds up to the mart's own
-- count (rows_counted_as) and rows_in_numerator to its numerator. `swdw explain` reads only
-- this table. a mart row with a second headline figure from the same rows (mart_coverage: the
-- mass-organisation average coverage) carries it in the second_* columns, for the monthly
-- report's cover. no personal data: register facts and counts only.
with coverage as (
    select * from {{ ref('mart_coverage') }}
),

service_counts as (
    select * from {{ ref('mart_service_counts') }}
),

petition_conversion as (
    select * from {{ ref('mart_petition_conversion') }}
),

submission_quality as (
    select * from {{ ref('mart_submission_quality') }}
),

row_files as (
    select * from {{ ref('int_mart_row_files') }}
),

-- every row of every mart with the figure it is explained by
mart_rows as (
    select
        'mart_coverage' as mart_name,
        'period_month|district_code|org_type' as grain_columns,
        {{ grain_key('period_month', ['district_code', 'org_type']) }} as grain_key,
        period_month,
        'party_org_coverage_rate' as figure_name,
        party_org_coverage_rate as figure,
        'orgs_with_party_org' as numerator_name,
        orgs_with_party_org::bigint as numerator,
        'orgs_total' as denominator_name,
        orgs_total::bigint as denominator,
        'orgs_total' as rows_counted_as,
        'mass_org_avg_coverage_rate' as second_figure_name,
        mass_org_avg_coverage_rate as second_figure,
        (orgs_with_union + orgs_with_youth_league + orgs_with_womens_federation)::bigint as second_numerator,
        (3 * orgs_total)::bigint as second_denominator
    from coverage

    union all

    select
        'mart_service_counts' as mart_name,
        'activity_month|district_code|category|target_group' as grain_columns,
        {{ grain_key('activity_month', ['district_code', 'category', 'target_group']) }} as grain_key,
        activity_month as period_month,
        'activities' as figure_name,
        activities::numeric as figure,
        'activities' as numerator_name,
        activities::bigint as numerator,
        null as denominator_name,
        null::bigint as denominator,
        'activities' as rows_counted_as,
        null as second_figure_name,
        null::numeric as second_figure,
        null::bigint as second_numerator,
        null::bigint as second_denominator
    from service_counts

    union all

    select
        'mart_petition_conversion' as mart_name,
        'received_month|district_code|channel' as grain_columns,
        {{ grain_key('received_month', ['district_code', 'channel']) }} as grain_key,
        received_month as period_month,
        'conversion_rate' as figure_name,
        conversion_rate as figure,
        'suggestions_converted' as numerator_name,
        suggestions_converted::bigint as numerator,
        'suggestions_received' as denominator_name,
        suggestions_received::bigint as denominator,
        'suggestions_received' as rows_counted_as,
        null as second_figure_name,
        null::numeric as second_figure,
        null::bigint as second_numerator,
        null::bigint as second_denominator
    from petition_conversion

    union all

    select
        'mart_submission_quality' as mart_name,
        'period_month|department_code|submission_type' as grain_columns,
        {{ grain_key('period_month', ['department_code', 'submission_type']) }} as grain_key,
        period_month,
        'submissions_accepted' as figure_name,
        submissions_accepted::numeric as figure,
        'submissions_accepted' as numerator_name,
        submissions_accepted::bigint as numerator,
        'submissions_received' as denominator_name,
        submissions_received::bigint as denominator,
        'rows_received' as rows_counted_as,
        null as second_figure_name,
        null::numeric as second_figure,
        null::bigint as second_numerator,
        null::bigint as second_denominator
    from submission_quality
)

-- each mart row with its files (a left join: every mart row appears)
select
    mart_rows.mart_name,
    mart_rows.grain_key,
    mart_rows.grain_columns,
    mart_rows.period_month,
    mart_rows.figure_name,
    mart_rows.figure,
    mart_rows.numerator_name,
    mart_rows.numerator,
    mart_rows.denominator_name,
    mart_rows.denominator,
    mart_rows.rows_counted_as,
    mart_rows.second_figure_name,
    mart_rows.second_figure,
    mart_rows.second_numerator,
    mart_rows.second_denominator,
    row_files.submission_id,
    row_files.department_code,
    row_files.department_name,
    row_files.submission_type,
    row_files.file_name,
    row_files.received_at,
    row_files.sha256,
    row_files.status,
    row_files.status_label,
    coalesce(row_files.rows_used, 0)::bigint as rows_used,
    row_files.rows_in_numerator
from mart_rows
left join row_files
    on
        mart_rows.mart_name = row_files.mart_name
        and mart_rows.grain_key = row_files.grain_key
