"""swdw_mail_intake: departments' reports by mail into the landing zone.

As soon as mail arrives, every 5 minutes on the city's clock in any case, and on demand: reads the
intake mailbox (Airflow connection ``swdw_imap``, Airflow's IMAP provider). Event-driven: the Asset
``swdw://mailbox/`` has an AssetWatcher whose trigger (ingest.airflow.mailbox_watcher) asks the
server for the inbox's STATUS every 3 s in the triggerer and emits an event when new mail has
arrived; the cron */5 of the same AssetOrTimeSchedule is the safety net.

A message from a registered department address (SWDW_DEPARTMENT_CONTACTS) lands each attachment
under ``<landing>/<department>/<type>/``, where the landing watcher starts swdw_ingest_submissions;
a message over a limit is answered to the department's registered contact and lands nothing; an
unknown sender is only recorded. Each message is recorded once in audit.mail_message and moved to
the ``processed`` folder.
Logic: ingest/jobs/mail_intake.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import AssetOrTimeSchedule, dag, task

from ingest.airflow.dag_defaults import city_cron, default_args  # airflow.sdk only
from ingest.airflow.mailbox_watcher import mailbox_asset  # the mailbox watcher: nothing heavy either


@dag(
    dag_id="swdw_mail_intake",
    schedule=AssetOrTimeSchedule(timetable=city_cron("*/5 * * * *"), assets=mailbox_asset()),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(
        retry_delay=timedelta(seconds=30), max_retry_delay=timedelta(minutes=2), execution_timeout=timedelta(minutes=4)
    ),
    tags=["swdw", "mail", "ingest"],
    doc_md=__doc__,
)
def swdw_mail_intake():
    @task
    def poll_mailbox() -> dict:
        """Land, answer or record every new message of the intake mailbox."""
        from ingest.airflow.tasks import poll_mail

        return poll_mail()

    poll_mailbox()


swdw_mail_intake()
