"""The committed Superset bundle (bi/assets) without a server: current, consistent, matched by
the dbt exposures both ways, reading marts only, carrying no password."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import yaml

from .helpers import REPO

ASSETS = REPO / "bi" / "assets"
EXPOSURES = REPO / "dbt_project" / "models" / "marts" / "_exposures.yml"
EXPECTED_DASHBOARDS = {"两个覆盖", "志愿服务", "人民建议征集与转化", "报送质量"}


def _load(kind: str) -> dict[str, dict]:
    return {
        path.relative_to(ASSETS).as_posix(): yaml.safe_load(path.read_text())
        for path in ASSETS.glob(f"{kind}/**/*.yaml")
    }


def _bundle_writer(monkeypatch):
    """bi/bundle_writer.py as `bi/.venv/bin/python bi/bundle_writer.py` runs it: bi/ on the path,
    where it finds the spec (bi/ is scripts run by Superset's own Python, not a package)."""
    monkeypatch.syspath_prepend(str(REPO / "bi"))
    for name in ("bundle_writer", "bundle_spec"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("bundle_writer")


def test_committed_bundle_is_what_the_spec_writes(tmp_path: Path, monkeypatch):
    _bundle_writer(monkeypatch).write_bundle(tmp_path)
    written = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.yaml")}
    committed = {p.relative_to(ASSETS).as_posix(): p.read_text() for p in ASSETS.rglob("*.yaml")}
    assert written == committed, "bi/assets is stale: run bi/.venv/bin/python bi/bundle_writer.py and commit"


def test_every_reference_in_the_bundle_resolves():
    databases = {d["uuid"] for d in _load("databases").values()}
    datasets = _load("datasets")
    charts = _load("charts")
    dashboards = _load("dashboards")
    assert len(databases) == 1
    assert {d["database_uuid"] for d in datasets.values()} == databases
    dataset_uuids = {d["uuid"] for d in datasets.values()}
    assert {c["dataset_uuid"] for c in charts.values()} <= dataset_uuids
    chart_uuids = {c["uuid"] for c in charts.values()}
    placed = [
        node["meta"]["uuid"]
        for dashboard in dashboards.values()
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]
    assert sorted(placed) == sorted(chart_uuids), "every chart on exactly one dashboard"
    assert {d["dashboard_title"] for d in dashboards.values()} == EXPECTED_DASHBOARDS
    uuids = [x["uuid"] for kind in ("databases", "datasets", "charts", "dashboards") for x in _load(kind).values()]
    assert len(uuids) == len(set(uuids))


def test_datasets_are_the_marts_and_metrics_are_ratios_of_sums():
    datasets = _load("datasets")
    assert {d["table_name"] for d in datasets.values()} == {
        "mart_coverage",
        "mart_service_counts",
        "mart_petition_conversion",
        "mart_submission_quality",
    }
    for dataset in datasets.values():
        assert dataset["schema"] == "marts" and dataset["sql"] is None
        for metric in dataset["metrics"]:
            assert "avg(" not in metric["expression"].lower(), metric  # never an average of rates
        for column in dataset["columns"]:
            assert column["verbose_name"], f"{dataset['table_name']}.{column['column_name']} needs a Chinese label"


def test_database_entry_carries_a_placeholder_not_a_password():
    (database,) = _load("databases").values()
    assert ":XXXXXXXXXX@" in database["sqlalchemy_uri"]
    assert "swdw_bi_reader" in database["sqlalchemy_uri"]
    assert database["expose_in_sqllab"] is False and database["allow_dml"] is False
    for path in ASSETS.rglob("*.yaml"):
        text = path.read_text()
        assert "password:" not in text.lower(), path


def test_import_replaces_the_placeholder_and_passes_the_password_apart():
    spec = importlib.util.spec_from_file_location("provision", REPO / "bi" / "provision.py")
    provision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(provision)
    contents, passwords = provision.bundle_contents(
        ASSETS, "postgresql+psycopg2://swdw_bi_reader:s%40cret@127.0.0.1:5544/swdw"
    )
    database = yaml.safe_load(contents["databases/swdw.yaml"])
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://swdw_bi_reader:XXXXXXXXXX@127.0.0.1:5544/swdw"
    assert passwords == {"databases/swdw.yaml": "s@cret"}
    assert not any("s@cret" in text or "s%40cret" in text for text in contents.values())


def test_every_exposure_has_a_dashboard_and_every_dashboard_an_exposure():
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    dashboards = {d["slug"]: d for d in _load("dashboards").values()}
    by_slug = {}
    for exposure in exposures:
        url = exposure["url"]
        assert url.startswith("http://127.0.0.1:8088/superset/dashboard/") and url.endswith("/"), url
        by_slug[url.rstrip("/").rsplit("/", 1)[-1]] = exposure
    assert set(by_slug) == set(dashboards)
    for slug, exposure in by_slug.items():
        assert exposure["label"] == dashboards[slug]["dashboard_title"]
        # the marts the dashboard's charts read are the marts the exposure depends on
        charts = [c for c in _load("charts").values() if c["uuid"] in _chart_uuids(dashboards[slug])]
        datasets = {d["uuid"]: d["table_name"] for d in _load("datasets").values()}
        read = {datasets[c["dataset_uuid"]] for c in charts}
        declared = {ref.split("'")[1] for ref in exposure["depends_on"] if ref.startswith("ref('mart_")}
        assert read == declared, slug


def _chart_uuids(dashboard: dict) -> set[str]:
    return {
        n["meta"]["uuid"] for n in dashboard["position"].values() if isinstance(n, dict) and n.get("type") == "CHART"
    }


def test_every_chart_carries_a_query_context_on_its_own_dataset():
    """The saved query (what the chart-data API runs) is the chart's form data, and names only
    columns and metrics its dataset has: a typo here would be a 400 for API clients only."""
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    for path, chart in _load("charts").items():
        context = json.loads(chart["query_context"])
        assert context["form_data"] == chart["params"], path
        assert context["result_format"] == "json" and context["queries"], path
        dataset = datasets[chart["dataset_uuid"]]
        columns = {c["column_name"] for c in dataset["columns"]}
        metrics = {m["metric_name"] for m in dataset["metrics"]}
        for query in context["queries"]:
            named = [c["sqlExpression"] if isinstance(c, dict) else c for c in query["columns"]]
            named += [f["col"] for f in query["filters"]]
            assert named and set(named) <= columns, (path, set(named) - columns)
            assert set(query.get("metrics", [])) <= metrics, (path, set(query["metrics"]) - metrics)
            assert query["row_limit"] == chart["params"]["row_limit"], path
