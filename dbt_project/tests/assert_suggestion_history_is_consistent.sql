-- the status history is a gap-free timeline per suggestion whose current version is the
-- latest version of the suggestion (latest_version_order over every accepted version: a
-- resend repeating a row unchanged is the latest); one row per inconsistency
with history as (
    select * from {{ ref('int_suggestion_status_history') }}
),

timeline_breaks as (
    select
        department_code,
        suggestion_id,
        'version does not start where the previous one ended' as problem
    from (
        select
            department_code,
            suggestion_id,
            valid_from,
            lag(valid_to) over (
                partition by department_code, suggestion_id order by version_number
            ) as previous_valid_to,
            version_number
        from history
    ) as versions
    where version_number > 1 and previous_valid_to is distinct from valid_from
),

empty_periods as (
    select
        department_code,
        suggestion_id,
        'valid_to is not after valid_from' as problem
    from history
    where valid_to <= valid_from
),

current_counts as (
    select
        department_code,
        suggestion_id,
        'not exactly one current version' as problem
    from history
    group by department_code, suggestion_id
    having count(*) filter (where is_current) <> 1
),

current_versions as (
    select
        department_code,
        suggestion_id,
        received_date,
        channel,
        district_code,
        topic,
        title,
        status,
        concluded_date,
        handling_unit,
        submission_id,
        source_row
    from history
    where is_current
),

ranked_versions as (
    select
        *,
        row_number() over (
            partition by department_code, suggestion_id
            order by {{ latest_version_order() }}
        ) as version_rank
    from {{ ref('int_suggestion_versions') }}
),

latest_versions as (
    select
        department_code,
        suggestion_id,
        received_date,
        channel,
        district_code,
        topic,
        title,
        status,
        concluded_date,
        handling_unit,
        submission_id,
        source_row
    from ranked_versions
    where version_rank = 1
),

current_mismatches as (
    select
        mismatched.department_code,
        mismatched.suggestion_id,
        'current version differs from the latest version' as problem
    from (
        (
            select * from current_versions
            except
            select * from latest_versions
        )
        union all
        (
            select * from latest_versions
            except
            select * from current_versions
        )
    ) as mismatched
)

select * from timeline_breaks
union all
select * from empty_periods
union all
select * from current_counts
union all
select * from current_mismatches
