{# First day of the month of a date / timestamp expression, as a date. #}
{% macro month_start(expression) -%}
    date_trunc('month', {{ expression }})::date
{%- endmacro %}
