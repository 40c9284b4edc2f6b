{# numerator ÷ denominator as numeric rounded to 4 decimals; null when the denominator is 0. #}
{% macro safe_rate(numerator, denominator, scale=4) -%}
    round(({{ numerator }})::numeric / nullif({{ denominator }}, 0), {{ scale }})
{%- endmacro %}
