"""The dbt project: sqlfluff-clean SQL, documented models, and incremental builds that equal a full refresh."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import REPO, VENV_BIN, query, run_cli

DBT_DIR = REPO / "dbt_project"
MARTS = (
    "mart_coverage",
    "mart_service_counts",
    "mart_petition_conversion",
    "mart_submission_quality",
    "dim_district",
    "dim_department",
)
INCREMENTAL = ("intermediate", "int_service_activity")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def manifest() -> dict:
    """dbt parse needs no database (it runs at install time)."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "ingest.jobs.transform", "parse"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((DBT_DIR / "target" / "manifest.json").read_text())


def _described(text: str | None) -> bool:
    """A Chinese label and an English description: `中文 — English`."""
    return bool(text) and bool(CHINESE.search(text)) and bool(re.search(r"[A-Za-z]{3}", text))


def test_every_model_seed_and_column_is_described(manifest):
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert {n["name"] for n in nodes} >= {
        *MARTS,
        "mart_build_info",
        "int_service_activity",
        "int_suggestion_status_history",
    }
    undocumented = [n["name"] for n in nodes if not _described(n["description"])]
    undocumented += [
        f"{n['name']}.{c}"
        for n in nodes
        if n["resource_type"] == "model"
        for c, column in n["columns"].items()
        if not _described(column["description"])
    ]
    assert not undocumented


def test_staging_models_read_exactly_one_source(manifest):
    """Joins to the register live in intermediate models; a staging model cleans one source
    (or the city's seeds) and reads no other model."""
    staging = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "staging"]
    assert len(staging) >= 8
    for node in staging:
        parents = node["depends_on"]["nodes"]
        kinds = [parent.split(".")[0] for parent in parents]
        assert parents and kinds.count("source") <= 1 and "model" not in kinds, (node["name"], parents)
        assert kinds.count("source") == 1 or set(kinds) == {"seed"}, (node["name"], parents)


def test_every_model_has_a_primary_key_test(manifest):
    """Each model's grain is tested: the unique_combination test, or unique and not_null on one column."""
    combined, unique, not_null = set(), set(), set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("attached_node"):
            continue
        name, model = (node.get("test_metadata") or {}).get("name"), node["attached_node"]
        if name == "unique_combination":
            combined.add(model)
        elif name in ("unique", "not_null"):
            (unique if name == "unique" else not_null).add((model, node["column_name"]))
    keyed = combined | {model for model, column in unique & not_null}
    models = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert len(models) >= 20 and not models - keyed, sorted(models - keyed)


def test_intermediate_and_marts_reach_the_register_through_its_staging_model(manifest):
    """Sources are read in staging only; every marts table's build stamp (a post-hook) reads the
    register through stg_submissions, so the stamp is part of the table's lineage."""
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    downstream = [n for n in models if n["schema"] in ("intermediate", "marts")]
    assert downstream
    for node in downstream:
        assert not [p for p in node["depends_on"]["nodes"] if p.startswith("source.")], node["name"]
    for node in downstream:
        if node["schema"] == "marts" and node["config"]["materialized"] == "table":
            assert any("stamp_build_info" in hook["sql"] for hook in node["config"]["post-hook"]), node["name"]
            assert "model.swdw.stg_submissions" in node["depends_on"]["nodes"], node["name"]


def test_every_raw_source_declares_freshness_by_its_load_time(manifest):
    raw = [s for s in manifest["sources"].values() if s["source_name"] == "raw"]
    assert len(raw) >= 3
    for source in raw:
        freshness = source["freshness"]
        warn, error = freshness["warn_after"], freshness["error_after"]
        assert source["loaded_at_field"] in source["columns"], source["name"]
        assert warn["count"] and error["count"] and warn["period"] == error["period"] == "day", source["name"]
        assert warn["count"] < error["count"], source["name"]


