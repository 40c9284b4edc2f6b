"""The Cosmos behaviours ingest/airflow/cosmos_build.py relies on, one test per workaround: a
Cosmos upgrade that changes one fails here, naming the workaround to revisit.

Airflow reads its configuration at import, so Cosmos is driven in a subprocess with the
environment of local_runner.airflow_env() and a made-up warehouse connection (nothing connects).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from urllib.parse import urlparse

import pytest
import yaml

from ingest.airflow.local_runner import airflow_env
from ingest.config import DBT_PROJECT_DIR, REPO_ROOT

CONNECTION = "postgresql://swdw_dbt:s3cret-pw@db.example.invalid:6543/warehouse_db"

# Runs in the subprocess: facts about Cosmos as cosmos_build uses it, as JSON.
_PROBE = textwrap.dedent(
    """
    import gc, json, pathlib
    from airflow.sdk import DAG
    from cosmos import ProjectConfig
    from ingest.airflow import cosmos_build as cb

    facts = {}

    # warehouse_profile: the connection mapped to a dbt profile
    mapping = cb.warehouse_profile().profile_mapping
    facts["profile"] = {
        "claims_connection": mapping.can_claim_connection(),
        "profile": {k: str(v) for k, v in mapping.profile.items()},
        "env_vars": mapping.env_vars,
        "file": mapping.get_profile_file_contents(cb.PROFILE_NAME, cb.TARGET_NAME),
    }

    # local_project_config: what Cosmos makes of manifest_path, and the override
    facts["manifest"] = {
        "cosmos_type": type(ProjectConfig(dbt_project_path=cb.DBT_PROJECT_DIR, manifest_path=cb.MANIFEST).manifest_path).__name__,
        "cosmos_is_path": isinstance(ProjectConfig(dbt_project_path=cb.DBT_PROJECT_DIR, manifest_path=cb.MANIFEST).manifest_path, pathlib.Path),
        "override_is_path": isinstance(cb.local_project_config().manifest_path, pathlib.Path),
    }

    def describe(group):
        tasks = list(group.children.values())
        producer = next(t for t in tasks if isinstance(t, cb.DbtProducerWatcherOperator))
        consumers = [t for t in tasks if isinstance(t, cb.BaseConsumerSensor)]
        return {
            "producer": producer.task_id,
            "selects": {t.task_id: [type(t).__name__, t.select, "select" in t.template_fields] for t in tasks
                        if isinstance(t, (cb.DbtProducerWatcherOperator, cb.DbtTestLocalOperator))},
            "consumers": {t.task_id: [t.producer_task_id, sorted(t.upstream_task_ids)] for t in consumers},
            "after_producer": sorted(t.task_id for t in consumers if producer.task_id in t.get_flat_relative_ids(upstream=True)),
            "hooks": {t.task_id: [getattr(t._pre_execute_hook, "__name__", None), getattr(t._post_execute_hook, "__name__", None)]
                      for t in tasks if t._pre_execute_hook or t._post_execute_hook},
        }

    # Cosmos' own rendering, then the corrections; the collector's runs counted while rendering
    runs = []
    gc.callbacks.append(lambda phase, info: phase == "start" and runs.append(info["generation"]))
    with DAG("probe_raw"):
        raw = cb.render_task_group()
        facts["gc_runs_rendering"] = len(runs)
    facts["raw"] = describe(raw)
    with DAG("probe_paused"):
        with cb.gc_paused():
            runs.clear()
            cb.render_task_group()
            facts["gc_runs_paused"] = len(runs)
    facts["gc_enabled_after"] = gc.isenabled()
    with DAG("probe_corrected"):
        corrected = cb.dbt_task_group()
    facts["corrected"] = describe(corrected)
    facts["select_template"] = cb.SELECT_TEMPLATE
    print("@@FACTS@@" + json.dumps(facts))
    """
)


@pytest.fixture(scope="module")
def facts(tmp_path_factory) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base["SWDW_HOME"] = str(tmp_path_factory.mktemp("swdw_home"))
    base["SWDW_WAREHOUSE_DSN"] = CONNECTION  # airflow_env turns it into AIRFLOW_CONN_SWDW_WAREHOUSE
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=airflow_env(base),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"probe failed:\n{result.stdout[-3000:]}\n{result.stderr[-4000:]}"
    line = next(row for row in result.stdout.splitlines() if row.startswith("@@FACTS@@"))
    return json.loads(line.removeprefix("@@FACTS@@"))


def test_warehouse_profile_maps_the_connection_and_keeps_the_password_out_of_the_file(facts):
    connection = urlparse(CONNECTION)
    cli_target = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["swdw"]["outputs"]["warehouse"]
    mapped = facts["profile"]
    assert mapped["claims_connection"], "PostgresUserPasswordProfileMapping no longer claims a postgresql:// connection"
    profile = mapped["profile"]
    assert (profile["host"], profile["port"], profile["user"], profile["dbname"]) == (
        connection.hostname,
        str(connection.port),
        connection.username,
        connection.path.lstrip("/"),
    )
    # what the connection does not hold comes from the CLI's profile
    assert profile["schema"] == cli_target["schema"]
    assert (profile["threads"], profile["connect_timeout"]) == (
        str(cli_target["threads"]),
        str(cli_target["connect_timeout"]),
    )
    # the password travels as an environment variable, never in the written profiles.yml
    assert connection.password not in mapped["file"]
    assert connection.password in mapped["env_vars"].values()


def test_cosmos_still_wraps_the_manifest_path_so_the_plain_path_override_is_needed(facts):
    manifest = facts["manifest"]
    assert not manifest["cosmos_is_path"], (
        f"ProjectConfig keeps manifest_path as {manifest['cosmos_type']} now: local_project_config's override can go"
    )
    assert manifest["override_is_path"]


def test_cosmos_renders_no_run_selection_and_select_per_run_templates_both_tasks(facts):
    raw, corrected, template = facts["raw"], facts["corrected"], facts["select_template"]
    kinds = sorted(kind for kind, _, _ in raw["selects"].values())
    assert kinds == ["DbtProducerWatcherOperator", "DbtTestLocalOperator"], kinds  # one producer, one after-all test
    for task_id, (kind, select, templated) in raw["selects"].items():
        assert templated, f"{kind}.select is no longer a templated field: a per-run selection would not render"
        assert select != template, task_id
    assert {task_id: select for task_id, (_, select, _) in corrected["selects"].items()} == dict.fromkeys(
        raw["selects"], template
    )


def test_cosmos_leaves_node_tasks_unordered_with_the_producer_and_the_rewiring_orders_them(facts):
    raw, corrected = facts["raw"], facts["corrected"]
    assert raw["consumers"], "no watcher node tasks rendered"
    # each node task names the producer whose results it reads
    assert {producer for producer, _ in raw["consumers"].values()} == {raw["producer"]}
    unordered = set(raw["consumers"]) - set(raw["after_producer"])
    assert unordered, "Cosmos now orders every node task after the producer: run_node_tasks_after_producer can go"
    assert set(corrected["after_producer"]) == set(corrected["consumers"])


def test_rendering_runs_the_collector_and_gc_paused_stops_it_then_restores_it(facts):
    assert facts["gc_runs_rendering"] > 0, "rendering no longer triggers the garbage collector: gc_paused can go"
    assert facts["gc_runs_paused"] == 0
    assert facts["gc_enabled_after"]


def test_the_producer_alone_holds_the_dbt_build_lock(facts):
    assert facts["raw"]["hooks"] == {}, "Cosmos now sets execute hooks of its own: serialise_builds would replace them"
    assert facts["corrected"]["hooks"] == {facts["corrected"]["producer"]: ["_hold_build_lock", "_release_build_lock"]}


def test_a_build_waits_for_one_running_elsewhere(clean_warehouse, monkeypatch):
    """`swdw build` while the build DAG's producer holds the lock: queued until it is released, not failed."""
    import threading

    import psycopg

    from ingest.jobs import transform
    from ingest.warehouse.locks import dbt_build_lock

    started = []
    monkeypatch.setattr(transform, "run_dbt", lambda args: started.append(args) or True)
    with psycopg.connect(clean_warehouse, autocommit=True) as other, dbt_build_lock(other):
        build = threading.Thread(target=transform.dbt_build)
        build.start()
        build.join(timeout=3)
        assert build.is_alive() and started == []  # waiting for the other build
    build.join(timeout=30)
    assert started and started[0][0] == "build"
