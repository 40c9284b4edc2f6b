"""swdw_reprocess: judge registered submissions again from their kept originals (docs/design.md §1, §4).

Manual only. Typed parameters (the trigger form validates them):
department_code, submission_type, report_period (YYYY-MM), optional submission_id.
Without an id, every current (loaded or quarantined) submission of that department, type
and period is reprocessed.

reprocess -> rebuild_marts (the dbt selection an ingest of the loaded types uses; skipped when
nothing was loaded). The reprocess is a pass like an ingest (ingest.jobs.ingest_pass): it is
recorded in audit.pipeline_run and alerts the same way (quarantined again, flagged).

What reprocessing may and may not do to the register (no second register row for the same
bytes, nothing loaded twice, quarantined -> loaded only after a clean re-validation, every
attempt recorded in audit.reprocess_run) is documented in ingest/jobs/reprocess.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag, task

from ingest.airflow.dag_defaults import default_args, department_codes, submission_types  # airflow.sdk only


@dag(
    dag_id="swdw_reprocess",
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_delay=timedelta(seconds=30)),
    tags=["swdw", "ingest", "reprocess"],
    doc_md=__doc__,
    params={
        "department_code": Param(
            type="string",
            enum=department_codes(),
            title="报送单位 department",
            description="department folder code (departments.csv)",
        ),
        "submission_type": Param(type="string", enum=submission_types(), title="报表类型 submission type"),
        "report_period": Param(
            type="string",
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            title="统计期 report period",
            description="YYYY-MM, the month the submission reports for",
        ),
        "submission_id": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            title="报送编号 submission id",
            description="optional: reprocess only this submission",
        ),
    },
)
def swdw_reprocess():
    @task
    def reprocess(params=None, run_id=None) -> list[dict]:
        """Re-validate from the kept original as one pass; load what is now accepted."""
        from ingest.airflow.tasks import reprocess as run

        return run(params, run_id)

    @task
    def rebuild_marts(outcomes: list[dict]) -> list[str]:
        """dbt build with the selection an ingest of the loaded types uses, when something was loaded."""
        from ingest.airflow.tasks import rebuild_after_reprocess

        return rebuild_after_reprocess(outcomes)

    rebuild_marts(reprocess())


swdw_reprocess()
