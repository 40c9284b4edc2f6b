"""The Airflow UI on the city's clock: the api-server's plugin middleware
(ingest/airflow/ui_timezone.py) gives the UI's HTML page a script choosing the city's zone in the
UI's zone picker (the browser's localStorage), never over a zone the viewer chose; the rest of the
API is untouched. The unit tests drive the middleware on a tiny Starlette app; the live test opens
the UI of `swdw airflow up` in headless chromium whose own zone is UTC."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from datetime import datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ingest.airflow import ui_timezone
from ingest.airflow.local_runner import airflow_env
from ingest.bi.browser import CHROMIUM, CHROMIUM_ARGS
from ingest.config import city_timezone

from .test_airflow_live import live_airflow  # noqa: F401  (the fixture: `swdw airflow up` on a free port)

# the shape of Airflow's ui/dist/index.html: the bundle is a module script in the head
PAGE = (
    '<!doctype html><html lang="en"><HEAD><meta charset="UTF-8" /><title>Airflow</title>'
    '<script type="module" src="./static/assets/index.js"></script></HEAD><body><div id="root"></div></body></html>'
)
API_ANSWER = {"dags": [{"dag_id": "swdw_build_marts", "next_dagrun": "2026-12-03T16:00:00Z"}], "html": "<head>"}


def _client(**middleware_kwargs) -> TestClient:
    app = Starlette(
        routes=[
            Route("/dags", lambda request: HTMLResponse(PAGE)),
            Route("/api/v2/dags", lambda request: JSONResponse(API_ANSWER)),
        ]
    )
    app.add_middleware(ui_timezone.CityTimezoneMiddleware, **middleware_kwargs)
    return TestClient(app)


def _stored_zone(html: str) -> str:
    """What the injected script stores under the UI's key, read back as the UI reads it (JSON)."""
    [(key, value)] = re.findall(r'localStorage\.setItem\(("[^"]*"),("(?:[^"\\]|\\.)*")\)', html)
    assert json.loads(key) == ui_timezone.STORAGE_KEY
    return json.loads(json.loads(value))


def test_the_ui_page_gets_the_city_zone_before_the_bundle_runs(monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", airflow_env({})["AIRFLOW__CORE__DEFAULT_TIMEZONE"])
    response = _client().get("/dags")
    html = response.text
    assert _stored_zone(html) == city_timezone()
    assert html.index("localStorage.setItem") < html.index('<script type="module"')
    assert int(response.headers["content-length"]) == len(response.content)
    # only set when the viewer has no zone stored yet
    assert re.search(r'if\(localStorage\.getItem\("timezone"\)===null\)localStorage\.setItem', html)
    assert html.replace(ui_timezone.timezone_script(city_timezone()).decode(), "") == PAGE


def test_the_zone_is_airflows_default_zone_else_the_city_zone(monkeypatch):
    monkeypatch.delenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", raising=False)
    assert _stored_zone(_client().get("/dags").text) == city_timezone()
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Europe/Lisbon")
    assert _stored_zone(_client().get("/dags").text) == "Europe/Lisbon"


def test_api_answers_pass_through_untouched():
    plain = TestClient(Starlette(routes=[Route("/api/v2/dags", lambda request: JSONResponse(API_ANSWER))]))
    expected = plain.get("/api/v2/dags")
    response = _client().get("/api/v2/dags")
    assert response.content == expected.content and "localStorage" not in response.text
    assert response.headers["content-type"] == expected.headers["content-type"]


def test_every_install_of_the_project_registers_the_plugin():
    [entry] = [e for e in metadata.entry_points(group="airflow.plugins") if e.value.startswith("ingest.")]
    plugin = entry.load()
    [middleware] = plugin.fastapi_root_middlewares
    assert middleware["middleware"] is ui_timezone.CityTimezoneMiddleware


# --- live: the UI of `swdw airflow up` in headless chromium -----------------------------------------

SHOWN_FORMAT = "%Y-%m-%d %H:%M:%S"  # the UI's <time> format (YYYY-MM-DD HH:mm:ss in the selected zone)
VIEWERS_CHOICE = "America/New_York"  # a zone a viewer picked earlier: it must stay


def _login_token(base_url: str, user: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/auth/token",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["access_token"]


def _shown_times(page, timeout: float = 180) -> list[tuple[str, str]]:
    """(ISO instant, text shown) of the UI's <time> elements on the DAG list, once there are some
    (the dag-processor fills in the next runs shortly after the services start)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto("dags", wait_until="networkidle")
        shown = page.locator("[data-testid='time-display']")
        try:
            shown.first.wait_for(timeout=10_000)
        except Exception:
            if time.monotonic() > deadline:
                raise AssertionError(f"no time shown on the DAG list: {page.inner_text('body')[:400]}") from None
            continue
        return [(t.get_attribute("datetime"), t.inner_text().strip()) for t in shown.all()]


def _in_zone(instant: str, zone: str) -> str:
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(zone)).strftime(SHOWN_FORMAT)


@pytest.mark.services
@pytest.mark.browser
@pytest.mark.slow
def test_the_live_ui_shows_times_on_the_city_clock_to_a_browser_on_utc(live_airflow):  # noqa: F811
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    base_url = live_airflow["base_url"]
    with urllib.request.urlopen(f"{base_url}/dags", timeout=30) as response:  # the page as served
        assert _stored_zone(response.read().decode()) == city_timezone()
    token = _login_token(base_url, live_airflow["user"], live_airflow["password"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for chosen in (None, VIEWERS_CHOICE):
                context = browser.new_context(timezone_id="UTC", base_url=base_url + "/")
                context.add_cookies([{"name": "_token", "value": token, "url": base_url}])
                if chosen:  # as the UI's zone picker stores it
                    context.add_init_script(f"localStorage.setItem('timezone', {json.dumps(json.dumps(chosen))})")
                page = context.new_page()
                assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
                times = _shown_times(page)
                expected_zone = chosen or city_timezone()
                assert times and all(text == _in_zone(instant, expected_zone) for instant, text in times), times
                assert page.evaluate("localStorage.getItem('timezone')") == json.dumps(expected_zone)
                context.close()
        finally:
            browser.close()
