-- period-versioned history of every suggestion: one row per version as the city learned it,
-- valid from the landing time (received_at) of the submission that reported it until the
-- next version landed. "what was reported as of X":
--   valid_from <= X and (valid_to > X or valid_to is null)
-- raw keeps every version, so the history is rebuilt from it rather than snapshotted.
with suggestion_versions as (
    select * from {{ ref('int_suggestion_versions') }}
),

-- one version per landing time: within one landing the latest version wins
landed_versions as (
    select
        *,
        row_number() over (
            partition by department_code, suggestion_id, submission_received_at
            order by {{ latest_version_order() }}
        ) as landing_rank
    from suggestion_versions
),

fingerprinted_versions as (
    select
        *,
        md5(row(
            received_date, channel, district_code, topic, title, status, concluded_date, handling_unit
        )::text) as version_fingerprint
    from landed_versions
    where landing_rank = 1
),

-- a version is kept only when something reported changed (a clerk may resend unchanged rows)
changed_versions as (
    select
        *,
        lag(version_fingerprint) over (
            partition by department_code, suggestion_id order by submission_received_at
        ) as previous_fingerprint,
        lag(status) over (
            partition by department_code, suggestion_id order by submission_received_at
        ) as previous_status
    from fingerprinted_versions
),

kept_versions as (
    select * from changed_versions
    where previous_fingerprint is distinct from version_fingerprint
),

timed_versions as (
    select
        *,
        row_number() over (
            partition by department_code, suggestion_id order by submission_received_at
        ) as version_number,
        lead(submission_received_at) over (
            partition by department_code, suggestion_id order by submission_received_at
        ) as next_received_at
    from kept_versions
)

select
    department_code,
    suggestion_id,
    version_number,
    submission_received_at as valid_from,
    next_received_at as valid_to,
    next_received_at is null as is_current,
    received_date,
    received_month,
    channel,
    district_code,
    topic,
    title,
    status,
    previous_status,
    coalesce(status <> previous_status, true) as is_status_change,
    concluded_date,
    handling_unit,
    submission_id,
    source_row
from timed_versions
