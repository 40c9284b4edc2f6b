"""Superset in a real browser: after the sample run, `swdw bi up` against the test
warehouse; the viewer opens every dashboard in headless Chromium, every chart renders without
an error and the sample's headline figures are on screen; the viewer cannot reach `raw` or
`audit` through the chart-data API, and the reader login cannot either.

Needs bi/.venv (`make bi-install`, a prerequisite of `make test`) and /usr/bin/chromium
(`.ci/run` installs it): without them these tests fail, they do not skip.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from ingest import samples as sample
from ingest.config import city_timezone
from ingest.ports import free_port

from .conftest import load_sample
from .helpers import REPO, query, run_cli
from .mail_servers import smtp_capture

pytestmark = [pytest.mark.services, pytest.mark.slow]

ASSETS = REPO / "bi" / "assets"
# what the sample's headline figures look like on screen (d3 formats .2% and ,d)
HEADLINES = {
    "two-coverages": [
        f"{sample.TARGET_PARTY_ORG_COVERAGE_PCT:.2f}%",
        f"{sample.TARGET_MASS_ORG_AVG_COVERAGE_PCT:.2f}%",
    ],
    "peoples-suggestions": [f"{sample.TARGET_SUGGESTIONS_RECEIVED:,}", f"{sample.TARGET_SUGGESTIONS_CONVERTED:,}"],
    "volunteer-services": [],
    "submission-quality": [],
}


def _bundle(kind: str) -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((ASSETS / kind).rglob("*.yaml"))]


def _dashboards() -> dict[str, int]:
    """slug → number of charts placed on it, from the committed bundle."""
    from ingest.bi import browser

    return browser.bundle_dashboards()


@pytest.fixture(scope="module")
def superset(warehouse, tmp_path_factory):
    """The sample loaded and built, then Superset up on a free port; stopped afterwards.

    Superset's own metadata (db upgrade + init, ~1 min) is created while the sample loads.
    """
    from ingest.bi import server
    from ingest.bi.superset_env import bi_paths

    paths = bi_paths()
    metadata_error: list[BaseException] = []

    def init_metadata():
        try:
            server.init_metadata(paths, announce=lambda _msg: None)
        except BaseException as exc:  # reported by the fixture below
            metadata_error.append(exc)

    metadata = threading.Thread(target=init_metadata, daemon=True)
    metadata.start()

    # the sample as every other test reads it (loaded once per session; see tests/conftest.py)
    load_sample(warehouse, tmp_path_factory)

    metadata.join()
    assert not metadata_error, f"{metadata_error[0]}; log: {paths.log_file.read_text()[-3000:]}"
    port = free_port()
    started = time.monotonic()
    state = server.up(port, announce=lambda _msg: None)
    print(f"swdw bi up (after metadata): {time.monotonic() - started:.1f}s")
    assert state.answering
    yield {
        "url": state.url,
        "admin": paths.admin_password.read_text().strip(),
        "viewer": paths.viewer_password.read_text().strip(),
        "reader": paths.reader_password.read_text().strip(),
        "paths": paths,
    }
    assert server.down()
    assert not server.status(port).running


def _api(base: str, username: str, password: str) -> requests.Session:
    """An API session as the user: JWT login plus the CSRF token Superset wants on writes."""
    session = requests.Session()
    login = session.post(
        f"{base}/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": False},
        timeout=30,
    )
    login.raise_for_status()
    session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    session.headers["X-CSRFToken"] = session.get(f"{base}/api/v1/security/csrf_token/", timeout=30).json()["result"]
    session.headers["Referer"] = base
    return session


def _chart_data(session: requests.Session, base: str, dataset_id: int, metrics: list) -> requests.Response:
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{"metrics": metrics, "columns": [], "row_limit": 10}],
        "result_format": "json",
        "result_type": "full",
    }
    return session.post(f"{base}/api/v1/chart/data", json=body, timeout=60)


def test_secrets_are_0600_and_the_login_is_not_the_superuser(superset, warehouse):
    paths = superset["paths"]
    for path in (paths.secret_key, paths.admin_password, paths.viewer_password, paths.reader_password):
        assert path.stat().st_mode & 0o777 == 0o600, path
    ((superuser, inherits, member),) = query(
        warehouse,
        """select r.rolsuper, r.rolinherit, pg_has_role(r.oid, 'swdw_bi', 'member')
             from pg_roles r where r.rolname = 'swdw_bi_reader'""",
    )
    assert (superuser, inherits, member) == (False, True, True)


def test_bundle_imported_cleanly(superset):
    admin = _api(superset["url"], "admin", superset["admin"])
    listed = admin.get(f"{superset['url']}/api/v1/dashboard/?q=(page_size:100)", timeout=30).json()["result"]
    assert {d["slug"] for d in listed} == set(_dashboards())
    for dashboard in listed:
        charts = admin.get(f"{superset['url']}/api/v1/dashboard/{dashboard['id']}/charts", timeout=30).json()["result"]
        assert len(charts) == _dashboards()[dashboard["slug"]], dashboard["slug"]
    datasets = admin.get(f"{superset['url']}/api/v1/dataset/?q=(page_size:100)", timeout=30).json()["result"]
    assert {(d["schema"], d["table_name"]) for d in datasets} == {
        ("marts", "mart_coverage"),
        ("marts", "mart_service_counts"),
        ("marts", "mart_petition_conversion"),
        ("marts", "mart_submission_quality"),
    }


@pytest.mark.browser
def test_viewer_sees_every_dashboard_rendered_with_the_headline_figures(superset, swdw_home):
    from playwright.sync_api import sync_playwright

    from ingest.bi import browser

    shots = Path(os.environ["SWDW_HOME"]) / "artifacts" / "bi"
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 2200}, locale="zh-CN")
            browser.login(page, superset["url"], "viewer", superset["viewer"])
            for slug, charts in sorted(_dashboards().items()):
                rendered = browser.open_dashboard(page, superset["url"], slug, charts, shots / f"{slug}.png")
                print(f"{slug}: {rendered.charts} charts rendered in {rendered.seconds:.1f}s")
                assert rendered.charts == charts, slug
                assert rendered.errors == [], f"{slug}: {rendered.errors}"
                assert "看板" in rendered.text, "the UI is not in Chinese (BABEL_DEFAULT_LOCALE zh)"
                for figure in HEADLINES[slug]:
                    assert figure in rendered.text, f"{slug}: {figure} not on screen"
                assert superset["reader"] not in page.content()
                assert rendered.screenshot.stat().st_size > 10_000
        finally:
            chromium.close()


def test_viewer_cannot_reach_raw_or_audit(superset, warehouse):
    base = superset["url"]
    admin = _api(base, "admin", superset["admin"])
    viewer = _api(base, "viewer", superset["viewer"])
    datasets = {d["table_name"]: d["id"] for d in admin.get(f"{base}/api/v1/dataset/", timeout=30).json()["result"]}
    database_id = admin.get(f"{base}/api/v1/database/", timeout=30).json()["result"][0]["id"]

    # the control: the viewer reads a mart
    allowed = _chart_data(viewer, base, datasets["mart_petition_conversion"], ["received"])
    assert allowed.status_code == 200, allowed.text
    ((received,),) = query(warehouse, "select sum(suggestions_received) from marts.mart_petition_conversion")
    assert allowed.json()["result"][0]["data"][0]["received"] == received

    # an admin registers raw and audit tables as datasets: the viewer has no access to them …
    (raw_table,) = query(warehouse, "select min(table_name) from information_schema.tables where table_schema = 'raw'")[
        0
    ]
    for schema, table in (("raw", raw_table), ("audit", "submission")):
        created = admin.post(
            f"{base}/api/v1/dataset/", json={"database": database_id, "schema": schema, "table_name": table}, timeout=60
        )
        assert created.status_code == 201, created.text
        refused = _chart_data(viewer, base, created.json()["id"], ["count"])
        assert refused.status_code == 403, refused.text
        assert '"data"' not in refused.text
        # … and even the admin's request fails in the database: the login is swdw_bi's
        denied = _chart_data(admin, base, created.json()["id"], ["count"])
        assert denied.status_code >= 400 and "permission denied" in denied.text.lower(), denied.text

    # no way around it through a mart: sub-queries in custom SQL are refused
    smuggled = _chart_data(
        viewer,
        base,
        datasets["mart_petition_conversion"],
        [{"expressionType": "SQL", "sqlExpression": "(select count(*) from audit.submission)", "label": "x"}],
    )
    assert smuggled.status_code in (400, 403), smuggled.text
    # and no SQL Lab for viewers
    sqllab = viewer.post(
        f"{base}/api/v1/sqllab/execute/",
        json={"database_id": database_id, "sql": "select * from audit.submission", "runAsync": False},
        timeout=30,
    )
    assert sqllab.status_code in (401, 403), sqllab.text


def test_viewer_never_sees_the_warehouse_password(superset):
    base = superset["url"]
    viewer = _api(base, "viewer", superset["viewer"])
    admin = _api(base, "admin", superset["admin"])
    database_id = admin.get(f"{base}/api/v1/database/", timeout=30).json()["result"][0]["id"]
    for path in ("/api/v1/database/", f"/api/v1/database/{database_id}", f"/api/v1/database/{database_id}/connection"):
        response = viewer.get(f"{base}{path}", timeout=30)
        assert superset["reader"] not in response.text, path


def _latest_period_value(warehouse, dataset: dict, metric: str, grain: str):
    """A big number straight from the mart: the dataset's metric over its newest month or year."""
    (expression,) = [m["expression"] for m in dataset["metrics"] if m["metric_name"] == metric]
    unit = {"P1M": "month", "P1Y": "year"}[grain]
    table, dttm = f"marts.{dataset['table_name']}", dataset["main_dttm_col"]
    ((value,),) = query(
        warehouse,
        f"""select {expression} from {table}
             where date_trunc('{unit}', {dttm}) = (select date_trunc('{unit}', max({dttm})) from {table})""",
    )
    return float(value)


