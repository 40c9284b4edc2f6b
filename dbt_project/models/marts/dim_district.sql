-- 区县维表: one row per district (GB/T 2260 code)
select
    district_code,
    district_name,
    short_names,
    is_city_level
from {{ ref('stg_districts') }}
