"""Airflow on the city's clock: the dbt var local_timezone is Airflow's default zone wherever the
Airflow environment is built (local_runner.airflow_env for `make demo` and `swdw airflow up`,
docker-compose.yml), and every cron of every DAG is read in it, as the scheduler reads it.

Airflow reads its configuration at import, so the DagBag is loaded in a subprocess with
airflow_env(); it never starts the warehouse.
"""

from __future__ import annotations

import os
import textwrap

import pytest
import yaml

from ingest.airflow.local_runner import DAGS_FOLDER, airflow_env
from ingest.config import DBT_PROJECT_DIR, REPO_ROOT

from .helpers import run_probe

# Runs in the subprocess: Airflow's default zone and, per DAG, each cron as the scheduler sees it
# (the core timetable the DAG serialises to) with its first two fire times after a fixed instant.
_PROBE = textwrap.dedent(
    """
    import json, sys
    import pendulum
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    bag = DagBag(dag_folder=sys.argv[1])
    report = {"default_timezone": settings.TIMEZONE.name, "import_errors": list(bag.import_errors), "crons": {}}
    start = pendulum.datetime(2025, 6, 1, tz="UTC")
    for dag_id, dag in bag.dags.items():
        cron = getattr(dag.timetable, "timetable", dag.timetable)  # AssetOrTimeSchedule wraps its cron
        if not hasattr(cron, "expression"):
            continue
        core = coerce_to_core_timetable(cron)
        fires, last = [], None
        for _ in range(2):
            info = core.next_dagrun_info(
                last_automated_data_interval=last, restriction=TimeRestriction(earliest=start, latest=None, catchup=True)
            )
            fires.append(info.run_after.isoformat())
            last = info.data_interval
        report["crons"][dag_id] = {"timezone": str(cron.timezone), "fires": fires}
    print("@@REPORT@@" + json.dumps(report))
    """
)


def _city_timezone() -> str:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["local_timezone"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    base["SWDW_HOME"] = str(tmp_path_factory.mktemp("swdw_home"))
    return run_probe(_PROBE, str(DAGS_FOLDER), env=airflow_env(base))


def test_the_city_is_not_on_utc():
    # otherwise every test below would pass with Airflow's own default
    assert _city_timezone() not in ("UTC", "utc", "Etc/UTC")


def test_airflow_env_puts_airflow_on_the_city_clock(report):
    assert report["default_timezone"] == _city_timezone()


def test_every_cron_is_read_in_the_city_zone(report):
    assert not report["import_errors"]
    assert {"swdw_ingest_submissions", "swdw_submission_calendar"} <= set(report["crons"])
    for dag_id, cron in report["crons"].items():
        assert cron["timezone"] == _city_timezone(), dag_id


def test_the_lateness_check_fires_each_morning_in_the_city(report):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    fires = [
        datetime.fromisoformat(f).astimezone(ZoneInfo(_city_timezone()))
        for f in report["crons"]["swdw_submission_calendar"]["fires"]
    ]
    # daily, in the city's morning working hours, the same local hour on consecutive days
    assert (fires[1] - fires[0]).days == 1
    assert fires[0].time() == fires[1].time() and 8 <= fires[0].hour <= 10


def test_compose_runs_airflow_on_the_same_clock():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    airflow_services = {name: s for name, s in compose["services"].items() if name.startswith("airflow-")}
    assert airflow_services
    for name, service in airflow_services.items():
        assert service["environment"]["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == _city_timezone(), name
