{#
    The register's position as one value: an md5 over every register row's id, status and
    last change, in id order. A new file, a load, a quarantine, a reprocess or a superseded
    snapshot moves it; nothing else does. The build stamp records it (stamp_build_info) and
    marts.mart_build_info compares it with the register's now: equal means the table was built
    from the register as it is. The epoch of updated_at reads the same in every session time zone.
#}
{% macro register_position(submissions) -%}
    md5(
        coalesce(
            string_agg(
                {{ submissions }}.submission_id::text
                || ':' || {{ submissions }}.status
                || ':' || extract(epoch from {{ submissions }}.updated_at)::text,
                ',' order by {{ submissions }}.submission_id
            ),
            ''
        )
    )
{%- endmacro %}