def test_every_chart_answers_the_chart_data_api_with_its_saved_query(superset, warehouse):
    """What API clients, CSV export and reports use: the query context saved with each chart."""
    base = superset["url"]
    viewer = _api(base, "viewer", superset["viewer"])
    datasets = {d["uuid"]: d for d in _bundle("datasets")}
    big_numbers = {}
    for chart in _bundle("charts"):
        started = time.monotonic()
        saved = viewer.get(f"{base}/api/v1/chart/{chart['uuid']}", timeout=30)
        assert saved.status_code == 200, saved.text
        entry = saved.json()["result"]
        assert entry["query_context"], f"{chart['slice_name']}: no saved query context"
        context = json.loads(entry["query_context"])
        assert context["datasource"] == {"id": entry["datasource_id"], "type": "table"}, chart["slice_name"]

        answer = viewer.get(f"{base}/api/v1/chart/{entry['id']}/data/", timeout=120)
        assert answer.status_code == 200, f"{chart['slice_name']}: {answer.text[:500]}"
        (result,) = answer.json()["result"]
        assert result["rowcount"] >= 1 and result["data"], chart["slice_name"]
        print(f"{chart['slice_name']}: {result['rowcount']} rows in {time.monotonic() - started:.2f}s")
        if chart["viz_type"] == "big_number":
            params = chart["params"]
            latest = max(result["data"], key=lambda row: row[params["x_axis"]])
            shown = latest[params["metric"]]
            expected = _latest_period_value(
                warehouse, datasets[chart["dataset_uuid"]], params["metric"], params["time_grain_sqla"]
            )
            assert shown == pytest.approx(expected), chart["slice_name"]
            big_numbers[params["metric"]] = shown

    # the sample's headline figures, as the dashboards show them
    assert set(big_numbers) >= {"party_org_coverage", "received"}, "the bundle lost a headline big number"
    assert f"{big_numbers['party_org_coverage']:.2%}" == f"{sample.TARGET_PARTY_ORG_COVERAGE_PCT:.2f}%"
    assert big_numbers["received"] == sample.TARGET_SUGGESTIONS_RECEIVED


