-- 人民建议征集与转化: suggestions per received_month × district_code × channel, by the current
-- version of each suggestion (the latest landing; status groups from the suggestion contract)
with suggestions as (
    select *
    from {{ ref('int_suggestion_status_history') }}
    where is_current
),

outcomes as (
    select
        received_month,
        district_code,
        channel,
        {{ status_in_group('status', 'concluded') }} as is_concluded,
        -- 建议转化 (headline): adopted, partially adopted or converted into policy
        {{ status_in_group('status', 'converted') }} as is_converted,
        {{ status_in_group('status', 'converted_to_policy') }} as is_converted_to_policy,
        status = 'rejected' as is_rejected,
        concluded_date - received_date as days_to_conclusion
    from suggestions
),

conversion_counts as (
    select
        received_month,
        district_code,
        channel,
        count(*) as suggestions_received,
        count(*) filter (where is_concluded) as suggestions_concluded,
        count(*) filter (where is_converted) as suggestions_converted,
        count(*) filter (where is_converted_to_policy) as suggestions_converted_to_policy,
        count(*) filter (where is_rejected) as suggestions_rejected,
        round((
            percentile_cont(0.5) within group (order by days_to_conclusion)
            filter (where is_concluded)
        )::numeric, 1) as median_days_to_conclusion,
        round((
            percentile_cont(0.9) within group (order by days_to_conclusion)
            filter (where is_concluded)
        )::numeric, 1) as p90_days_to_conclusion
    from outcomes
    group by received_month, district_code, channel
),

districts as (
    select
        district_code,
        district_name
    from {{ ref('stg_districts') }}
),

channel_labels as (
    select
        code as channel,
        label_zh as channel_label
    from {{ ref('stg_enum_labels') }}
    where submission_type = 'suggestion' and column_name = 'channel'
)

select
    conversion_counts.received_month,
    conversion_counts.district_code,
    districts.district_name,
    conversion_counts.channel,
    channel_labels.channel_label,
    conversion_counts.suggestions_received,
    conversion_counts.suggestions_concluded,
    -- docs/design.md §7 names the one set twice: 采纳数 and the headline 转化数
    conversion_counts.suggestions_converted as suggestions_adopted,
    conversion_counts.suggestions_converted,
    conversion_counts.suggestions_converted_to_policy,
    conversion_counts.suggestions_rejected,
    {{ safe_rate('conversion_counts.suggestions_converted', 'conversion_counts.suggestions_received') }} as conversion_rate,
    conversion_counts.median_days_to_conclusion,
    conversion_counts.p90_days_to_conclusion
from conversion_counts
left join districts using (district_code)
left join channel_labels using (channel)