def test_marts_grant_to_bi_and_auditor_only_in_marts(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        grants = node["config"].get("grants") or {}
        if node["schema"] == "marts":
            assert sorted(grants.get("select", [])) == ["swdw_auditor", "swdw_bi"], node["name"]
        else:
            assert not any("swdw_bi" in roles or "swdw_auditor" in roles for roles in grants.values()), node["name"]


def test_exposures_cover_the_four_dashboards(manifest):
    exposures = {e["label"]: e for e in manifest["exposures"].values()}
    assert set(exposures) == {"两个覆盖", "志愿服务", "人民建议征集与转化", "报送质量"}
    for exposure in exposures.values():
        assert exposure["owner"]["name"] and exposure["url"].startswith("http://127.0.0.1:8088/superset/dashboard/")
        assert any(node.split(".")[-1].startswith("mart_") for node in exposure["depends_on"]["nodes"])


def test_unit_tests_cover_coverage_new_party_orgs_conversion_and_incremental(manifest):
    tested = {
        u["model"] if isinstance(u.get("model"), str) else u["name"] for u in manifest.get("unit_tests", {}).values()
    }
    tested = {t.split(".")[-1] for t in tested}
    assert {
        "mart_coverage",
        "int_org_coverage_history",
        "mart_petition_conversion",
        "int_service_activity",
        "int_suggestion_status_history",
    } <= tested


# ---------------------------------------------------------------------------------------
# incremental correctness on the sample
# ---------------------------------------------------------------------------------------


def hold_back_last_month(landing: Path, held: Path) -> list[Path]:
    """Move the files that landed in the latest arrival month out of the landing zone."""
    files = [p for p in landing.rglob("*") if p.is_file()]
    latest = max(dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in files)
    cutoff = latest.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    moved = []
    for path in files:
        if path.stat().st_mtime >= cutoff:
            target = held / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)  # keeps the modification (= landing) time
            moved.append(target)
    return moved


def release(held: Path, landing: Path) -> None:
    for path in [p for p in held.rglob("*") if p.is_file()]:
        target = landing / path.relative_to(held)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)


def _relations() -> list[tuple[str, str]]:
    return [("marts", m) for m in MARTS] + [INCREMENTAL]


def _copy_relations(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"drop schema if exists {schema} cascade")
        conn.execute(f"create schema {schema}")
        for source_schema, name in _relations():
            conn.execute(f"create table {schema}.{name} as select * from {source_schema}.{name}")


