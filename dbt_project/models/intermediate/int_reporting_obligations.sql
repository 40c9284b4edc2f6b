-- one row per department × submission type × month that is owed, with its due date
with calendar as (
    select * from {{ ref('stg_reporting_calendar') }}
),

reporting_horizon as (
    {%- if var('reporting_through') %}
        select {{ month_start("'" ~ var('reporting_through') ~ "'::date") }} as through_month
    {%- else %}
        -- a file in a folder that names no submission type reports for no period
        select max(period_month) as through_month
        from {{ ref('int_submission_periods') }}
        where is_known_submission_type
    {%- endif %}
),

obligations as (
    select
        calendar.department_code,
        calendar.submission_type,
        months.period_month::date as period_month
    from calendar
    cross join reporting_horizon
    cross join lateral generate_series(
        calendar.first_period::timestamp,
        least(coalesce(calendar.last_period, reporting_horizon.through_month), reporting_horizon.through_month)::timestamp,
        interval '1 month'
    ) as months (period_month)
)

select
    department_code,
    submission_type,
    period_month,
    {{ submission_due_date('period_month') }} as due_date
from obligations
