-- every raw suggestion row (every version of every suggestion). personal data
-- (submitter_*_hash, submitter_phone_masked), free-text content and extra are never
-- selected here. which submissions count and which version is current is decided against
-- the register in the intermediate models.
with raw_rows as (
    select * from {{ source('raw', 'suggestion') }}
)

select
    submission_id,
    source_row,
    suggestion_id,
    received_date,
    {{ month_start('received_date') }} as received_month,
    channel,
    district_code,
    topic,
    title,
    status,
    concluded_date,
    handling_unit,
    loaded_at
from raw_rows
