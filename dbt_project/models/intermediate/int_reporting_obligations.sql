-- one row per department × submission type × month that is owed, with its due date
with calendar as (
    select * from {{ ref('stg_reporting_calendar') }}
),

reporting_horizon as (
    {%- if var('reporting_through') %}
        select {{ month_start("'" ~ var('reporting_through') ~ "'::date") }} as through_month
    {%- else %}
        select max(period_month) as through_month from {{ ref('stg_submissions') }}
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