def test_a_chart_exports_as_csv_through_the_api(superset, warehouse):
    base = superset["url"]
    viewer = _api(base, "viewer", superset["viewer"])
    (pie,) = [c for c in _bundle("charts") if c["slice_name"] == "征集渠道"]
    chart_id = viewer.get(f"{base}/api/v1/chart/{pie['uuid']}", timeout=30).json()["result"]["id"]
    exported = viewer.get(f"{base}/api/v1/chart/{chart_id}/data/?format=csv", timeout=120)
    assert exported.status_code == 200, exported.text[:500]
    assert exported.headers["Content-Type"].startswith("text/csv")
    # the staff read the export: its header is the dataset's Chinese labels
    (dataset,) = [d for d in _bundle("datasets") if d["uuid"] == pie["dataset_uuid"]]
    labels = {c["column_name"]: c["verbose_name"] for c in dataset["columns"]}
    labels |= {m["metric_name"]: m["verbose_name"] for m in dataset["metrics"]}
    channel, received = labels[pie["params"]["groupby"][0]], labels[pie["params"]["metric"]]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    by_channel = {row[channel]: int(float(row[received])) for row in rows}
    # the pie reads the 统计期 filter: its saved query has the filter's default, the newest month
    expected = dict(
        query(
            warehouse,
            """select channel_label, sum(suggestions_received)::int
                 from marts.mart_petition_conversion
                where received_month = (select max(received_month) from marts.mart_petition_conversion)
                group by channel_label""",
        )
    )
    assert by_channel == expected


