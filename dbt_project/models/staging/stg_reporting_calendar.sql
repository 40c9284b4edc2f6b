-- which department owes which submission type monthly, from when until when
select
    department_code,
    submission_type,
    {{ month_start('first_period') }} as first_period,
    {{ month_start('last_period') }} as last_period
from {{ ref('reporting_calendar') }}
