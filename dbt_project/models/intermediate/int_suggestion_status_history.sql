-- period-versioned history of every suggestion: one row per version as the city learned it,
-- valid from the landing time (received_at) of the submission that first reported it until
-- the next different version landed. "what was reported as of X":
--   valid_from <= X and (valid_to > X or valid_to is null)
-- raw keeps every version, so the history is rebuilt from it rather than snapshotted.
-- a resend that repeats a version unchanged is folded into it and becomes its evidence
-- (submission_id, source_row): the latest landing is current, as everywhere else, so the
-- current version is exactly the latest version of the suggestion (latest_version_order).
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

-- a run of landings that report the same thing is one version (a clerk may resend unchanged rows)
compared_versions as (
    select
        *,
        lag(version_fingerprint) over (
            partition by department_code, suggestion_id
            order by {{ latest_version_order(oldest_first=true) }}
        ) as previous_fingerprint
    from fingerprinted_versions
),

marked_versions as (
    select
        *,
        coalesce(previous_fingerprint <> version_fingerprint, true) as starts_version
    from compared_versions
),

numbered_versions as (
    select
        *,
        count(*) filter (where starts_version) over (
            partition by department_code, suggestion_id
            order by {{ latest_version_order(oldest_first=true) }}
        ) as version_number
    from marked_versions
),

-- per version: valid from its first landing; its latest landing is its evidence
folded_versions as (
    select
        *,
        min(submission_received_at) over (
            partition by department_code, suggestion_id, version_number
        ) as first_received_at,
        first_value(submission_id) over (
            partition by department_code, suggestion_id, version_number
            order by {{ latest_version_order(oldest_first=true) }}
        ) as first_submission_id,
        row_number() over (
            partition by department_code, suggestion_id, version_number
            order by {{ latest_version_order() }}
        ) as evidence_rank
    from numbered_versions
),

timed_versions as (
    select
        *,
        lag(status) over (
            partition by department_code, suggestion_id order by version_number
        ) as previous_status,
        lead(first_received_at) over (
            partition by department_code, suggestion_id order by version_number
        ) as next_received_at
    from folded_versions
    where evidence_rank = 1
)

select
    department_code,
    suggestion_id,
    version_number,
    first_received_at as valid_from,
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
    source_row,
    first_submission_id
from timed_versions
