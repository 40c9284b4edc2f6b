{#
    The month a register row reports for (first day, as a date): its report_period, else the
    end, else the start of the event dates it covers, else the month before it was received
    (in the city's local time, var local_timezone). Defined once, as the SQL function
    audit.submission_period_month (ingest/warehouse/schema.py), which ingest/jobs/reprocess.py
    and ingest/jobs/reporting_calendar.py call too.
#}
{% macro submission_period_month(
    report_period='report_period',
    period_start='period_start',
    period_end='period_end',
    received_at='received_at'
) -%}
    audit.submission_period_month(
        {{ report_period }}, {{ period_start }}, {{ period_end }}, {{ received_at }}, '{{ var("local_timezone") }}'
    )
{%- endmacro %}

{# A timestamptz expression as the city's wall-clock time (var local_timezone). #}
{% macro local_time(expression) -%}
    ({{ expression }} at time zone '{{ var("local_timezone") }}')
{%- endmacro %}
