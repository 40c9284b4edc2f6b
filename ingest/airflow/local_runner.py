"""Running the Airflow DAGs locally: environment, metadata database, `airflow dags test`.

Used by `make demo` (``python -m ingest.airflow.local_runner``), by the DAG tests and by anyone who
wants the real DAGs in-process without a scheduler. Production runs the same DAG files under
docker-compose.yml (CeleryExecutor, PostgreSQL metadata); here Airflow keeps its metadata in
SQLite under ``$SWDW_HOME/airflow`` and ``airflow dags test`` runs every task in one process.

Nothing here reaches the network: examples, telemetry and usage statistics of Airflow,
Cosmos, dbt and Great Expectations are switched off.

The warehouse reaches the dbt (Cosmos) tasks through the Airflow connection
``swdw_warehouse``; locally it is given as ``AIRFLOW_CONN_SWDW_WAREHOUSE`` (the same URI
``swdw dsn`` prints), in production it is set on every Airflow container.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from ingest.airflow.connection_ids import WAREHOUSE_CONN_ID
from ingest.airflow.lineage import openlineage_env
from ingest.config import REPO_ROOT, city_timezone, swdw_home
from ingest.warehouse.embedded_pg import EmbeddedPostgres

DAGS_FOLDER = REPO_ROOT / "dags"
WAREHOUSE_CONN_ENV = "AIRFLOW_CONN_" + WAREHOUSE_CONN_ID.upper()
DEMO_DAGS = ("swdw_ingest_submissions", "swdw_build_marts")
ALL_DAGS = ("swdw_ingest_submissions", "swdw_build_marts", "swdw_reprocess", "swdw_submission_calendar")

# Switches that keep every tool in the stack offline and quiet.
OFFLINE_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}


def _bin(name: str) -> str:
    """An entry point of the environment this interpreter runs in (the project's .venv)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    candidate = REPO_ROOT / ".venv" / "bin" / name
    return str(candidate) if candidate.exists() else name


def airflow_env(base_env: dict[str, str] | None = None, *, warehouse: bool = False) -> dict[str, str]:
    """The environment for running Airflow locally or in tests.

    ``base_env`` defaults to ``os.environ``; the result is a new dict. With ``warehouse=True``
    the Airflow connection ``swdw_warehouse`` is filled in from ``SWDW_WAREHOUSE_DSN`` or,
    when that is unset, from the embedded server (started if needed). Without it the
    connection is set only when it costs nothing (an explicit DSN), so parsing DAGs in a
    test never starts a database server.
    """
    env = dict(os.environ if base_env is None else base_env)
    home = swdw_home(env)
    airflow_home = home / "airflow"
    env["SWDW_HOME"] = str(home)
    landing = env.get("SWDW_LANDING_DIR")
    if landing and "://" not in landing:
        env["SWDW_LANDING_DIR"] = str(Path(landing).resolve())
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
            # start dates and naive datetimes on the city's clock; the crons read it through
            # dag_defaults.city_cron. Airflow 3's UI has no server default zone: the plugin
            # ingest/airflow/ui_timezone.py presets its zone picker to this one.
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": city_timezone(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
            "AIRFLOW__COSMOS__CACHE_DIR": str(airflow_home / "cosmos_cache"),
            "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        }
    )
    env.update(OFFLINE_ENV)
    env.update(openlineage_env(env))  # OpenLineage events to files under $SWDW_HOME/artifacts/lineage
    # DAG files import the package lazily; make sure it is importable whatever the cwd
    pythonpath = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(pythonpath))
    if WAREHOUSE_CONN_ENV not in env:
        if env.get("SWDW_WAREHOUSE_DSN"):
            env[WAREHOUSE_CONN_ENV] = env["SWDW_WAREHOUSE_DSN"]
        elif warehouse:
            env[WAREHOUSE_CONN_ENV] = EmbeddedPostgres(home / "pg").ensure_running()
    return env


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_airflow_db(env: dict[str, str] | None = None) -> Path:
    """Create or upgrade the local Airflow metadata database (idempotent, instant when done).

    A stamp file names the Airflow version the database was last migrated with, so the
    (slow) ``airflow db migrate`` runs only on first use and after an Airflow upgrade.
    """
    env = airflow_env() if env is None else env
    home = Path(env["AIRFLOW_HOME"])
    database = home / "airflow.db"
    stamp = home / f".migrated-{metadata.version('apache-airflow-core')}"
    with _locked(home / ".migrate.lock"):
        if stamp.exists() and database.exists():
            return database
        result = subprocess.run(
            [_bin("airflow"), "db", "migrate"],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        for old in home.glob(".migrated-*"):
            old.unlink()
        stamp.touch()
    return database


def run_dag_test(
    dag_id: str,
    conf: dict | None = None,
    env: dict[str, str] | None = None,
    logical_date: str | None = None,
    log_dir: Path | None = None,
) -> int:
    """Run one DAG in-process with ``airflow dags test``; exit code back.

    Output streams through, or with ``log_dir`` goes to ``<log_dir>/<dag_id>.log`` and only a
    one-line result is printed (the tail of the log when the run failed).
    """
    import time

    env = airflow_env(warehouse=True) if env is None else env
    ensure_airflow_db(env)
    command = [_bin("airflow"), "dags", "test", dag_id]
    if logical_date:
        command.append(logical_date)
    if conf:
        command += ["--conf", json.dumps(conf)]
    print(f"==> airflow dags test {dag_id}", flush=True)
    if log_dir is None:
        return subprocess.run(command, env=env, cwd=REPO_ROOT).returncode
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        code = subprocess.run(command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    outcome = "succeeded" if code == 0 else f"FAILED (exit {code})"
    print(f"    {outcome} in {time.monotonic() - started:.0f} s; full log: {log_path}", flush=True)
    if code != 0:
        print("".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-60:]), flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    """``python -m ingest.airflow.local_runner [DAG_ID ...]``: run DAGs in order, stop at the first failure.

    Without arguments it runs the demo order: ingest, then build. ``airflow dags test`` does
    not follow Asset triggers, so the build DAG is run explicitly after the ingest DAG.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ingest.airflow.local_runner", description=main.__doc__)
    parser.add_argument("dag_ids", nargs="*", default=list(DEMO_DAGS))
    parser.add_argument("--conf", help="JSON run configuration passed to every DAG run")
    parser.add_argument("--logical-date", help="logical date of every DAG run (e.g. 2025-01-15)")
    parser.add_argument(
        "--quiet", action="store_true", help="write each run's output to $SWDW_HOME/artifacts/logs/<dag_id>.log"
    )
    args = parser.parse_args(argv)
    conf = json.loads(args.conf) if args.conf else None
    env = airflow_env(warehouse=True)
    log_dir = Path(env["SWDW_HOME"]) / "artifacts" / "logs" if args.quiet else None
    for dag_id in args.dag_ids:
        code = run_dag_test(dag_id, conf=conf, env=env, logical_date=args.logical_date, log_dir=log_dir)
        if code != 0:
            print(f"==> {dag_id} failed (exit {code})", file=sys.stderr, flush=True)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
