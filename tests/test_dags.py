"""DAG integrity: the DAG files load without errors, parse fast, follow the house rules, and
the two DAGs are wired through the same Asset; docker-compose.yml is a valid Compose file.

Airflow reads its configuration at import, so the DagBag is loaded in a subprocess with the
environment of ingest.airflow.local_runner.airflow_env() (SQLite metadata under $SWDW_HOME/airflow,
no examples, no telemetry); it never starts the warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.airflow.local_runner import DAGS_FOLDER, airflow_env
from ingest.config import DBT_PROJECT_DIR, REPO_ROOT

MAX_PARSE_SECONDS = 2.0
DAG_IDS = {"swdw_ingest_submissions", "swdw_build_marts", "swdw_reprocess", "swdw_submission_calendar"}
RAW_ASSET_URI = "swdw://warehouse/raw"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"

# Runs in the subprocess: one DagBag per file (timed), then facts about every DAG as JSON.
_PROBE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from airflow.dag_processing.dagbag import DagBag

    def uris(condition):
        # an Asset, or an AssetAll/AssetAny of them (nested)
        if condition is None:
            return []
        if hasattr(condition, "uri"):
            return [condition.uri]
        return [u for part in getattr(condition, "objects", []) for u in uris(part)]

    report = {"files": {}, "import_errors": {}, "dags": {}}
    # DagBag's own first-use imports are not any DAG file's cost (the dag-processor has them loaded)
    warmup = Path(sys.argv[2])
    warmup.write_text("from airflow.sdk import dag\\n")
    DagBag(dag_folder=str(warmup))
    for path in sorted(Path(sys.argv[1]).glob("*.py")):
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(path))
        report["files"][path.name] = time.perf_counter() - started
        report["import_errors"].update({str(k): str(v) for k, v in bag.import_errors.items()})
        for dag_id, dag in bag.dags.items():
            schedule_uris = sorted(uris(getattr(dag.timetable, "asset_condition", None)))
            report["dags"][dag_id] = {
                "file": path.name,
                "tags": sorted(dag.tags),
                "catchup": dag.catchup,
                "max_active_runs": dag.max_active_runs,
                "schedule_uris": [u for u in schedule_uris],
                "timetable": type(dag.timetable).__name__,
                "schedule": str(dag.schedule) if isinstance(dag.schedule, str) else None,
                "params": {k: dag.params.get_param(k).schema for k in dag.params},
                "tasks": {
                    t.task_id: {
                        "owner": t.owner,
                        "retries": t.retries,
                        "retry_exponential_backoff": bool(t.retry_exponential_backoff),
                        "on_failure_callback": bool(t.on_failure_callback),
                        "operator": type(t).__name__,
                        "outlets": sorted(getattr(o, "uri", str(o)) for o in (t.outlets or [])),
                        "map_index_template": getattr(t, "map_index_template", None),
                        "upstream": sorted(t.upstream_task_ids),
                    }
                    for t in dag.tasks
                },
            }
    print("@@REPORT@@" + json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("swdw_home")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base["SWDW_HOME"] = str(home)
    return airflow_env(base)


@pytest.fixture(scope="module")
def manifest() -> Path:
    """The build DAG renders from dbt_project/target/manifest.json (`make install` writes it)."""
    if not MANIFEST.exists():
        result = subprocess.run(
            [sys.executable, "-m", "ingest.jobs.transform", "parse"], cwd=REPO_ROOT, capture_output=True, text=True
        )
        assert result.returncode == 0, f"dbt parse failed:\n{result.stdout}\n{result.stderr}"
    return MANIFEST


@pytest.fixture(scope="module")
def report(env, manifest) -> dict:
    warmup = Path(env["SWDW_HOME"]) / "warmup_dag.py"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(DAGS_FOLDER), str(warmup)],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"DagBag probe failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    line = next(row for row in result.stdout.splitlines() if row.startswith("@@REPORT@@"))
    return json.loads(line.removeprefix("@@REPORT@@"))


def test_airflow_env_is_local_and_offline(env):
    home = Path(env["SWDW_HOME"])
    assert env["AIRFLOW_HOME"] == str(home / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_FOLDER)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home / 'airflow' / 'airflow.db'}"
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert env["DO_NOT_TRACK"] == "1"
    assert env["GX_ANALYTICS_ENABLED"] == "false"
    assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "False"
    # parsing must not start a database: no connection unless a DSN is configured
    if "SWDW_WAREHOUSE_DSN" not in env:
        assert "AIRFLOW_CONN_SWDW_WAREHOUSE" not in env


def test_airflow_env_passes_explicit_dsn_as_connection(tmp_path):
    dsn = "postgresql://u:p@db.example.invalid:5433/wh"
    env = airflow_env({"SWDW_HOME": str(tmp_path), "SWDW_WAREHOUSE_DSN": dsn, "PATH": "/usr/bin"})
    assert env["AIRFLOW_CONN_SWDW_WAREHOUSE"] == dsn
    assert env["SWDW_HOME"] == str(tmp_path)


def test_dagbag_has_no_import_errors(report):
    assert report["import_errors"] == {}
    assert set(report["dags"]) == DAG_IDS


def test_dag_files_parse_fast(report):
    for name, seconds in sorted(report["files"].items()):
        print(f"parse {name}: {seconds:.3f}s")
    slow = {name: round(s, 3) for name, s in report["files"].items() if s > MAX_PARSE_SECONDS}
    assert not slow, f"DAG files slower than {MAX_PARSE_SECONDS}s to parse: {slow}"


def test_dag_hygiene(report):
    for dag_id, dag in report["dags"].items():
        assert dag["tags"], f"{dag_id}: no tags"
        assert dag["catchup"] is False, f"{dag_id}: catchup must be False"
        assert dag["max_active_runs"] == 1, f"{dag_id}: max_active_runs must be 1"
        for task_id, task in dag["tasks"].items():
            assert task["owner"] and task["owner"] != "airflow", f"{dag_id}.{task_id}: no owner"
            # the watcher that turns a run red on purpose must not retry; nor the Cosmos watcher
            # tasks: one dbt build is the unit, a retried node task would start a dbt of its own
            no_retry = task_id == "fail_if_any_file_failed" or task_id.startswith("dbt.")
            assert task["retries"] >= 1 or no_retry, f"{dag_id}.{task_id}: retries < 1"
            # every task alerts when it fails for good (the deliberate watcher excepted)
            assert task["on_failure_callback"] or task_id == "fail_if_any_file_failed", (
                f"{dag_id}.{task_id}: no on_failure_callback"
            )


def test_process_file_retries_transient_faults_with_backoff(report):
    """Declared policy; tests/test_airflow_ops.py checks which exceptions reach it."""
    task = report["dags"]["swdw_ingest_submissions"]["tasks"]["process_file"]
    assert task["retries"] >= 2 and task["retry_exponential_backoff"]


def test_reprocess_dag_is_manual_with_typed_params(report):
    dag = report["dags"]["swdw_reprocess"]
    assert dag["timetable"] == "NullTimetable"
    params = dag["params"]
    assert set(params) == {"department_code", "submission_type", "report_period", "submission_id"}
    assert "duji" in params["department_code"]["enum"]
    assert params["submission_type"]["enum"] == ["org_coverage", "service_activity", "suggestion"]
    assert params["report_period"]["pattern"].startswith("^")
    assert "integer" in params["submission_id"]["type"]


def test_dag_files_import_nothing_heavy_at_top_level():
    heavy = (
        "pandas",
        "great_expectations",
        "dbt.",
        "ingest.jobs.pipeline",
        "ingest.warehouse.connection",
        "ingest.jobs.transform",
        "psycopg",
    )
    for path in DAGS_FOLDER.glob("*.py"):
        top_level = [row for row in path.read_text().splitlines() if row.startswith(("import ", "from "))]
        offenders = [row for row in top_level if any(h in row for h in heavy)]
        assert not offenders, f"{path.name} imports heavy modules at top level: {offenders}"


def test_ingest_dag_shape(report):
    tasks = report["dags"]["swdw_ingest_submissions"]["tasks"]
    assert {"discover", "process_file", "publish"} <= set(tasks)
    assert tasks["process_file"]["operator"].endswith("MappedOperator")
    assert "department_code" in (tasks["process_file"]["map_index_template"] or "")
    assert tasks["process_file"]["upstream"] == ["discover"]
    assert tasks["publish"]["outlets"] == [RAW_ASSET_URI]
    # only publish declares the asset: a skipped publish emits no event
    assert [t for t, v in tasks.items() if v["outlets"]] == ["publish"]


def test_build_dag_is_scheduled_on_the_ingest_asset(report):
    ingest = report["dags"]["swdw_ingest_submissions"]["tasks"]
    build = report["dags"]["swdw_build_marts"]
    outlet_uris = {uri for task in ingest.values() for uri in task["outlets"]}
    assert build["schedule_uris"] == [RAW_ASSET_URI]
    assert set(build["schedule_uris"]) <= outlet_uris


def _expected_dbt_tasks(manifest_nodes: dict) -> set[str]:
    """The task ids Cosmos must render for the manifest (ExecutionMode.WATCHER, TestBehavior.AFTER_ALL).

    One producer (the one dbt process) and its done-gate, one watching task per seed and model,
    one test task after all of them.
    """
    expected = {"dbt.dbt_producer_watcher", "dbt.dbt_producer_watcher_done", "dbt.dbt_project_test"}
    for node in manifest_nodes.values():
        if node["resource_type"] == "model":
            expected.add(f"dbt.{node['name']}_run")
        elif node["resource_type"] == "seed":
            expected.add(f"dbt.{node['name']}_seed")
    return expected


def _ancestors(tasks: dict, task_id: str) -> set[str]:
    """Every task that must finish before task_id (its upstream, theirs, and so on)."""
    seen: set[str] = set()
    pending = list(tasks[task_id]["upstream"])
    while pending:
        upstream = pending.pop()
        if upstream not in seen:
            seen.add(upstream)
            pending.extend(tasks[upstream]["upstream"])
    return seen


def test_build_dag_runs_dbt_seeds_models_and_docs(report, manifest):
    tasks = report["dags"]["swdw_build_marts"]["tasks"]
    nodes = json.loads(manifest.read_text())["nodes"]
    dbt_tasks = {t for t in tasks if t.startswith("dbt.")}
    # exactly one task per seed and model of the manifest, the producer and the tests: none missing, none invented
    assert dbt_tasks == _expected_dbt_tasks(nodes)
    assert tasks["dbt.dbt_producer_watcher"]["operator"] == "DbtProducerWatcherOperator"
    # the tests run once every mart was built: they never hold one back
    marts = {f"dbt.{n['name']}_run" for n in nodes.values() if n["resource_type"] == "model" and "marts" in n["fqn"]}
    assert marts <= _ancestors(tasks, "dbt.dbt_project_test")
    assert set(tasks) - dbt_tasks == {"prepare_warehouse", "publish_docs", "report_staleness"}
    # every dbt task waits for prepare_warehouse (directly or through its upstream dbt tasks)
    roots = [t for t in dbt_tasks if not [u for u in tasks[t]["upstream"] if u.startswith("dbt.")]]
    assert roots and all("prepare_warehouse" in tasks[t]["upstream"] for t in roots)
    assert set(tasks["publish_docs"]["upstream"]) and all(
        u.startswith("dbt.") for u in tasks["publish_docs"]["upstream"]
    )


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_is_valid():
    if not shutil.which("docker"):
        pytest.skip("docker client not installed")
    command = _compose_command()
    if command is None:
        pytest.skip("docker is installed but neither the compose plugin nor docker-compose is")
    env_file = REPO_ROOT / "docker" / ".env.example"
    result = subprocess.run(
        [*command, "-f", str(REPO_ROOT / "docker-compose.yml"), "--env-file", str(env_file), "config", "-q"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # secrets are required variables: without them compose must refuse
    bare = subprocess.run(
        [*command, "-f", str(REPO_ROOT / "docker-compose.yml"), "--env-file", "/dev/null", "config", "-q"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert bare.returncode != 0


def test_docker_compose_shape():
    import yaml

    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    expected = {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "superset",
    }
    assert expected <= set(services)
    for name in expected - {"airflow-init"}:
        assert "healthcheck" in services[name], f"{name}: no healthcheck"
    assert services["airflow-worker"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    # no secret in the repository: every secret-like setting is a variable reference
    secret_words = ("PASSWORD", "PASS", "SECRET", "FERNET", "_KEY")
    for name, service in services.items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if any(w in key for w in secret_words):
                assert "${" in str(value), f"{name}: {key} is a literal value"