def _differences(dsn: str, schema: str, source_schema: str, name: str) -> tuple[int, int, int]:
    """(rows, rows only in the copy, rows only in the current relation), EXCEPT ALL both ways."""
    copy, current = f"{schema}.{name}", f"{source_schema}.{name}"
    [(rows, only_copy, only_current)] = query(
        dsn,
        f"""
        select (select count(*) from {current}),
               (select count(*) from (select * from {copy} except all select * from {current}) as d),
               (select count(*) from (select * from {current} except all select * from {copy}) as d)""",
    )
    return rows, only_copy, only_current


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(clean_warehouse, tmp_path):
    import psycopg

    from ingest import samples as sample
    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import dbt_build

    dsn = clean_warehouse
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    held = tmp_path / "held"
    sample.write_samples(landing, scale=1)
    later = hold_back_last_month(landing, held)
    assert any("service_activity" in p.parts for p in later) and any("suggestion" in p.parts for p in later)

    # everything before the last month, built from scratch
    outcomes = ingest_landing(trigger="test", progress=None)
    assert any(o.status == "loaded" for o in outcomes)
    assert dbt_build(), "first dbt build failed"
    before = query(dsn, "select count(*) from intermediate.int_service_activity")[0][0]
    _copy_relations(dsn, "before_increment")
    with psycopg.connect(dsn, autocommit=True) as conn:
        # each row's version (xmin) before the increment: rewritten rows get a new one
        conn.execute(
            "create table before_increment.row_versions as select department_code, activity_id, "
            "xmin::text as row_version from intermediate.int_service_activity"
        )
        watermark = conn.execute("select max(loaded_at) from intermediate.int_service_activity").fetchone()[0]

    # the last month arrives: ingest it and build incrementally
    release(held, landing)
    ingest_landing(trigger="test", progress=None)
    assert dbt_build(), "incremental dbt build failed"
    new_keys = query(
        dsn,
        """
        select count(distinct (s.department_code, r.activity_id))
        from raw.service_activity as r
        join audit.submission as s using (submission_id)
        where r.loaded_at > %s and s.status in ('loaded', 'superseded')""",
        (watermark,),
    )[0][0]
    [(untouched, rewritten)] = query(
        dsn,
        """
        select count(*) filter (where held.row_version = current_rows.xmin::text),
               count(*) filter (where held.row_version is distinct from current_rows.xmin::text)
        from intermediate.int_service_activity as current_rows
        left join before_increment.row_versions as held using (department_code, activity_id)""",
    )
    # only the activities the new month's rows touch were (re)written; the rest were left alone
    assert 0 < new_keys == rewritten
    assert 0 < untouched < before
    # a later version of an earlier activity replaced it (city_vol re-reports a Q3 activity in Q4)
    assert (
        query(
            dsn,
            """
        select count(*) from intermediate.int_service_activity as current_rows
        join before_increment.int_service_activity as earlier using (department_code, activity_id)
        where current_rows.participants <> earlier.participants""",
        )[0][0]
        >= 1
    )

    # the incremental result, then a full refresh over the same data: identical, row for row
    _copy_relations(dsn, "after_increment")
    assert dbt_build(full_refresh=True), "full-refresh dbt build failed"
    for source_schema, name in _relations():
        rows, only_incremental, only_full = _differences(dsn, "after_increment", source_schema, name)
        assert rows > 0, name
        assert (only_incremental, only_full) == (0, 0), f"{name}: incremental and full refresh differ"
    # and the new month did change the marts (the comparison is not vacuous)
    changed = [
        name
        for source_schema, name in _relations()
        if _differences(dsn, "before_increment", source_schema, name)[1:] != (0, 0)
    ]
    assert {"mart_service_counts", "mart_petition_conversion", "int_service_activity"} <= set(changed)

    # every column dbt built is documented (Chinese label — English description)
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    documented = {
        (n["schema"], n["alias"]): {c for c, col in n["columns"].items() if _described(col["description"])}
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
    }
    built = query(
        dsn,
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_schema in ('staging', 'intermediate', 'marts')""",
    )
    missing = [f"{s}.{t}.{c}" for s, t, c in built if (s, t) in documented and c not in documented[(s, t)]]
    assert not missing


@pytest.mark.slow
def test_a_failed_build_alerts_naming_the_failing_node_and_the_stale_marts(clean_warehouse, monkeypatch):
    from ingest.jobs.transform import dbt_build

    from .builders import ORG_HEADER, landing_path, org_row, write_csv
    from .helpers import webhook_server

    write_csv(
        landing_path(Path(os.environ["SWDW_LANDING_DIR"]), "xiangshan", "org_coverage", "a.csv"),
        [ORG_HEADER, org_row(1)],
    )
    assert run_cli("run").returncode == 0
    import psycopg

    with psycopg.connect(clean_warehouse, autocommit=True) as conn:  # a new file lands, then a node breaks
        conn.execute(
            "insert into audit.submission (department_code, submission_type, file_name, landing_path, sha256, bytes) "
            "values ('duji', 'org_coverage', 'b.csv', '/x', 'feed', 1)"
        )
        conn.execute("alter table raw.org_coverage rename column org_name to org_name_broken")
    # the migration check would refuse the broken table before dbt starts: this test wants dbt to fail
    monkeypatch.setattr("ingest.jobs.transform.bootstrap", lambda: [])
    try:
        with webhook_server() as (url, received):
            monkeypatch.setenv("AIRFLOW_CONN_SWDW_WEBHOOK", url)
            assert dbt_build() is False
    finally:
        with psycopg.connect(clean_warehouse, autocommit=True) as conn:
            conn.execute("alter table raw.org_coverage rename column org_name_broken to org_name")
    [alert] = [r["json"] for r in received if r["json"]["event"] == "build_failed"]
    assert any("stg_org_coverage" in node for node in alert["details"]["failed_nodes"])
    assert "mart_coverage" in alert["details"]["stale_marts"]


@pytest.mark.slow  # three `dbt source freshness` runs
def test_raw_source_freshness_warns_then_errors_as_the_last_load_ages(clean_warehouse, manifest):
    """`dbt source freshness` over raw: fresh after a load, a warning once the newest rows are
    over a monthly cycle old, an error once a due date is well past."""
    import psycopg

    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import _invoke

    from .builders import ORG_HEADER, landing_path, org_row, write_csv

    write_csv(
        landing_path(Path(os.environ["SWDW_LANDING_DIR"]), "xiangshan", "org_coverage", "a.csv"),
        [ORG_HEADER, org_row(1)],
    )
    assert any(o.status == "loaded" for o in ingest_landing(trigger="test", progress=None))
    [freshness] = [
        s["freshness"] for s in manifest["sources"].values() if s["unique_id"] == "source.swdw.raw.org_coverage"
    ]

    def status_after(days: int) -> str:
        with psycopg.connect(clean_warehouse, autocommit=True) as conn:
            conn.execute("update raw.org_coverage set loaded_at = now() - make_interval(days => %s)", (days,))
        result = _invoke(["source", "freshness", "--select", "source:raw.org_coverage"])
        [outcome] = result.result.results
        return str(getattr(outcome.status, "value", outcome.status))

    assert status_after(0) == "pass"
    assert status_after(freshness["warn_after"]["count"] + 1) == "warn"
    assert status_after(freshness["error_after"]["count"] + 1) == "error"
