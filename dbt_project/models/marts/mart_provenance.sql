-- 数据来源: for every row of every mart, the submissions (files) it was computed from and how
-- many of each file's rows it counts. keyed by mart_name × grain_key × submission_id; a mart row
-- nothing was submitted for (a report owed and missing) has one row with a null submission_id.
-- the rows are counted from the same intermediate models and filters as the marts themselves,
-- so rows_used adds up to the mart's own count (rows_counted_as) and rows_in_numerator to its
-- numerator. figure, numerator and denominator repeat the mart row: `swdw explain` reads only
-- this table. no personal data: register facts and counts only.
with coverage as (
    select * from {{ ref('mart_coverage') }}
),

coverage_orgs as (
    select *
    from {{ ref('int_org_coverage_history') }}
    where {{ coverage_in_scope() }}
),

service_counts as (
    select * from {{ ref('mart_service_counts') }}
),

service_activities as (
    select * from {{ ref('int_service_activity') }}
),

petition_conversion as (
    select * from {{ ref('mart_petition_conversion') }}
),

current_suggestions as (
    select *
    from {{ ref('int_suggestion_status_history') }}
    where is_current
),

submission_quality as (
    select * from {{ ref('mart_submission_quality') }}
),

submissions as (
    select * from {{ ref('stg_submissions') }}
),

departments as (
    select
        department_code,
        department_name
    from {{ ref('stg_departments') }}
),

status_labels as (
    select
        code as status,
        label_zh as status_label
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'audit' and column_name = 'status'
),

-- rows of each file per mart row
coverage_sources as (
    select
        period_month,
        district_code,
        org_type,
        submission_id,
        count(*) as rows_used,
        count(*) filter (where is_covered) as rows_in_numerator
    from coverage_orgs
    group by period_month, district_code, org_type, submission_id
),

service_sources as (
    select
        activity_month,
        district_code,
        category,
        target_group,
        submission_id,
        count(*) as rows_used,
        count(*) as rows_in_numerator
    from service_activities
    group by activity_month, district_code, category, target_group, submission_id
),

petition_sources as (
    select
        received_month,
        district_code,
        channel,
        submission_id,
        count(*) as rows_used,
        count(*) filter (where {{ status_in_group('status', 'converted') }}) as rows_in_numerator
    from current_suggestions
    group by received_month, district_code, channel, submission_id
),

-- every register row of the period counts in mart_submission_quality, with its data rows
quality_sources as (
    select
        period_month,
        department_code,
        submission_type,
        submission_id,
        row_count as rows_used,
        null::bigint as rows_in_numerator
    from submissions
),

-- each mart row with its files (left joins: every mart row appears)
mart_sources as (
    select
        'mart_coverage' as mart_name,
        'period_month|district_code|org_type' as grain_columns,
        {{ grain_key('coverage.period_month', ['coverage.district_code', 'coverage.org_type']) }} as grain_key,
        coverage.period_month,
        'party_org_coverage_rate' as figure_name,
        coverage.party_org_coverage_rate as figure,
        'orgs_with_party_org' as numerator_name,
        coverage.orgs_with_party_org::bigint as numerator,
        'orgs_total' as denominator_name,
        coverage.orgs_total::bigint as denominator,
        'orgs_total' as rows_counted_as,
        coverage_sources.submission_id,
        coverage_sources.rows_used,
        coverage_sources.rows_in_numerator
    from coverage
    left join coverage_sources
        on
            coverage.period_month = coverage_sources.period_month
            and coverage.district_code = coverage_sources.district_code
            and coverage.org_type = coverage_sources.org_type

    union all

    select
        'mart_service_counts' as mart_name,
        'activity_month|district_code|category|target_group' as grain_columns,
        {{ grain_key('service_counts.activity_month', [
            'service_counts.district_code', 'service_counts.category', 'service_counts.target_group'
        ]) }} as grain_key,
        service_counts.activity_month as period_month,
        'activities' as figure_name,
        service_counts.activities::numeric as figure,
        'activities' as numerator_name,
        service_counts.activities::bigint as numerator,
        null as denominator_name,
        null::bigint as denominator,
        'activities' as rows_counted_as,
        service_sources.submission_id,
        service_sources.rows_used,
        service_sources.rows_in_numerator
    from service_counts
    left join service_sources
        on
            service_counts.activity_month = service_sources.activity_month
            and service_counts.district_code = service_sources.district_code
            and service_counts.category = service_sources.category
            and service_counts.target_group = service_sources.target_group

    union all

    select
        'mart_petition_conversion' as mart_name,
        'received_month|district_code|channel' as grain_columns,
        {{ grain_key('petition_conversion.received_month', [
            'petition_conversion.district_code', 'petition_conversion.channel'
        ]) }} as grain_key,
        petition_conversion.received_month as period_month,
        'conversion_rate' as figure_name,
        petition_conversion.conversion_rate as figure,
        'suggestions_converted' as numerator_name,
        petition_conversion.suggestions_converted::bigint as numerator,
        'suggestions_received' as denominator_name,
        petition_conversion.suggestions_received::bigint as denominator,
        'suggestions_received' as rows_counted_as,
        petition_sources.submission_id,
        petition_sources.rows_used,
        petition_sources.rows_in_numerator
    from petition_conversion
    left join petition_sources
        on
            petition_conversion.received_month = petition_sources.received_month
            and petition_conversion.district_code = petition_sources.district_code
            and petition_conversion.channel = petition_sources.channel

    union all

    select
        'mart_submission_quality' as mart_name,
        'period_month|department_code|submission_type' as grain_columns,
        {{ grain_key('submission_quality.period_month', [
            'submission_quality.department_code', 'submission_quality.submission_type'
        ]) }} as grain_key,
        submission_quality.period_month,
        'submissions_accepted' as figure_name,
        submission_quality.submissions_accepted::numeric as figure,
        'submissions_accepted' as numerator_name,
        submission_quality.submissions_accepted::bigint as numerator,
        'submissions_received' as denominator_name,
        submission_quality.submissions_received::bigint as denominator,
        'rows_received' as rows_counted_as,
        quality_sources.submission_id,
        quality_sources.rows_used,
        quality_sources.rows_in_numerator
    from submission_quality
    left join quality_sources
        on
            submission_quality.period_month = quality_sources.period_month
            and submission_quality.department_code = quality_sources.department_code
            and submission_quality.submission_type = quality_sources.submission_type
)

select
    mart_sources.mart_name,
    mart_sources.grain_key,
    mart_sources.grain_columns,
    mart_sources.period_month,
    mart_sources.figure_name,
    mart_sources.figure,
    mart_sources.numerator_name,
    mart_sources.numerator,
    mart_sources.denominator_name,
    mart_sources.denominator,
    mart_sources.rows_counted_as,
    mart_sources.submission_id,
    submissions.department_code,
    departments.department_name,
    submissions.submission_type,
    submissions.file_name,
    submissions.received_at,
    submissions.sha256,
    submissions.status,
    status_labels.status_label,
    coalesce(mart_sources.rows_used, 0)::bigint as rows_used,
    mart_sources.rows_in_numerator::bigint as rows_in_numerator
from mart_sources
left join submissions on mart_sources.submission_id = submissions.submission_id
left join departments on submissions.department_code = departments.department_code
left join status_labels on submissions.status = status_labels.status
