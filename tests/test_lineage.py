"""OpenLineage events: a run writes them under $SWDW_HOME/artifacts/lineage, each one valid
against the OpenLineage JSON schema, naming the landing file, the raw table and the marts, and
carrying no personal data.

One small run serves every test here: the ingest DAG through `airflow dags test` (the provider's
events, with the landing file and raw table of each file task), then the dbt build the `swdw`
CLI runs (events from OpenLineage's dbt integration). The build DAG's dbt events come from Cosmos
and are checked in tests/test_dags_end_to_end.py, which runs that DAG anyway.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from openlineage.client.event_v2 import Dataset

from ingest import samples as sample
from ingest.airflow.lineage import openlineage_env
from ingest.airflow.local_runner import airflow_env
from ingest.lineage.naming import EMBEDDED_WAREHOUSE_NAMESPACE, landing_file_dataset, warehouse_namespace
from ingest.lineage.transport import lineage_dir

from .helpers import REPO
from .lineage_events import downstream, event_files, lineage_graph, read_events
from .openlineage_schema import schema_errors

SUGGESTION = Path("duji") / "suggestion" / "杜集区人民建议_202412.csv"
COVERAGE = Path("duji") / "org_coverage" / "杜集区两个覆盖台账_202412.csv"
QUARANTINED = Path("lieshan") / "org_coverage" / "烈山区两个覆盖台账2024年12月（补充）.csv"  # fails validation
# the suggestion file's personal columns, as this sample file heads them: content, name, phone, id number
PERSONAL_COLUMNS = ("内容", "姓名", "电话", "身份证号码")


@dataclass
class LineageRun:
    landing: Path
    events: dict[Path, dict]
    personal_values: set[str]

    def table(self, name: str) -> tuple[str, str]:
        return EMBEDDED_WAREHOUSE_NAMESPACE, f"swdw.{name}"

    def landing_file(self, relative: Path) -> tuple[str, str]:
        return "file", str((self.landing / relative).resolve())

    def file_task_events(self) -> list[dict]:
        return [
            e
            for e in self.events.values()
            if e["job"]["name"] == "swdw_ingest_submissions.process_file" and e["eventType"] == "COMPLETE"
        ]


@pytest.fixture(scope="module")
def lineage_run(warehouse, tmp_path_factory) -> LineageRun:
    import psycopg

    from ingest.jobs.transform import dbt_build

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain", ignore_errors=True)
    written, landing = tmp_path_factory.mktemp("written"), tmp_path_factory.mktemp("landing")
    sample.write_samples(written)
    for relative in (SUGGESTION, COVERAGE, QUARANTINED):
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(written / relative, landing / relative)
    personal = _personal_values(landing / SUGGESTION)  # read now: ingest moves the file away

    directory = lineage_dir()
    before = event_files(directory)
    env = airflow_env({**os.environ, "SWDW_LANDING_DIR": str(landing)}, warehouse=True)
    result = subprocess.run(
        [sys.executable, "-m", "ingest.airflow.local_runner", "swdw_ingest_submissions"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert dbt_build(), "dbt build failed"
    return LineageRun(landing, read_events(event_files(directory) - before), personal)


def _personal_values(path: Path) -> set[str]:
    data = path.read_bytes()
    text = data.decode("utf-8-sig") if data[:3] == b"\xef\xbb\xbf" else data.decode("gb18030")
    rows = list(csv.DictReader(io.StringIO(text)))
    values = {row[column].strip() for row in rows for column in PERSONAL_COLUMNS if (row.get(column) or "").strip()}
    assert len(values) > 10, f"the sample's personal columns moved: {PERSONAL_COLUMNS} in {path.name}"
    return values


@pytest.mark.slow
def test_airflow_and_dbt_write_their_events_as_files(lineage_run):
    names = [path.name for path in lineage_run.events]
    assert any(name.startswith("airflow-") for name in names), names
    assert any(name.startswith("dbt-") for name in names), names
    jobs = {event["job"]["name"] for event in lineage_run.events.values()}
    assert {"swdw_ingest_submissions", "swdw_ingest_submissions.process_file", "dbt-run-swdw"} <= jobs
    assert {event["job"]["namespace"] for event in lineage_run.events.values()} == {"swdw"}
    # the dbt nodes hang off the build's own run, so a reader sees one dbt build with its models in it
    parents = [e for e in lineage_run.events.values() if e["job"]["name"] == "dbt-run-swdw"]
    assert sorted(e["eventType"] for e in parents) == ["COMPLETE", "START"]
    nodes = [e for p, e in lineage_run.events.items() if p.name.startswith("dbt-") and e not in parents]
    assert nodes and all(e["run"]["facets"]["parent"]["run"]["runId"] == parents[0]["run"]["runId"] for e in nodes)


@pytest.mark.slow
def test_every_event_conforms_to_the_openlineage_schema(lineage_run):
    assert len(lineage_run.events) > 50
    invalid = {path.name: errors for path, event in lineage_run.events.items() if (errors := schema_errors(event))}
    assert not invalid, invalid


@pytest.mark.slow
def test_a_loaded_file_is_traced_from_the_landing_zone_through_raw_to_the_marts(lineage_run):
    run = lineage_run
    graph = lineage_graph(run.events.values())
    # the file task read the landing file and wrote the raw table (and the register)
    assert run.table("raw.suggestion") in graph[run.landing_file(SUGGESTION)]
    assert run.table("audit.submission") in graph[run.landing_file(SUGGESTION)]
    assert run.table("raw.org_coverage") in graph[run.landing_file(COVERAGE)]
    # dbt names the raw tables as ingest does, so the graph goes on from them to the marts
    assert run.table("marts.mart_petition_conversion") in downstream(graph, run.table("raw.suggestion"))
    assert run.table("marts.mart_coverage") in downstream(graph, run.table("raw.org_coverage"))
    assert run.table("marts.mart_submission_quality") in downstream(graph, run.table("audit.submission"))


@pytest.mark.slow
def test_a_quarantined_file_reaches_no_raw_table(lineage_run):
    quarantined = lineage_run.landing_file(QUARANTINED)
    events = [
        e for e in lineage_run.file_task_events() if quarantined in {(i["namespace"], i["name"]) for i in e["inputs"]}
    ]
    assert len(events) == 1
    assert [o["name"] for o in events[0]["outputs"]] == ["swdw.audit.submission"]


@pytest.mark.slow
def test_the_embedded_warehouse_has_one_logical_namespace(lineage_run):
    namespaces = {
        dataset["namespace"]
        for event in lineage_run.events.values()
        for dataset in [*(event.get("inputs") or []), *(event.get("outputs") or [])]
    }
    assert namespaces == {"file", EMBEDDED_WAREHOUSE_NAMESPACE}
    # nor anywhere else (dataSource and column-lineage facets): the port is not a name. (Other
    # local addresses may appear: the dbt exposures' dashboard URLs are on 127.0.0.1:8088.)
    leaked = {p.name: _around(p.read_text(encoding="utf-8"), WAREHOUSE_ADDRESS) for p in lineage_run.events}
    assert not {name: text for name, text in leaked.items() if text}


WAREHOUSE_ADDRESS = re.compile(r"postgres(?:ql)?://(?:127\.0\.0\.1|localhost)")


def _around(text: str, pattern: re.Pattern, width: int = 120) -> str:
    """The first place pattern matches in text, with some context (empty when it does not)."""
    match = pattern.search(text)
    return "" if match is None else text[max(0, match.start() - width) : match.end() + width]


@pytest.mark.slow
def test_no_event_carries_personal_data(lineage_run):
    leaks = {
        path.name: sorted(value for value in lineage_run.personal_values if value in path.read_text(encoding="utf-8"))
        for path in lineage_run.events
    }
    assert not {name: values for name, values in leaks.items() if values}


def test_warehouse_namespace_is_the_servers_address_only_when_it_has_a_stable_one():
    assert warehouse_namespace({}) == EMBEDDED_WAREHOUSE_NAMESPACE
    assert warehouse_namespace({"SWDW_WAREHOUSE_DSN": "postgresql://u:p@db.example.invalid/wh"}) == (
        "postgres://db.example.invalid:5432"
    )
    assert warehouse_namespace({"SWDW_WAREHOUSE_DSN": "postgresql://u:p@db:6543/wh"}) == "postgres://db:6543"


def test_openlineage_settings_go_to_files_under_swdw_home_and_yield_to_the_deployment(tmp_path):
    import datetime as dt
    import json
    import uuid

    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.transport import get_default_factory

    settings = openlineage_env({"SWDW_HOME": str(tmp_path)})
    # the transport the provider builds from the setting: each event a file of its own under SWDW_HOME
    transport = get_default_factory().create(json.loads(settings["AIRFLOW__OPENLINEAGE__TRANSPORT"]))
    client = OpenLineageClient(transport=transport)
    run_ids = [str(uuid.uuid4()) for _ in range(2)]
    for run_id in run_ids:
        client.emit(
            RunEvent(
                eventType=RunState.COMPLETE,
                eventTime=dt.datetime.now(dt.UTC).isoformat(),
                run=Run(runId=run_id),
                job=Job(namespace="swdw", name="probe"),
                producer="tests",
            )
        )
    written = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    assert all(path.is_relative_to(lineage_dir({"SWDW_HOME": str(tmp_path)})) for path in written), written
    assert sorted(json.loads(path.read_text())["run"]["runId"] for path in written) == sorted(run_ids)
    deployed = {"SWDW_HOME": str(tmp_path), "AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "http"}'}
    assert "AIRFLOW__OPENLINEAGE__TRANSPORT" not in openlineage_env(deployed)
    assert airflow_env(deployed)["AIRFLOW__OPENLINEAGE__TRANSPORT"] == '{"type": "http"}'


def test_a_landing_file_is_named_by_its_path_or_its_bucket_and_key():
    assert landing_file_dataset("/landing/duji/suggestion/建议#2?.csv") == Dataset(
        namespace="file", name="/landing/duji/suggestion/建议#2?.csv"
    )
    assert landing_file_dataset("s3://city-landing/duji/a.csv") == Dataset(
        namespace="s3://city-landing", name="duji/a.csv"
    )
