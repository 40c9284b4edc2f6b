"""The Airflow connections swdw reads by id: the warehouse, the intake mailbox.

Shared by the DAGs (through ingest.airflow.dag_defaults) and by ingest.airflow.local_runner, which
sets it in the Airflow environment; a module of its own so that building that environment (every
`swdw airflow` command) does not import airflow.sdk, as dag_defaults does.
"""

WAREHOUSE_CONN_ID = "swdw_warehouse"
# the mailbox departments send their reports to (ingest.jobs.mail_intake, Airflow's IMAP provider)
IMAP_CONN_ID = "swdw_imap"
