-- 报送部门维表: one row per reporting department, its jurisdiction and submission types
with departments as (
    select * from {{ ref('stg_departments') }}
),

districts as (
    select
        district_code,
        district_name
    from {{ ref('stg_districts') }}
),

jurisdictions as (
    select
        departments.department_code,
        string_agg(districts.district_name, '|' order by districts.district_code) as reports_for_name
    from departments
    cross join lateral unnest(string_to_array(departments.reports_for, '|')) as jurisdiction (district_code)
    left join districts on jurisdiction.district_code = districts.district_code
    group by departments.department_code
)

select
    departments.department_code,
    departments.department_name,
    departments.reports_for_any_district,
    departments.reports_for,
    case when departments.reports_for_any_district then '全市（不限区县）' else jurisdictions.reports_for_name end as reports_for_name,
    departments.submission_types,
    'org_coverage' = any(string_to_array(departments.submission_types, '|')) as reports_org_coverage,
    'service_activity' = any(string_to_array(departments.submission_types, '|')) as reports_service_activity,
    'suggestion' = any(string_to_array(departments.submission_types, '|')) as reports_suggestion
from departments
left join jurisdictions using (department_code)
