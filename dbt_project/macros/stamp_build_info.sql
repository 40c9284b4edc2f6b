{#
    Post-hook of every marts table: stamps the table with when it was built and how far the
    submission register reached at that moment (its highest id and its position, macro
    register_position; none when the register moved after the dbt run started), and the hash of the dbt project files it was built from (ingest.jobs.transform
    passes it as SWDW_DBT_PROJECT_HASH; empty when a build did not), as the table's comment (JSON). The comment is
    written in the transaction that swaps the table in, so a stamp always describes the data
    beside it, also when a build fails half-way or rebuilds only some marts (reprocess).
    marts.mart_build_info reads the stamps. The register is read through its staging model
    (stg_submissions, a view of audit.submission), so no marts table depends on a source.
    persist_docs must stay off for marts: it would replace the comments with the model
    descriptions.
#}
{% macro stamp_build_info() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        do $stamp$
        begin
            execute format(
                'comment on table %s is %L',
                '{{ this }}',
                (
                    select
                        json_build_object(
                            'swdw_build_info', 1,
                            'built_at', now(),
                            'dbt_invocation_id', '{{ invocation_id }}',
                            'register_max_submission_id', max(submission_id),
                            'register_max_received_at', max(received_at),
                            'register_max_loaded_at', max(loaded_at),
                            -- none when the register moved after this dbt run started: the data may predate that change
                            'register_position', case
                                when coalesce(
                                    max(updated_at) <= '{{ run_started_at.strftime("%Y-%m-%dT%H:%M:%S.%f") }}+00'::timestamptz,
                                    true
                                ) then {{ register_position('submissions') }}
                            end,
                            'dbt_project_hash', nullif('{{ env_var("SWDW_DBT_PROJECT_HASH", "") }}', '')
                        )::text
                    from {{ ref('stg_submissions') }} as submissions
                )
            );
        end
        $stamp$
    {%- endif -%}
{%- endmacro %}
