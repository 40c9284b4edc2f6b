"""OpenLineage for swdw, without Airflow: what the events call things, where they are written, the
transform every event passes, and the events of a dbt build swdw ran itself.

The Airflow OpenLineage provider (configured by ingest.airflow.lineage) and the dbt build both
write through these, so a table carries the same name in every event and a lineage server joins
their graphs.
"""
