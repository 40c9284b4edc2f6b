"""A pure-Python oracle of the marts and a generator of submission sequences.

`reference` holds the reference data (docs/design.md §5 and the city-edited seeds), `records` the
canonical records and how a clerk types them, `sequences` the hypothesis generator and
what ingest must do with each generated file, `marts` the definition of every mart computed
from the accepted records, `harness` runs a sequence through ingest and dbt and compares.
"""
