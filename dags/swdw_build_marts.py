"""swdw_build_marts: raw.* -> staging -> intermediate -> marts.* with dbt via Cosmos (DESIGN §2, §7).

Scheduled on the Asset ``swdw://warehouse/raw`` that swdw_ingest_submissions updates when at
least one submission was loaded.

prepare_warehouse -> dbt (seeds, models and their tests; one Airflow task per dbt node)
                  -> publish_docs (dbt docs into $SWDW_HOME/artifacts/dbt_docs)

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
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode

from ingest.airflow.dag_defaults import RAW_ASSET, WAREHOUSE_CONN_ID, default_args  # airflow.sdk only
from ingest.config import DBT_PROJECT_DIR  # light module: paths and settings only

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

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
    return DbtTaskGroup(
        group_id="dbt",
        project_config=_project_config(),
        profile_config=ProfileConfig(
            profile_name="swdw",
            target_name="warehouse",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            # in-process dbtRunner: no interpreter start per dbt node
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=DBT_EXECUTABLE,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # a test over two models (relationships) runs once both exist, in its own task
            should_detach_multiple_parents_tests=True,
            # per-model Assets would carry the warehouse host:port (random for the embedded
            # server); the one Asset that matters here is swdw://warehouse/raw
            emit_datasets=False,
        ),
        operator_args={
            "env": WAREHOUSE_ENV,
            "append_env": True,
            "install_deps": False,
            # a failing model is rarely transient; one retry covers a dropped connection
            "retries": 1,
        },
    )


swdw_build_marts()
