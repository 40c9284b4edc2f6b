"""swdw_ingest_submissions: landing zone -> validated raw.* (DESIGN §2, §4).

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
(ingest.airflow.local_runner.process_file_task). A failed task alerts through the swdw notifier;
publish alerts when files were quarantined, listing the reasons.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from ingest.airflow.dag_defaults import RAW_ASSET, default_args  # airflow.sdk only
from ingest.airflow.triggers import landing_asset  # the landing-zone watcher: nothing heavy either


@dag(
    dag_id="swdw_ingest_submissions",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("*/15 * * * *", timezone="UTC"),
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
    def discover() -> list[dict]:
        """Files in the landing zone that are not yet in the submission register."""
        from ingest.jobs.pipeline import discover_pending

        pending = list(discover_pending())
        print(f"{len(pending)} pending file(s) in the landing zone")
        for item in pending:
            print(f"  {item['department_code']}/{item['submission_type']}/{item['file_name']}")
        return pending

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
        # one file at a time, oldest first (map order): a later snapshot for the same
        # department and period must be registered after, and supersede, the earlier one
        max_active_tis_per_dagrun=1,
    )
    def process_file(file: dict) -> dict:
        """Parse, normalise, validate and load (or quarantine) one submission."""
        from airflow.sdk import get_current_context

        from ingest.airflow.lineage import declare_file_task_inputs, declare_file_task_outputs
        from ingest.airflow.local_runner import process_file_task

        context = get_current_context()
        declare_file_task_inputs(context["task"], file)  # OpenLineage: the landing file
        outcome = process_file_task(file)
        declare_file_task_outputs(context["task"], outcome)  # OpenLineage: raw.<type>, the register
        context["swdw_outcome"] = outcome.get("status")
        print(
            f"{file['department_code']}/{file['submission_type']}/{file['file_name']}: "
            f"{outcome.get('status')} (submission {outcome.get('submission_id')}, "
            f"rows {outcome.get('row_count')}, errors {outcome.get('error_count')}, "
            f"warnings {outcome.get('warning_count')}) {outcome.get('reason') or ''}".rstrip()
        )
        return outcome

    @task(outlets=[RAW_ASSET], trigger_rule="all_done")
    def publish(outcomes, outlet_events=None) -> dict:
        """Summarise the run; update the raw Asset only when something was loaded.

        Runs even when some files failed unexpectedly (those have no outcome), so files that
        did load still reach the marts. A skipped task emits no asset event, so the build DAG
        is triggered only by runs that changed raw.*.
        """
        from airflow.sdk.exceptions import AirflowSkipException

        from ingest.jobs.pipeline import count_outcomes

        results = [o for o in (outcomes or []) if o]
        counts = count_outcomes(results)
        loaded = [o["submission_id"] for o in results if o.get("status") == "loaded"]
        summary = {
            "files": len(results),
            "by_status": counts,
            "loaded_submission_ids": loaded,
            "rows_loaded": sum(o.get("row_count") or 0 for o in results if o.get("status") == "loaded"),
            "errors": sum(o.get("error_count") or 0 for o in results),
            "warnings": sum(o.get("warning_count") or 0 for o in results),
        }
        print(
            "ingest summary: "
            + ", ".join(f"{k}={len(v) if k == 'loaded_submission_ids' else v}" for k, v in summary.items())
        )
        quarantined = [o for o in results if o.get("status") == "quarantined"]
        if quarantined:
            from ingest.notify import notify, quarantine_lines

            summary["notification"] = notify(
                "quarantine",
                f"{len(quarantined)} 份报送被退回 / {len(quarantined)} submission(s) quarantined",
                quarantine_lines(quarantined),
                {"submission_ids": [o.get("submission_id") for o in quarantined]},
            )
        from ingest.warehouse.audit_chain import record_chain_heads

        record_chain_heads(source="airflow:swdw_ingest_submissions")
        if not loaded:
            raise AirflowSkipException("no submission loaded: raw.* unchanged, no asset event")
        outlet_events[RAW_ASSET].extra = {
            "loaded_submission_ids": loaded,
            "rows_loaded": summary["rows_loaded"],
            # swdw_build_marts rebuilds only what these types feed (ingest.jobs.transform.incremental_selection)
            "submission_types": sorted({o["submission_type"] for o in results if o.get("status") == "loaded"}),
        }
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
