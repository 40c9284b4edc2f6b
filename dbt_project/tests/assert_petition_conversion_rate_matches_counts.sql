-- conversion_rate equals suggestions_converted ÷ suggestions_received; counts are consistent
select *
from {{ ref('mart_petition_conversion') }}
where conversion_rate is distinct from round(suggestions_converted::numeric / nullif(suggestions_received, 0), 4)
    or suggestions_converted > suggestions_concluded
    or suggestions_concluded > suggestions_received
    or suggestions_converted_to_policy > suggestions_converted
    or suggestions_adopted <> suggestions_converted
    or suggestions_rejected > suggestions_concluded
    or p90_days_to_conclusion < median_days_to_conclusion
