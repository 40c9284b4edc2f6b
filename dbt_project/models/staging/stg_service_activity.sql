-- every raw service_activity row (every version of every activity), cleaned: empty volunteers
-- and hours mean 0. which submissions count and which version is the latest is decided
-- against the register in the intermediate models.
with raw_rows as (
    select * from {{ source('raw', 'service_activity') }}
)

select
    submission_id,
    source_row,
    activity_id,
    activity_date,
    {{ month_start('activity_date') }} as activity_month,
    district_code,
    category,
    target_group,
    participants,
    coalesce(volunteers, 0) as volunteers,
    coalesce(service_hours, 0) as service_hours,
    is_approximate,
    title,
    organizer,
    loaded_at
from raw_rows
