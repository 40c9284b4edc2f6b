{#
    The text key of a mart row in mart_provenance: its grain columns joined by '|', months as
    YYYY-MM (e.g. 2024-12|340603|enterprise). `swdw explain MART KEY…` joins its KEY arguments
    the same way, so an auditor types the key as the mart row reads.
#}
{% macro grain_key(month_column, other_columns) -%}
    concat_ws('|', to_char({{ month_column }}, 'YYYY-MM'), {{ other_columns | join(', ') }})
{%- endmacro %}
