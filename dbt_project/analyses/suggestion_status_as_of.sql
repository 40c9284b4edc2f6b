-- "what was reported as of X": each suggestion's status as the city knew it at the end of
-- a day, from the period-versioned history. compile with
--   dbt compile --select suggestion_status_as_of --vars '{as_of: "2024-09-30"}'
-- and run the SQL under target/compiled/ (as the transformer or an auditor).
with reported as (
    select *
    from {{ ref('int_suggestion_status_history') }}
    where
        valid_from < ('{{ var("as_of", "2024-12-31") }}'::date + 1)::timestamp at time zone '{{ var("local_timezone") }}'
        and (
            valid_to is null
            or valid_to >= ('{{ var("as_of", "2024-12-31") }}'::date + 1)::timestamp at time zone '{{ var("local_timezone") }}'
        )
)

select
    received_month,
    district_code,
    status,
    count(*) as suggestions
from reported
group by received_month, district_code, status
order by received_month, district_code, status
