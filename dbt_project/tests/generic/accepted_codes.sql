{#
    Generic test: every non-null value of the column is a code labelled in the enum seeds
    (stg_enum_labels: enum_labels, generated from the contracts, plus submission_labels for
    the register). Fails with one row per unexpected code, or one row when the seeds label no
    code at all for (submission_type, code_column), so a mistyped test cannot pass vacuously.
#}
{% test accepted_codes(model, column_name, submission_type, code_column=none) %}
with labelled_codes as (
    select code
    from {{ ref('stg_enum_labels') }}
    where
        submission_type = '{{ submission_type }}'
        and column_name = '{{ code_column or column_name }}'
),

unexpected_codes as (
    select
        {{ column_name }}::text as unexpected_code,
        count(*) as occurrences
    from {{ model }}
    where
        {{ column_name }} is not null
        and {{ column_name }}::text not in (select labelled_codes.code from labelled_codes)
    group by {{ column_name }}::text
),

missing_labels as (
    select
        '(no codes labelled for {{ submission_type }}.{{ code_column or column_name }})' as unexpected_code,
        0 as occurrences
    where not exists (select 1 from labelled_codes)
)

select * from unexpected_codes
union all
select * from missing_labels
{% endtest %}
