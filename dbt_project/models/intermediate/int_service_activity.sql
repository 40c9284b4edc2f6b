{{
    config(
        materialized='incremental',
        unique_key=['department_code', 'activity_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}
{#- the columns of this model, in order: listed once for all three selects -#}
{%- set activity_columns = [
    'department_code', 'activity_id', 'activity_date', 'activity_month', 'district_code',
    'category', 'target_group', 'participants', 'volunteers', 'service_hours', 'is_approximate',
    'title', 'organizer', 'submission_id', 'source_row', 'submission_received_at', 'loaded_at',
] %}
-- latest version of each activity per (department_code, activity_id), built incrementally.
-- an incremental run reads only the raw rows loaded after the newest row already here
-- (raw.loaded_at; loads are serial, so it only grows) and ranks them together with the
-- version already held for the same activities: a later landing replaces the earlier
-- version, an out-of-order older file does not. delete+insert then swaps the winners in.
with new_versions as (
    select *
    from {{ ref('int_service_activity_versions') }}
    {% if is_incremental() %}
        where loaded_at > (
                select coalesce(max(current_activities.loaded_at), '-infinity'::timestamptz)
                from {{ this }} as current_activities
            )
    {% endif %}
),

-- incremental runs: the versions already held for the activities the new rows touch
{% if is_incremental() %}
    held_versions as (
        select held.*
        from {{ this }} as held
        where exists (
                select 1
                from new_versions
                where
                    new_versions.department_code = held.department_code
                    and new_versions.activity_id = held.activity_id
            )
    ),
{% endif %}

candidate_versions as (
    select
        {{ activity_columns | join(',\n        ') }}
    from new_versions
    {% if is_incremental() %}
        union all
        select
            {{ activity_columns | join(',\n            ') }}
        from held_versions
    {% endif %}
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by department_code, activity_id
            order by {{ latest_version_order() }}
        ) as version_rank
    from candidate_versions
)

select
    {{ activity_columns | join(',\n    ') }}
from ranked_versions
where version_rank = 1