DISTRICT = "340603"  # 相山区: the district whose viewer the tests play


@pytest.fixture(scope="module")
def district_user(superset) -> tuple[str, str]:
    """A user of one district's role, made as an operator would (`superset fab create-user`)."""
    from ingest.bi.superset_env import superset_env

    paths = superset["paths"]
    username, password = f"district_{DISTRICT}", secrets.token_urlsafe(16)
    created = subprocess.run(
        [
            str(paths.venv_bin / "superset"),
            "fab",
            "create-user",
            "--role",
            f"swdw_district_{DISTRICT}",
            "--username",
            username,
            "--firstname",
            "district",
            "--lastname",
            DISTRICT,
            "--email",
            f"{username}@example.invalid",
            "--password",
            password,
        ],
        env=superset_env(paths),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert created.returncode == 0, created.stdout[-2000:] + created.stderr[-2000:]
    return username, password


def _grouped(session, base: str, dataset_id: int, column: str, metric: str) -> dict:
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{"columns": [column], "metrics": [metric], "row_limit": 1000}],
        "result_format": "json",
        "result_type": "full",
    }
    answer = session.post(f"{base}/api/v1/chart/data", json=body, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    return {row[column]: row[metric] for row in answer.json()["result"][0]["data"]}


def test_a_district_viewer_sees_only_its_district(superset, warehouse, district_user):
    base = superset["url"]
    admin = _api(base, "admin", superset["admin"])
    viewer = _api(base, "viewer", superset["viewer"])
    datasets = {d["table_name"]: d["id"] for d in admin.get(f"{base}/api/v1/dataset/", timeout=30).json()["result"]}
    codes = [
        code for (code,) in query(warehouse, "select district_code from marts.dim_district where not is_city_level")
    ]
    roles = {
        r["name"] for r in admin.get(f"{base}/api/v1/security/roles/?q=(page_size:100)", timeout=30).json()["result"]
    }
    assert {f"swdw_district_{code}" for code in codes} <= roles
    district = DISTRICT
    assert district in codes
    district_viewer = _api(base, *district_user)

    # every district-coded mart: the city viewer sees every district, the district viewer its own
    for table, metric in (
        ("mart_coverage", "orgs_total"),
        ("mart_service_counts", "activities"),
        ("mart_petition_conversion", "received"),
    ):
        everything = _grouped(viewer, base, datasets[table], "district_code", metric)
        own = _grouped(district_viewer, base, datasets[table], "district_code", metric)
        assert len(everything) > 1, table
        assert set(own) == {district}, table
        assert own[district] == everything[district], table

    # per-department data: only the departments reporting for the district
    departments = _grouped(district_viewer, base, datasets["mart_submission_quality"], "department_code", "expected")
    reporting = {
        code
        for (code,) in query(
            warehouse,
            "select department_code from marts.dim_department where %s = any(string_to_array(reports_for, '|'))",
            (district,),
        )
    }
    assert departments and set(departments) <= reporting

    # a saved chart through the chart-data API: the district's big number, not the city's
    (chart,) = [c for c in _bundle("charts") if c["slice_name"] == "征集建议（本年度）"]
    chart_id = district_viewer.get(f"{base}/api/v1/chart/{chart['uuid']}", timeout=30).json()["result"]["id"]
    answer = district_viewer.get(f"{base}/api/v1/chart/{chart_id}/data/", timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    latest = max(answer.json()["result"][0]["data"], key=lambda row: row["received_month"])
    ((expected,),) = query(
        warehouse,
        """select sum(suggestions_received) from marts.mart_petition_conversion
            where district_code = %s and date_trunc('year', received_month)
                  = (select date_trunc('year', max(received_month)) from marts.mart_petition_conversion)""",
        (district,),
    )
    assert latest["received"] == expected
    assert expected < sample.TARGET_SUGGESTIONS_RECEIVED  # the city's figure is not the district's


def test_each_start_restores_what_the_bundle_says_of_a_chart(superset):
    """An existing Superset gets the bundle's charts again on every `swdw bi up`, not only a new one."""
    from ingest.bi import server

    base = superset["url"]
    admin = _api(base, "admin", superset["admin"])
    (chart,) = [c for c in _bundle("charts") if c["slice_name"] == "征集渠道"]
    chart_id = admin.get(f"{base}/api/v1/chart/{chart['uuid']}", timeout=30).json()["result"]["id"]
    cleared = admin.put(f"{base}/api/v1/chart/{chart_id}", json={"query_context": None}, timeout=30)
    assert cleared.status_code == 200, cleared.text
    assert admin.get(f"{base}/api/v1/chart/{chart_id}", timeout=30).json()["result"]["query_context"] is None

    server.prepare(superset["paths"], announce=lambda _msg: None)  # what every start runs
    restored = admin.get(f"{base}/api/v1/chart/{chart_id}", timeout=30).json()["result"]
    assert json.loads(restored["query_context"])["datasource"] == {"id": restored["datasource_id"], "type": "table"}
    assert admin.get(f"{base}/api/v1/chart/{chart_id}/data/", timeout=120).status_code == 200


@pytest.mark.browser
def test_a_district_viewer_sees_only_its_district_on_screen(superset, warehouse, district_user):
    """The tables name districts and departments in the page (the ECharts canvases do not):
    the district's own are there, no other's."""
    from playwright.sync_api import sync_playwright

    from ingest.bi import browser

    names = dict(
        query(warehouse, "select district_code, district_name from marts.dim_district where not is_city_level")
    )
    departments = dict(query(warehouse, "select department_code, department_name from marts.dim_department"))
    reporting = {
        code
        for (code,) in query(
            warehouse,
            "select department_code from marts.dim_department where %s = any(string_to_array(reports_for, '|'))",
            (DISTRICT,),
        )
    }
    own = {"two-coverages": {names[DISTRICT]}, "submission-quality": {departments[c] for c in reporting}}
    others = {
        "two-coverages": {name for code, name in names.items() if code != DISTRICT},
        "submission-quality": {name for code, name in departments.items() if code not in reporting},
    }
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            page = chromium.new_page(viewport={"width": 1400, "height": 2200}, locale="zh-CN")
            browser.login(page, superset["url"], *district_user)
            for slug in own:
                rendered = browser.open_dashboard(page, superset["url"], slug, _dashboards()[slug])
                assert rendered.errors == [], f"{slug}: {rendered.errors}"
                assert all(name in rendered.text for name in own[slug]), slug
                shown = [name for name in others[slug] if name in rendered.text]
                assert shown == [], f"{slug}: a district viewer sees {shown}"
        finally:
            chromium.close()


def _sample_month(warehouse) -> str:
    ((month,),) = query(warehouse, "select to_char(max(period_month), 'YYYY-MM') from marts.mart_coverage")
    return month


@pytest.mark.browser
def test_report_is_one_pdf_with_the_months_figures_and_every_dashboard(superset, warehouse, swdw_home, tmp_path):
    import shutil

    from pypdf import PdfReader

    month = _sample_month(warehouse)
    started = time.monotonic()
    made = run_cli("report", "--month", month)
    print(f"swdw report --month {month}: {time.monotonic() - started:.1f}s\n{made.stdout}")
    assert made.returncode == 0, made.stderr
    out = swdw_home / "reports" / f"swdw-report-{month}.pdf"
    assert str(out) in made.stdout
    for slug in _dashboards():
        assert f"{slug}:" in made.stdout, f"no render time for {slug}"
    # a copy to look at after the run: pytest keeps the last runs' tmp_path, $SWDW_HOME goes
    shutil.copy(out, tmp_path / out.name)
    pdf = PdfReader(out)
    assert len(pdf.pages) >= 1 + len(_dashboards())
    cover = " ".join(pdf.pages[0].extract_text().split())
    # the figures straight from the marts the figures are computed from, not from the provenance mart
    ((party, orgs, mass_orgs),) = query(
        warehouse,
        """select sum(orgs_with_party_org)::int, sum(orgs_total)::int,
                  (sum(orgs_with_union) + sum(orgs_with_youth_league) + sum(orgs_with_womens_federation))::int
             from marts.mart_coverage where to_char(period_month, 'YYYY-MM') = %s""",
        (month,),
    )
    ((converted, received),) = query(
        warehouse,
        """select coalesce(sum(suggestions_converted), 0)::int, coalesce(sum(suggestions_received), 0)::int
             from marts.mart_petition_conversion where to_char(received_month, 'YYYY-MM') = %s""",
        (month,),
    )
    assert month in cover
    assert f"{100 * party / orgs:.2f}%" in cover and f"{party:,} / {orgs:,}" in cover, cover
    # the mass organisations' average coverage: the three together over three times the organisations
    assert f"{100 * mass_orgs / (3 * orgs):.2f}%" in cover and f"{mass_orgs:,} / {3 * orgs:,}" in cover, cover
    assert f"{converted:,} / {received:,}" in cover, cover
    # the build time in the city's time zone, named
    zone = city_timezone()
    ((built,),) = query(
        warehouse,
        "select to_char(max(built_at) at time zone %s, 'YYYY-MM-DD HH24:MI') from marts.mart_build_info",
        (zone,),
    )
    assert f"数据构建于 {built}（{zone} 时间）" in cover, cover


def _party_coverage_pct(warehouse, month: str) -> str:
    ((party, orgs),) = query(
        warehouse,
        """select sum(orgs_with_party_org), sum(orgs_total)
             from marts.mart_coverage where to_char(period_month, 'YYYY-MM') = %s""",
        (month,),
    )
    return f"{100 * party / orgs:.2f}%"


@pytest.mark.browser
def test_report_for_an_earlier_month_prints_the_dashboards_filtered_to_it(superset, warehouse, swdw_home, tmp_path):
    """Not the newest month: the dashboard pages (not only the cover) show that month's figures,
    set through each dashboard's 统计期 filter, and not the newest month's."""
    from pypdf import PdfReader

    ((month, newest),) = query(
        warehouse,
        """select to_char(min(period_month), 'YYYY-MM'), to_char(max(period_month), 'YYYY-MM')
             from marts.mart_coverage""",
    )
    assert month != newest, "the sample has one coverage month only"
    out = tmp_path / f"swdw-report-{month}.pdf"  # kept by pytest to look at after the run
    started = time.monotonic()
    made = run_cli("report", "--month", month, "--out", str(out))
    print(f"swdw report --month {month}: {time.monotonic() - started:.1f}s\n{made.stdout}")
    assert made.returncode == 0, made.stderr
    dashboard_pages = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(out).pages[1:])
    assert _party_coverage_pct(warehouse, month) in dashboard_pages, dashboard_pages[:2000]
    assert _party_coverage_pct(warehouse, newest) not in dashboard_pages
    assert f"统计期 {month}" in dashboard_pages or month in dashboard_pages


@pytest.mark.browser
def test_report_is_mailed_with_the_pdf_attached(superset, warehouse, tmp_path):
    """`--mail-to` through the swdw_smtp connection as the notifier reads it (AIRFLOW_CONN_SWDW_SMTP)."""
    from pypdf import PdfReader

    month = _sample_month(warehouse)
    out = tmp_path / f"swdw-report-{month}.pdf"
    with smtp_capture() as smtp:
        started = time.monotonic()
        made = run_cli(
            "report",
            "--month",
            month,
            "--out",
            str(out),
            "--mail-to",
            "x@example.org",
            env={"AIRFLOW_CONN_SWDW_SMTP": smtp.url},
        )
        print(f"swdw report --month {month} --mail-to: {time.monotonic() - started:.1f}s\n{made.stdout}")
        assert made.returncode == 0, made.stderr
        assert "mailed to x@example.org" in made.stdout
    assert smtp.recipients == [["x@example.org"]]
    (message,) = smtp.messages
    assert month in message["Subject"]
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == out.name
    sent = attachment.get_content()
    assert sent == out.read_bytes()
    pdf = PdfReader(io.BytesIO(sent))
    assert len(pdf.pages) >= 1 + len(_dashboards())
    assert f"统计期 {month}" in pdf.pages[0].extract_text()


def test_report_without_a_running_superset_exits_2_with_a_reason(tmp_path):
    refused = run_cli("report", "--month", "2026-03", env={"SWDW_HOME": str(tmp_path)})
    assert refused.returncode == 2
    assert "Superset is not running" in refused.stderr and "swdw bi up" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_chart_the_bundle_does_not_hold_is_deleted_at_the_next_import(superset):
    from ingest.bi import server

    base = superset["url"]
    admin = _api(base, "admin", superset["admin"])
    dataset = admin.get(f"{base}/api/v1/dataset/?q=(page_size:100)", timeout=30).json()["result"][0]
    created = admin.post(
        f"{base}/api/v1/chart/",
        json={
            "slice_name": "不在包里",
            "viz_type": "table",
            "datasource_id": dataset["id"],
            "datasource_type": "table",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    stray = created.json()["id"]
    for _ in range(2):  # idempotent: the second import finds nothing to delete
        server.prepare(superset["paths"], announce=lambda _msg: None)
        assert admin.get(f"{base}/api/v1/chart/{stray}", timeout=30).status_code == 404
    charts = admin.get(f"{base}/api/v1/chart/?q=(page_size:100)", timeout=30).json()["result"]
    assert {c["id"] for c in charts} and len(charts) == len(_bundle("charts"))
    test_bundle_imported_cleanly(superset)
