-- mart_provenance covers every mart row exactly (no row missing, none extra) and its row counts
-- add up to the mart's own counts: rows_used to the count it names, rows_in_numerator to the
-- numerator, the files of a submission-quality row to submissions_received. the expected side
-- is read from the marts' own columns, never from the figures mart_provenance repeats.
with mart_rows as (
    select
        'mart_coverage' as mart_name,
        {{ grain_key('period_month', ['district_code', 'org_type']) }} as grain_key,
        orgs_total::bigint as counted_rows,
        orgs_with_party_org::bigint as numerator,
        null::bigint as files
    from {{ ref('mart_coverage') }}
    union all
    select
        'mart_service_counts' as mart_name,
        {{ grain_key('activity_month', ['district_code', 'category', 'target_group']) }} as grain_key,
        activities::bigint as counted_rows,
        activities::bigint as numerator,
        null::bigint as files
    from {{ ref('mart_service_counts') }}
    union all
    select
        'mart_petition_conversion' as mart_name,
        {{ grain_key('received_month', ['district_code', 'channel']) }} as grain_key,
        suggestions_received::bigint as counted_rows,
        suggestions_converted::bigint as numerator,
        null::bigint as files
    from {{ ref('mart_petition_conversion') }}
    union all
    select
        'mart_submission_quality' as mart_name,
        {{ grain_key('period_month', ['department_code', 'submission_type']) }} as grain_key,
        rows_received::bigint as counted_rows,
        null::bigint as numerator,
        submissions_received::bigint as files
    from {{ ref('mart_submission_quality') }}
),

provenance_rows as (
    select
        mart_name,
        grain_key,
        sum(rows_used) as counted_rows,
        sum(rows_in_numerator) as numerator,
        count(submission_id) as files
    from {{ ref('mart_provenance') }}
    group by mart_name, grain_key
)

select
    coalesce(mart_rows.mart_name, provenance_rows.mart_name) as mart_name,
    coalesce(mart_rows.grain_key, provenance_rows.grain_key) as grain_key,
    mart_rows.counted_rows as mart_counted_rows,
    provenance_rows.counted_rows as provenance_counted_rows,
    mart_rows.numerator as mart_numerator,
    provenance_rows.numerator as provenance_numerator,
    mart_rows.files as mart_files,
    provenance_rows.files as provenance_files
from mart_rows
full join provenance_rows
    on
        mart_rows.mart_name = provenance_rows.mart_name
        and mart_rows.grain_key = provenance_rows.grain_key
where
    mart_rows.grain_key is null
    or provenance_rows.grain_key is null
    or mart_rows.counted_rows is distinct from provenance_rows.counted_rows
    or mart_rows.numerator is distinct from provenance_rows.numerator
    or (mart_rows.files is not null and mart_rows.files <> provenance_rows.files)
