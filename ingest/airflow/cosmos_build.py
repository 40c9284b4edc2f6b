"""The dbt project as Airflow tasks (Cosmos), and every place swdw works around Cosmos.

dags/swdw_build_marts.py calls ``dbt_task_group``; everything it configures or corrects in
Cosmos lives here, one small function per workaround, each saying why. Each relies on a
behaviour of Cosmos (astronomer-cosmos 1.15) that tests/test_cosmos_workarounds.py checks, so an
upgrade that changes one fails a test instead of silently breaking the build:

- ``warehouse_profile``: the dbt profile from the Airflow connection through Cosmos'
  PostgresUserPasswordProfileMapping; what a connection does not hold (schema, threads,
  connect_timeout) comes from dbt_project/profiles.yml, the profile the `swdw` CLI uses.
- ``local_project_config``: the manifest read as a plain Path, not an ObjectStoragePath.
- ``select_per_run``: the producer's and the after-all test task's ``--select`` templated per run.
- ``run_node_tasks_after_producer``: the node tasks ordered after the producer.
- ``gc_paused``: the cyclic garbage collector paused while the group is rendered.
- ``serialise_builds``: the producer holds the warehouse's dbt build lock while dbt runs, and
  passes dbt the project hash the marts' build stamps record.

Imported at DAG-parse time only by that DAG (Cosmos and airflow.sdk, nothing heavier).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.operators._watcher.base import BaseConsumerSensor
from cosmos.operators.local import DbtTestLocalOperator
from cosmos.operators.watcher import DbtProducerWatcherOperator
from cosmos.profiles import PostgresUserPasswordProfileMapping

from ingest.airflow.dag_defaults import WAREHOUSE_CONN_ID
from ingest.config import DBT_PROJECT_DIR, PROJECT_HASH_ENV, dbt_project_hash
from ingest.warehouse.connection import connect  # psycopg only when a hook runs
from ingest.warehouse.locks import dbt_build_lock

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PROFILES_YML = DBT_PROJECT_DIR / "profiles.yml"
PROFILE_NAME = "swdw"
TARGET_NAME = "warehouse"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
# rendered per run from the triggering asset events (a macro of the DAG, swdw_dbt_select)
SELECT_TEMPLATE = "{{ swdw_dbt_select(triggering_asset_events) }}"
# what the connection supplies; every other key of the CLI's target is passed on as it is
CONNECTION_KEYS = {"type", "host", "port", "user", "password", "dbname"}


def warehouse_profile() -> ProfileConfig:
    """The dbt profile of the build: the Airflow connection ``swdw_warehouse`` mapped by Cosmos.

    The mapping fits: the warehouse is PostgreSQL with a user and password; Cosmos reads the
    connection when the task runs, never at parse time, and passes the password to dbt as an
    environment variable, never in the profiles.yml it writes. The rest of the CLI's target
    (default schema, threads, connect_timeout) is read from dbt_project/profiles.yml, so the
    DAG and `swdw build` build with the same settings.
    """
    target = yaml.safe_load(PROFILES_YML.read_text(encoding="utf-8"))[PROFILE_NAME]["outputs"][TARGET_NAME]
    return ProfileConfig(
        profile_name=PROFILE_NAME,
        target_name=TARGET_NAME,
        profile_mapping=PostgresUserPasswordProfileMapping(
            conn_id=WAREHOUSE_CONN_ID,
            profile_args={k: v for k, v in target.items() if k not in CONNECTION_KEYS},
        ),
    )


def local_project_config() -> ProjectConfig:
    """The project with its manifest read as a plain Path.

    ProjectConfig turns ``manifest_path`` into an ObjectStoragePath; reading through it makes
    the Airflow SDK load every plugin (Cosmos' own FastAPI plugin included) for hook lineage,
    0.5-1 s on every parse. The manifest is a local file, so the attribute is set back to a Path.
    """
    config = ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=MANIFEST)
    config.manifest_path = MANIFEST
    return config


def select_per_run(tasks: list, template: str = SELECT_TEMPLATE) -> None:
    """Give the producer and the after-all test task the run's own ``--select``.

    Cosmos hands both the render-time selection (none: everything); ``select`` is a templated
    field of both operators, so a template makes each run build and test what its asset
    events say was loaded.
    """
    for task in tasks:
        if isinstance(task, (DbtProducerWatcherOperator, DbtTestLocalOperator)):
            task.select = template


def run_node_tasks_after_producer(group: DbtTaskGroup) -> None:
    """Order every node task without a dbt upstream after the producer.

    In a DbtTaskGroup, Cosmos leaves the node tasks (which read the producer's results) unordered
    with the producer: `airflow dags test` (make demo) runs one task at a time and would wait
    forever in a node task started first, and a node task that finds no result of a failed
    producer runs dbt for its node alone. After the producer, each node task succeeds, fails or
    skips as dbt reported its node, in a second.
    """
    tasks = list(group.children.values())
    producer = next(t for t in tasks if isinstance(t, DbtProducerWatcherOperator))
    prefix = group.group_id + "."
    for task in tasks:
        if isinstance(task, BaseConsumerSensor) and not any(u.startswith(prefix) for u in task.upstream_task_ids):
            producer >> task


_held_build_locks: list = []  # (connection, lock) of the producer running in this process


def _hold_build_lock(context) -> None:
    # the project hash the marts' build stamps record, as `swdw build` passes it (dbt runs in this process)
    os.environ[PROJECT_HASH_ENV] = dbt_project_hash()
    conn = connect(autocommit=True)
    lock = dbt_build_lock(conn)
    lock.__enter__()  # waits while another build (the CLI's) runs
    _held_build_locks.append((conn, lock))


def _release_build_lock(context, result=None) -> None:
    while _held_build_locks:
        conn, lock = _held_build_locks.pop()
        with conn:
            lock.__exit__(None, None, None)


def serialise_builds(tasks: list) -> None:
    """The producer (the one `dbt build` of a run) takes the dbt build lock before dbt starts.

    The DAG runs one at a time (max_active_runs=1), but `swdw build` or `swdw run` may start a build
    beside it on any machine: the lock (ingest.warehouse.locks.dbt_build_lock) queues one behind the
    other. Cosmos' operators take no hook of their own, so the producer gets BaseOperator's
    pre/post-execute hooks; a producer that fails skips the post hook, and its process ending
    closes the connection, which releases the lock. The pre-execute hook also sets
    SWDW_DBT_PROJECT_HASH (ingest.config.dbt_project_hash) as `swdw build` does, so `swdw run`
    finds the marts this DAG built current.
    """
    for task in tasks:
        if isinstance(task, DbtProducerWatcherOperator):
            task._pre_execute_hook = _hold_build_lock
            task._post_execute_hook = _release_build_lock


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the task group is rendered.

    Rendering ~150 nodes allocates many small objects, so the collector runs again and again
    over everything Airflow has loaded; rendering leaves no cycles that must be freed at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    """Cosmos' own rendering of the project, before the corrections above."""
    return DbtTaskGroup(
        group_id=group_id,
        project_config=local_project_config(),
        profile_config=warehouse_profile(),
        execution_config=ExecutionConfig(
            # one `dbt build` in the producer task (threads from the profile); the node tasks watch its progress
            execution_mode=ExecutionMode.WATCHER,
            # in-process dbtRunner: no interpreter start for dbt
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=DBT_EXECUTABLE,
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
            "env": {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"},
            "append_env": True,
            "install_deps": False,
            # no retries: a retried watcher task runs dbt again for its node alone, in a process of
            # its own (and a retried producer skips); after a failed build that multiplies dbt
            # processes for nothing. The failure alerts, report_staleness names the stale marts,
            # and the next load (or a cleared run) builds again.
            "retries": 0,
        },
    )


def dbt_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    """The build's dbt tasks: rendered by Cosmos, then corrected as this module describes."""
    if not MANIFEST.exists():
        # shows up as the DAG's import error in the UI and in DagBag tests
        raise FileNotFoundError(
            f"{MANIFEST} is missing: run `make install` (it runs `dbt parse`) before loading the DAGs"
        )
    with gc_paused():
        group = render_task_group(group_id)
    select_per_run(list(group.children.values()))
    serialise_builds(list(group.children.values()))
    run_node_tasks_after_producer(group)
    return group
