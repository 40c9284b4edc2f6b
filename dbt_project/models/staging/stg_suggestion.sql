-- latest version of each suggestion per (department_code, suggestion_id): the later landing
-- wins, then the higher submission id, then the later source row
with suggestion_versions as (
    select
        *,
        row_number() over (
            partition by department_code, suggestion_id
            order by submission_received_at desc, submission_id desc, source_row desc
        ) as version_rank
    from {{ ref('stg_suggestion_versions') }}
)

select
    department_code,
    suggestion_id,
    received_date,
    received_month,
    channel,
    district_code,
    topic,
    title,
    status,
    concluded_date,
    handling_unit,
    submission_id,
    source_row,
    submission_received_at,
    loaded_at
from suggestion_versions
where version_rank = 1
