"""swdw_reprocess: judge registered submissions again from their kept originals (DESIGN §1, §4).

Manual only. Typed parameters (the trigger form validates them):
department_code, submission_type, report_period (YYYY-MM), optional submission_id.
Without an id, every current (loaded or quarantined) submission of that department, type
and period is reprocessed.

reprocess -> rebuild_marts (dbt build of the models fed by raw.<type> and of
mart_submission_quality; skipped when nothing was loaded) -> report

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
        """Re-validate from the kept original; load what is now accepted (ingest.jobs.reprocess)."""
        from airflow.sdk.exceptions import AirflowFailException

        from ingest.jobs.reprocess import ReprocessError
        from ingest.jobs.reprocess import reprocess as run

        try:
            return run(
                params["department_code"],
                params["submission_type"],
                params["report_period"],
                params.get("submission_id"),
                requested_by="airflow:swdw_reprocess",
                airflow_run_id=run_id,
            )
        except ReprocessError as exc:  # wrong parameters or altered evidence: a retry cannot help
            raise AirflowFailException(str(exc)) from exc

    @task
    def rebuild_marts(outcomes: list[dict], params=None) -> list[str]:
        """dbt build of the affected models and their tests, when something was loaded."""
        from airflow.sdk.exceptions import AirflowSkipException

        from ingest.jobs.reprocess import dbt_selection
        from ingest.jobs.reprocess import rebuild_marts as build

        if not any(o["action"] == "loaded" for o in outcomes):
            raise AirflowSkipException("nothing was loaded: raw.* and the register are unchanged")
        if not build(params["submission_type"]):
            raise RuntimeError("dbt build of the affected marts failed")
        return dbt_selection(params["submission_type"])

    @task(trigger_rule="none_failed")
    def report(outcomes: list[dict]) -> dict:
        """Summary of the run; alerts when a loaded submission would now be rejected."""
        from ingest.notify import notify

        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o["action"]] = counts.get(o["action"], 0) + 1
        print(f"reprocess summary: {counts or 'nothing selected'}")
        flagged = [o for o in outcomes if o["action"] == "flagged"]
        if flagged:
            notify(
                "reprocess_flagged",
                f"{len(flagged)} 份已入库报送按现行规则不通过 / {len(flagged)} loaded submission(s) fail current rules",
                [
                    f"#{o['submission_id']} {o['department_code']}/{o['submission_type']}/{o['file_name']}: "
                    f"{o['reason']}"
                    for o in flagged
                ],
            )
        return counts

    outcomes = reprocess()
    rebuild_marts(outcomes) >> report(outcomes)


swdw_reprocess()
