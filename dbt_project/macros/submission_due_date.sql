{#
    The due date of a monthly report: day var submission_due_day (the 10th) of the month
    after period_month (a first-of-month date). ingest/jobs/reporting_calendar.py due_date()
    computes the same date from the same var.
#}
{% macro submission_due_date(period_month) -%}
    ({{ period_month }} + interval '1 month' + interval '{{ var("submission_due_day") | int - 1 }} days')::date
{%- endmacro %}
