-- 服务活动: activities per activity_month × district_code × category × target_group
with activities as (
    select * from {{ ref('int_service_activity') }}
),

activity_counts as (
    select
        activity_month,
        district_code,
        category,
        target_group,
        count(*) as activities,
        sum(participants) as participants,
        count(*) filter (where is_approximate) as approximate_records,
        sum(volunteers) as volunteers,
        sum(service_hours) as service_hours
    from activities
    group by activity_month, district_code, category, target_group
),

districts as (
    select
        district_code,
        district_name
    from {{ ref('stg_districts') }}
),

labels as (
    select
        column_name,
        code,
        label_zh
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'service_activity'
)

select
    activity_counts.activity_month,
    activity_counts.district_code,
    districts.district_name,
    activity_counts.category,
    category_labels.label_zh as category_label,
    activity_counts.target_group,
    target_group_labels.label_zh as target_group_label,
    activity_counts.activities,
    activity_counts.participants,
    activity_counts.approximate_records,
    activity_counts.volunteers,
    activity_counts.service_hours
from activity_counts
left join districts using (district_code)
left join labels as category_labels
    on category_labels.column_name = 'category' and activity_counts.category = category_labels.code
left join labels as target_group_labels
    on target_group_labels.column_name = 'target_group' and activity_counts.target_group = target_group_labels.code
