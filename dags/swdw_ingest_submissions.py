"""swdw_ingest_submissions: landing zone -> validated raw.* (docs/design.md §2, §4).

discover -> process_file (one mapped task per file) -> publish (Asset swdw://warehouse/raw)

When it runs: as soon as a file lands, and every 15 minutes in any case.
- Event-driven: the Asset ``swdw://landing/`` has an AssetWatcher whose trigger
  (ingest.airflow.triggers.LandingZoneTrigger) polls the landing zone in the triggerer every
  2 s and emits one asset event per new file (settled, not yet in the register). The
  scheduler starts a run for the events queued so far; files landing together share a run.
- Safety net: the cron */15 of the same AssetOrTimeSchedule starts a run anyway (a triggerer
  down, a file announced before a restart, a warehouse that was unreachable).
Either way a run processes every pending file in the landing zone, not only the file that
was announced, and a file is never processed twice: the register records identical bytes
once (sha256 unique per department and type), each file is processed under its own guard,
and a processed file leaves the landing zone; a second run finds nothing left to do.

Thin on purpose: all logic lives in the ``ingest`` package, imported inside the tasks so the
dag-processor parses this file without pandas, Great Expectations or dbt.
Every run is idempotent: a file already registered (same department, type and sha256) is
recorded once and never loaded twice, so reruns and retries are safe.

Retries: process_file retries with exponential backoff only for transient faults (warehouse
unreachable, dropped connection); a file that fails validation is quarantined and its task
succeeds (never retried); any other error fails the task at once
(ingest.airflow.tasks.process_file). A failed task alerts through the swdw notifier.
discover opens the pass and publish closes it (ingest.jobs.ingest_pass, as `swdw ingest` does):
audit.pipeline_run, the quarantine alert listing the reasons, the audit chain heads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import AssetOrTimeSchedule, dag, task

from ingest.airflow.dag_defaults import RAW_ASSET, city_cron, default_args  # airflow.sdk only
from ingest.airflow.triggers import landing_asset  # the landing-zone watcher: nothing heavy either
from ingest.config import settings

PASS_RUN_ID = "pass_run_id"  # the XCom that carries audit.pipeline_run's run_id from discover to publish


@dag(
    dag_id="swdw_ingest_submissions",
    schedule=AssetOrTimeSchedule(
        timetable=city_cron("*/15 * * * *"),
        assets=landing_asset(),
    ),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(max_retry_delay=timedelta(minutes=15), execution_timeout=timedelta(minutes=30)),
    tags=["swdw", "ingest"],
    doc_md=__doc__,
)
def swdw_ingest_submissions():
    @task
    def discover(ti=None) -> list[dict]:
        """Open the pass over the files in the landing zone that are not yet in the register."""
        from ingest.airflow.tasks import begin_ingest

        begun = begin_ingest()
        ti.xcom_push(key=PASS_RUN_ID, value=begun["run_id"])  # publish closes the same pass
        return begun["files"]

    @task(
        # shown in the grid instead of 0, 1, 2...; renders before and after the run, and
        # after the run it also shows the outcome (loaded / quarantined / duplicate)
        map_index_template=(
            "{{ task.op_kwargs['file']['department_code'] }}/{{ task.op_kwargs['file']['file_name'] }}"
            "{% if swdw_outcome is defined %} → {{ swdw_outcome }}{% endif %}"
        ),
        # transient faults: 1, 2, 4... minutes apart (capped), 4 tries in all
        retries=3,
        retry_delay=timedelta(seconds=30),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(minutes=10),
        # as many files at once as there are task slots: the order they finish in decides nothing,
        # since the landing time picks the snapshot that stays loaded and the load of a period's
        # snapshot waits for another one's (ingest.warehouse.locks.lock_snapshot_period)
        max_active_tis_per_dagrun=settings().files_at_once,
    )
    def process_file(file: dict) -> dict:
        """Parse, normalise, validate and load (or quarantine) one submission."""
        from airflow.sdk import get_current_context

        from ingest.airflow.lineage import declare_file_task_inputs, declare_file_task_outputs
        from ingest.airflow.tasks import process_file as process

        context = get_current_context()
        declare_file_task_inputs(context["task"], file)  # OpenLineage: the landing file
        outcome = process(file)
        declare_file_task_outputs(context["task"], outcome)  # OpenLineage: raw.<type>, the register
        context["swdw_outcome"] = outcome["status"]
        return outcome

    @task(outlets=[RAW_ASSET], trigger_rule="all_done")
    def publish(outcomes, ti=None, outlet_events=None) -> dict:
        """Close the pass; update the raw Asset only when something was loaded.

        Runs even when some files failed unexpectedly (those have no outcome), so files that
        did load still reach the marts. A skipped task emits no asset event, so the build DAG
        is triggered only by runs that changed raw.*.
        """
        from ingest.airflow.tasks import finish_ingest

        summary, extra = finish_ingest(ti.xcom_pull(task_ids="discover", key=PASS_RUN_ID), outcomes)
        outlet_events[RAW_ASSET].extra = extra
        return summary

    # the failed file task has alerted already
    @task(trigger_rule="one_failed", retries=0, on_failure_callback=None)
    def fail_if_any_file_failed() -> None:
        """Keeps the run red when a file task failed, although publish still ran."""
        raise RuntimeError("at least one process_file task failed; see its log (the file stays in the landing zone)")

    files = discover()
    outcomes = process_file.expand(file=files)
    publish(outcomes)
    outcomes >> fail_if_any_file_failed()


swdw_ingest_submissions()
