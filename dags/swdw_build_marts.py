"""swdw_build_marts: raw.* -> staging -> intermediate -> marts.* with dbt via Cosmos (DESIGN §2, §7).

Scheduled on the Asset ``swdw://warehouse/raw`` that swdw_ingest_submissions updates when at
least one submission was loaded.

prepare_warehouse -> dbt (seeds, models and their tests; one Airflow task per dbt node)
                  -> publish_docs (dbt docs into $SWDW_HOME/artifacts/dbt_docs)

One dbt process per build (Cosmos ExecutionMode.WATCHER): the task ``dbt_producer_watcher``
runs one ``dbt build`` with 4 threads; every seed and model keeps its own task in the UI, which
turns green, red or skipped as dbt reported that node, right after the producer (see
_dbt_task_group for why after, not alongside). Data tests never block a refresh: with
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
every Airflow container; locally: AIRFLOW_CONN_SWDW_WAREHOUSE from ingest.airflow.local_runner). The
dbt tasks use dbt_project/profiles.yml, the same profile as the `swdw` CLI, whose SWDW_PG_*
variables are templated from that connection at run time (the password is masked in logs and
rendered fields).

Parse time (measured by tests/test_dags.py): two things dominated and are avoided here.
ProjectConfig turns manifest_path into an ObjectStoragePath, and reading through it makes the
Airflow SDK load every plugin (Cosmos' own FastAPI plugin included) for hook lineage: ~0.5-1 s
per parse; the manifest is local, so it is read as a plain Path. And rendering ~150 nodes
allocates many small objects, so the cyclic garbage collector runs over everything Airflow
has loaded again and again; it is paused while the task group is rendered.
"""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import PRODUCER_WATCHER_TASK_ID, ExecutionMode, InvocationMode, LoadMode, TestBehavior

from ingest.airflow.dag_defaults import RAW_ASSET, WAREHOUSE_CONN_ID, default_args  # airflow.sdk only
from ingest.config import DBT_PROJECT_DIR  # light module: paths and settings only

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
DBT_THREADS = 4
# rendered per run from the triggering asset events (a macro of this DAG)
SELECT_TEMPLATE = "{{ swdw_dbt_select(triggering_asset_events) }}"

if not MANIFEST.exists():
    # shows up as this DAG's import error in the UI and in DagBag tests
    raise FileNotFoundError(f"{MANIFEST} is missing: run `make install` (it runs `dbt parse`) before loading the DAGs")

# SWDW_PG_* is what dbt_project/profiles.yml reads; filled from the connection per task run
WAREHOUSE_ENV = {
    "SWDW_PG_HOST": "{{ conn.%s.host }}" % WAREHOUSE_CONN_ID,
    "SWDW_PG_PORT": "{{ conn.%s.port or 5432 }}" % WAREHOUSE_CONN_ID,
    "SWDW_PG_USER": "{{ conn.%s.login }}" % WAREHOUSE_CONN_ID,
    "SWDW_PG_PASSWORD": "{{ conn.%s.password or '' }}" % WAREHOUSE_CONN_ID,
    "SWDW_PG_DBNAME": "{{ conn.%s.schema }}" % WAREHOUSE_CONN_ID,
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
}


def _dbt_select(triggering_asset_events) -> str:
    """The producer's --select for this run (a macro of this DAG): what the loaded submissions feed."""
    from ingest.jobs.transform import selection_for_asset_events

    return selection_for_asset_events(triggering_asset_events)


@contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _project_config() -> ProjectConfig:
    config = ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=MANIFEST)
    # a local file: read it as a Path, not through ObjectStoragePath (see the module docstring)
    config.manifest_path = MANIFEST
    return config


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
        from urllib.parse import urlparse

        from airflow.sdk import Connection

        from ingest.warehouse.connection import bootstrap, warehouse_dsn

        bootstrap()
        conn = Connection.get(WAREHOUSE_CONN_ID)
        dsn = urlparse(warehouse_dsn())
        ingest_side = (dsn.hostname, dsn.port or 5432, dsn.path.lstrip("/"))
        dbt_side = (conn.host, conn.port or 5432, conn.schema)
        if ingest_side != dbt_side:
            raise RuntimeError(
                f"connection {WAREHOUSE_CONN_ID} points at {dbt_side} but ingest loads into {ingest_side}: "
                "set AIRFLOW_CONN_SWDW_WAREHOUSE and SWDW_WAREHOUSE_DSN to the same warehouse"
            )
        print(f"warehouse ready at {conn.host}:{conn.port}/{conn.schema}")

    with _gc_paused():
        dbt = _dbt_task_group()

    @task
    def publish_docs() -> str:
        """dbt docs (catalog included) for analysts and auditors, under $SWDW_HOME/artifacts/dbt_docs."""
        from ingest.jobs.transform import generate_docs

        target = generate_docs()
        print(f"dbt docs: {target / 'index.html'}")
        return str(target)

    @task(trigger_rule="all_done")
    def report_staleness() -> list[str]:
        """Says plainly which marts are stale after this run (a failed node leaves its marts behind)."""
        from airflow.sdk.exceptions import AirflowFailException

        from ingest.jobs.transform import stale_marts

        stale = stale_marts()
        if not stale:
            print("every marts table reflects the register")
            return []
        # fails at once (no retry); its failure alert carries the list
        raise AirflowFailException("stale marts (BI reads older figures): " + ", ".join(stale))

    prepare_warehouse() >> dbt >> publish_docs()
    dbt >> report_staleness()


def _dbt_task_group() -> DbtTaskGroup:
    group = _render_dbt_task_group()
    tasks = list(group.children.values())
    producer = next(t for t in tasks if t.task_id.endswith(PRODUCER_WATCHER_TASK_ID))
    # Cosmos gives the producer and the after-all test task the render-time selection (none);
    # both are templated fields, so each run selects what its asset events say was loaded
    for task_ in tasks:
        if task_ is producer or type(task_).__name__ == "DbtTestLocalOperator":
            task_.select = SELECT_TEMPLATE
    # The node tasks read the producer's results once it has finished. In a DbtTaskGroup Cosmos
    # leaves them unordered with the producer: `airflow dags test` (make demo) runs one task at a
    # time and would wait forever in a node task started first; and a node task that finds no
    # result of a failed producer would run dbt for its node alone. After the producer, each
    # node task succeeds, fails or skips as dbt reported its node, in a second.
    for task_ in tasks:
        if hasattr(task_, "producer_task_id") and not any(
            u.startswith(group.group_id + ".") for u in task_.upstream_task_ids
        ):
            producer >> task_
    return group


def _render_dbt_task_group() -> DbtTaskGroup:
    return DbtTaskGroup(
        group_id="dbt",
        project_config=_project_config(),
        profile_config=ProfileConfig(
            profile_name="swdw",
            target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            # one `dbt build` in the producer task; the node tasks watch its progress
            execution_mode=ExecutionMode.WATCHER,
            # in-process dbtRunner: no interpreter start for dbt
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=DBT_EXECUTABLE,
            setup_operator_args={"dbt_cmd_flags": ["--threads", str(DBT_THREADS)]},
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # tests after every model, in one task: a data test never holds back a mart
            test_behavior=TestBehavior.AFTER_ALL,
            # per-model Assets would carry the warehouse host:port (random for the embedded
            # server); the one Asset that matters here is swdw://warehouse/raw
            emit_datasets=False,
        ),
        operator_args={
            "env": WAREHOUSE_ENV,
            "append_env": True,
            "install_deps": False,
            # no retries: a retried watcher task runs dbt again for its node alone, in a process of
            # its own (and a retried producer skips); after a failed build that multiplies dbt
            # processes for nothing. The failure alerts, report_staleness names the stale marts,
            # and the next load (or a cleared run) builds again.
            "retries": 0,
        },
    )


swdw_build_marts()
