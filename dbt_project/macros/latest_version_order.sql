{#
    The one order that decides which version of a record is the latest, everywhere: the
    later landing (received_at of the submission) wins, then the higher submission id,
    then the later source row. Files may be processed in any order, so landing time, not
    processing order, decides; a resend that repeats a row unchanged is the latest version.
    Use it as the order of a window: row_number() = 1 is the latest version; with
    oldest_first=true the same order runs forwards (for lag/lead along a history).
    Register rows (no source row) pass source_row=none.
#}
{% macro latest_version_order(
    received_at='submission_received_at',
    submission_id='submission_id',
    source_row='source_row',
    oldest_first=false
) -%}
    {%- set direction = 'asc' if oldest_first else 'desc' -%}
    {{ received_at }} {{ direction }}, {{ submission_id }} {{ direction }}
    {%- if source_row %}, {{ source_row }} {{ direction }}{% endif %}
{%- endmacro %}
