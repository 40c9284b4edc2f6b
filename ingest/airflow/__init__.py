"""The Airflow edge: what DAG files share, task callbacks, and the local runner; task bodies call ingest.jobs."""
