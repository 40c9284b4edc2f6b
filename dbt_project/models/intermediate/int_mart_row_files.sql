{{ config(materialized='view') }}
-- the files behind every mart row: for each row of each mart (by mart_name and grain_key, as
-- mart_provenance keys it), the submissions it was computed from, how many of each file's rows
-- it counts and the file's register facts. the rows are counted from the same intermediate
-- models and filters as the marts themselves (macros coverage_in_scope, status_in_group), so
-- they add up to the marts' own counts. no personal data: register facts and counts only.
-- a view: computed when mart_provenance builds, from the register as it is then, whichever
-- selection rebuilt the marts.
with coverage_orgs as (
    select *
    from {{ ref('int_org_coverage_history') }}
    where {{ coverage_in_scope() }}
),

service_activities as (
    select * from {{ ref('int_service_activity') }}
),

current_suggestions as (
    select *
    from {{ ref('int_suggestion_status_history') }}
    where is_current
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

-- rows of each file per mart row, keyed by the mart row's grain
row_files as (
    select
        'mart_coverage' as mart_name,
        {{ grain_key('period_month', ['district_code', 'org_type']) }} as grain_key,
        submission_id,
        count(*) as rows_used,
        count(*) filter (where is_covered) as rows_in_numerator
    from coverage_orgs
    group by period_month, district_code, org_type, submission_id

    union all

    select
        'mart_service_counts' as mart_name,
        {{ grain_key('activity_month', ['district_code', 'category', 'target_group']) }} as grain_key,
        submission_id,
        count(*) as rows_used,
        count(*) as rows_in_numerator
    from service_activities
    group by activity_month, district_code, category, target_group, submission_id

    union all

    select
        'mart_petition_conversion' as mart_name,
        {{ grain_key('received_month', ['district_code', 'channel']) }} as grain_key,
        submission_id,
        count(*) as rows_used,
        count(*) filter (where {{ status_in_group('status', 'converted') }}) as rows_in_numerator
    from current_suggestions
    group by received_month, district_code, channel, submission_id

    union all

    -- every register row of the period counts in mart_submission_quality, with its data rows
    select
        'mart_submission_quality' as mart_name,
        {{ grain_key('period_month', ['department_code', 'submission_type']) }} as grain_key,
        submission_id,
        row_count as rows_used,
        null::bigint as rows_in_numerator
    from submissions
)

select
    row_files.mart_name,
    row_files.grain_key,
    row_files.submission_id,
    submissions.department_code,
    departments.department_name,
    submissions.submission_type,
    submissions.file_name,
    submissions.received_at,
    submissions.sha256,
    submissions.status,
    status_labels.status_label,
    row_files.rows_used::bigint as rows_used,
    row_files.rows_in_numerator::bigint as rows_in_numerator
from row_files
left join submissions on row_files.submission_id = submissions.submission_id
left join departments on submissions.department_code = departments.department_code
left join status_labels on submissions.status = status_labels.status
