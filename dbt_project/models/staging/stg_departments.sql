-- reporting departments from the city-edited seed; reports_for '*' means any district
select
    department_code,
    department_name,
    nullif(reports_for, '*') as reports_for,
    reports_for = '*' as reports_for_any_district,
    submission_types
from {{ ref('departments') }}
