{#
    Whether an organisation counts in mart_coverage: var coverage_min_party_members narrows the
    scope (0 = every organisation in the period's accepted snapshots). mart_coverage and
    mart_provenance both filter by it, so the files behind a figure are those of its organisations.
#}
{% macro coverage_in_scope(party_member_count='party_member_count') -%}
    {{ party_member_count }} >= {{ var('coverage_min_party_members') | int }}
{%- endmacro %}
