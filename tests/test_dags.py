"""DAG integrity: the DAG files load without errors, parse fast, follow the house rules, and
the two DAGs are wired through the same Asset; docker-compose.yml is a valid Compose file.

Airflow reads its configuration at import, so the DagBag is loaded in a subprocess with the
environment of ingest.airflow.local_runner.airflow_env() (SQLite metadata under $SWDW_HOME/airflow,
no examples, no telemetry); it never starts the warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from ingest.airflow.local_runner import DAGS_FOLDER, airflow_env
from ingest.config import DBT_PROJECT_DIR, REPO_ROOT, calendar_settings
from ingest.intake.contracts import all_contracts

from .helpers import run_probe

MAX_PARSE_SECONDS = 2.0
DAG_IDS = {
    "swdw_ingest_submissions",
    "swdw_build_marts",
    "swdw_reprocess",
    "swdw_submission_calendar",
    "swdw_mail_intake",
}
RAW_ASSET_URI = "swdw://warehouse/raw"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# the moment the timetables are asked about: the evening of 9 January 2025 in the city
SCHEDULE_FROM = dt.datetime(2025, 1, 9, 12, 7, tzinfo=dt.UTC)

# Runs in the subprocess: one DagBag per file (timed), then facts about every DAG as JSON.
_PROBE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import pendulum
    from airflow.configuration import conf
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables.base import TimeRestriction
    from sqlalchemy.engine import make_url

    def uris(condition):
        # an Asset, or an AssetAll/AssetAny of them (nested)
        if condition is None:
            return []
        if hasattr(condition, "uri"):
            return [condition.uri]
        return [u for part in getattr(condition, "objects", []) for u in uris(part)]

    def watchers(condition):
        if condition is None:
            return []
        if hasattr(condition, "uri"):
            return [type(w.trigger).__name__ for w in getattr(condition, "watchers", [])]
        return [w for part in getattr(condition, "objects", []) for w in watchers(part)]

    def next_runs(timetable, earliest, count=3):
        # as the scheduler reads it: the serialised timetable, from `earliest` on
        core = decode_timetable(encode_timetable(timetable))
        restriction = TimeRestriction(earliest=earliest, latest=None, catchup=True)
        runs, last = [], None
        while len(runs) < count:
            info = core.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
            if info is None:
                break
            runs.append({"run_after": info.run_after.isoformat(), "logical_date": info.logical_date.isoformat()})
            last = info.data_interval
        return runs

    report = {"files": {}, "import_errors": {}, "dags": {}}
    earliest = pendulum.parse(sys.argv[3])
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
                "watchers": watchers(getattr(dag.timetable, "asset_condition", None)),
                "next_runs": next_runs(dag.timetable, earliest),
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
    # what this environment makes of Airflow and Cosmos: the DAG bundles the dag-processor reads
    # (Airflow's and the providers' examples would be bundles too), where the metadata database
    # lives, whether telemetry would be sent
    import cosmos.telemetry
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    metadata = make_url(conf.get("database", "sql_alchemy_conn"))
    report["process"] = {
        "dag_bundles": {b.name: str(b.path) for b in DagBundlesManager().get_all_dag_bundles()},
        "metadata_db": {"backend": metadata.get_backend_name(), "path": metadata.database},
        "cosmos_telemetry": cosmos.telemetry.should_emit(),
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
    return run_probe(_PROBE, str(DAGS_FOLDER), str(warmup), SCHEDULE_FROM.isoformat(), env=env)


def test_airflow_env_keeps_airflow_local_and_offline(env, report):
    process = report["process"]
    # the dag-processor reads the project's DAG files and nothing else (no example DAGs)
    assert [Path(path).resolve() for path in process["dag_bundles"].values()] == [DAGS_FOLDER.resolve()]
    # the metadata database is a SQLite file under SWDW_HOME: nothing outside it is touched
    metadata = process["metadata_db"]
    assert metadata["backend"] == "sqlite" and Path(metadata["path"]).is_relative_to(env["SWDW_HOME"])
    assert process["cosmos_telemetry"] is False
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
    assert dag["next_runs"] == [], "the scheduler never starts a reprocess on its own"
    params = dag["params"]
    assert set(params) == {"department_code", "submission_type", "report_period", "submission_id"}
    assert "duji" in params["department_code"]["enum"]
    assert sorted(params["submission_type"]["enum"]) == sorted(all_contracts())  # a type with a contract
    assert params["report_period"]["pattern"].startswith("^")
    assert "integer" in params["submission_id"]["type"]


def test_calendar_dag_runs_every_morning_in_the_city_and_checks_that_day(report):
    city = ZoneInfo(calendar_settings()[1])
    runs = report["dags"]["swdw_submission_calendar"]["next_runs"]
    run_after = [dt.datetime.fromisoformat(r["run_after"]).astimezone(city) for r in runs]
    first_day = SCHEDULE_FROM.astimezone(city).date() + dt.timedelta(days=1)
    # one run a day, at the start of the city's working day
    assert [(t.date(), t.time()) for t in run_after] == [
        (first_day + dt.timedelta(days=n), dt.time(9, 0)) for n in range(3)
    ]
    # the run's logical date (its as_of) is the city's day it runs on, not the day before
    assert [dt.datetime.fromisoformat(r["logical_date"]).astimezone(city).date() for r in runs] == [
        t.date() for t in run_after
    ]


def test_mail_intake_dag_reads_the_mailbox_every_five_minutes_on_the_citys_clock(report):
    city = ZoneInfo(calendar_settings()[1])
    runs = [
        dt.datetime.fromisoformat(r["run_after"]).astimezone(city)
        for r in report["dags"]["swdw_mail_intake"]["next_runs"]
    ]
    assert all(t.minute % 5 == 0 and t.second == 0 for t in runs)
    assert [later - earlier for earlier, later in zip(runs, runs[1:])] == [dt.timedelta(minutes=5)] * 2


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


def test_ingest_dag_is_scheduled_on_the_landing_watcher_and_every_15_minutes(report):
    dag = report["dags"]["swdw_ingest_submissions"]
    assert dag["schedule_uris"] == ["swdw://landing/"]  # Airflow normalises an empty path
    assert dag["watchers"] == ["LandingZoneTrigger"]
    # whatever the watcher misses is picked up within a quarter of an hour, every quarter of an hour
    runs = [dt.datetime.fromisoformat(run["run_after"]) for run in dag["next_runs"]]
    quarter = dt.timedelta(minutes=15)
    assert SCHEDULE_FROM < runs[0] <= SCHEDULE_FROM + quarter
    assert [later - earlier for earlier, later in zip(runs, runs[1:])] == [quarter] * 2


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
    command = _compose_command()
    # make test's system-package step provides a compose client (scripts/system-packages.sh)
    assert command is not None, "no compose client: neither `docker compose` nor docker-compose works"
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
    # the worker takes tasks from Celery: every Airflow service queues them there, and the broker and
    # the result backend are services of this file the Airflow services wait for
    airflow = {name: services[name] for name in expected if name.startswith("airflow-")}
    assert services["airflow-worker"]["command"].startswith("celery worker")
    executors = {name: service["environment"]["AIRFLOW__CORE__EXECUTOR"] for name, service in airflow.items()}
    assert set(executors.values()) == {"CeleryExecutor"}, executors
    for name, service in airflow.items():
        for setting in ("AIRFLOW__CELERY__BROKER_URL", "AIRFLOW__CELERY__RESULT_BACKEND"):
            value = re.sub(r"\$\{\w+:-(.*)\}", r"\1", service["environment"][setting])  # ${VAR:-default}
            host = urlparse(value.removeprefix("db+")).hostname
            assert host in services and host in service["depends_on"], f"{name}: {setting} reaches {host}"
    # no secret in the repository: every secret-like setting is a variable reference
    secret_words = ("PASSWORD", "PASS", "SECRET", "FERNET", "_KEY")
    for name, service in services.items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if any(w in key for w in secret_words):
                assert "${" in str(value), f"{name}: {key} is a literal value"
