-- Chinese labels of every coded value: contract enums (generated seed) and register codes
with contract_labels as (
    select
        submission_type,
        column_name,
        code,
        label_zh
    from {{ ref('enum_labels') }}
),

register_labels as (
    select
        submission_type,
        column_name,
        code,
        label_zh
    from {{ ref('submission_labels') }}
)

select * from contract_labels
union all
select * from register_labels
