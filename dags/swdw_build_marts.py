"""swdw_build_marts: raw.* -> staging -> intermediate -> marts.* with dbt via Cosmos (docs/design.md §2, §7).

Scheduled on the Asset ``swdw://warehouse/raw`` that swdw_ingest_submissions updates when at
least one submission was loaded.

prepare_warehouse -> dbt (seeds, models and their tests; one Airflow task per dbt node)
                  -> publish_docs (dbt docs into $SWDW_HOME/artifacts/dbt_docs)

One dbt process per build (Cosmos ExecutionMode.WATCHER): the task ``dbt_producer_watcher``
runs one ``dbt build`` (threads: dbt_project/profiles.yml); every seed and model keeps its own task in the UI, which
turns green, red or skipped as dbt reported that node, right after the producer (see
ingest.airflow.cosmos_build.run_node_tasks_after_producer for why after, not alongside). Data tests never block a refresh: with
TestBehavior.AFTER_ALL the producer builds seeds and models only, and one ``dbt test`` task
runs after all of them. A failing test makes
that task (and the run) red and alerts, while the marts it questions are already refreshed;
their stamps in marts.mart_build_info still say what they reflect.

What is rebuilt: a run triggered by swdw_ingest_submissions rebuilds only what the loaded
submission types feed (the asset events' extra ``submission_types``;
ingest.jobs.transform.incremental_selection); a manual run, or an event without types,
rebuilds everything.

The task graph is rendered from the pre-built manifest (``dbt parse`` at install time), so
parsing this file never runs dbt nor touches a database.

The warehouse connection is the Airflow connection ``swdw_warehouse`` (production: set on
every Airflow container; locally: AIRFLOW_CONN_SWDW_WAREHOUSE from ingest.airflow.local_runner),
mapped to the dbt profile by Cosmos. How the dbt tasks are rendered, and where and why swdw
works around Cosmos (parse time included): ingest/airflow/cosmos_build.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

from ingest.airflow.cosmos_build import dbt_task_group
from ingest.airflow.dag_defaults import RAW_ASSET, default_args  # airflow.sdk only


def _dbt_select(triggering_asset_events) -> str:
    """The producer's --select for this run (a macro of this DAG): what the loaded submissions feed."""
    from ingest.jobs.transform import selection_for_asset_events

    return selection_for_asset_events(triggering_asset_events)


@dag(
    dag_id="swdw_build_marts",
    schedule=[RAW_ASSET],
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_delay=timedelta(minutes=1)),
    tags=["swdw", "dbt", "marts"],
    doc_md=__doc__,
    user_defined_macros={"swdw_dbt_select": _dbt_select},
)
def swdw_build_marts():
    @task
    def prepare_warehouse() -> None:
        """Schemas, roles and raw/audit tables exist; the Airflow connection points at ingest's warehouse."""
        from ingest.airflow.tasks import prepare_warehouse as prepare

        prepare()

    dbt = dbt_task_group()

    @task
    def publish_docs() -> str:
        """dbt docs (catalog included) for analysts and auditors, under $SWDW_HOME/artifacts/dbt_docs."""
        from ingest.airflow.tasks import publish_docs as publish

        return publish()

    @task(trigger_rule="all_done")
    def report_staleness() -> list[str]:
        """Says plainly which marts are stale after this run (a failed node leaves its marts behind)."""
        from ingest.airflow.tasks import report_staleness as report

        return report()

    prepare_warehouse() >> dbt >> publish_docs()
    dbt >> report_staleness()


swdw_build_marts()
