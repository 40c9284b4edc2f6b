-- districts (GB/T 2260) from the city-edited seed
select
    district_code,
    district_name,
    short_names,
    district_code = '340600' as is_city_level
from {{ ref('districts') }}
