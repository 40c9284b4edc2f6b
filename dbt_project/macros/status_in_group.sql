{#
    True when a suggestion status expression belongs to a named status group (concluded,
    converted, converted_to_policy). The groups are declared once, in the suggestion
    contract, and reach dbt through the generated seed status_groups.
#}
{% macro status_in_group(expression, group_name) -%}
    {{ expression }} in (
        select status_groups.code
        from {{ ref('status_groups') }} as status_groups
        where
            status_groups.submission_type = 'suggestion'
            and status_groups.column_name = 'status'
            and status_groups.group_name = '{{ group_name }}'
    )
{%- endmacro %}
