"""Open the dashboards as a viewer would, in headless Chromium: the browser test and the
render benchmark both use this (Playwright for Python driving Debian's system chromium, so
nothing is downloaded at run time)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ingest.bi.superset_env import BI_PROJECT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# a chart is done when its container holds a rendered chart or an error; Superset marks both
CHART_SELECTOR = ".dashboard-component-chart-holder"
ERROR_SELECTOR = ".dashboard-component-chart-holder [role='alert'], .dashboard-component-chart-holder .alert-danger"
LOADING_SELECTOR = (
    ".dashboard-component-chart-holder .loading, .dashboard-component-chart-holder [aria-label='Loading']"
)


@dataclass(frozen=True)
class RenderedDashboard:
    slug: str
    charts: int
    errors: list[str]
    seconds: float
    text: str
    screenshot: Path | None


def _bundle_dashboard_specs() -> list[dict]:
    import yaml

    return [yaml.safe_load(path.read_text()) for path in sorted((BI_PROJECT / "assets" / "dashboards").glob("*.yaml"))]


def bundle_dashboards() -> dict[str, int]:
    """slug → charts placed on it, from the committed bundle: what `open_dashboard` waits for."""
    return {
        spec["slug"]: sum(1 for n in spec["position"].values() if isinstance(n, dict) and n.get("type") == "CHART")
        for spec in _bundle_dashboard_specs()
    }


def bundle_period_filters() -> dict[str, tuple[str, str]]:
    """slug → (id, column) of the dashboard's period filter (统计期, bi/bundle_spec.PERIOD_FILTER)."""
    result = {}
    for spec in _bundle_dashboard_specs():
        (period,) = spec["metadata"]["native_filter_configuration"]
        (target,) = period["targets"]
        result[spec["slug"]] = (period["id"], target["column"]["name"])
    return result


def rison(value) -> str:
    """Rison, the URL notation Superset reads its `native_filters` parameter in; strings always quoted."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{rison(str(k))}:{rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if value is None:
        return "!n"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"


def period_url_state(filter_id: str, column: str, month: str) -> str:
    """The `native_filters` URL value that opens a dashboard with its period filter set to `month`
    (what the select filter itself would put in the dashboard's data mask)."""
    state = {
        filter_id: {
            "id": filter_id,
            "extraFormData": {"filters": [{"col": column, "op": "IN", "val": [month]}]},
            "filterState": {"value": [month], "label": month},
            "ownState": {},
        }
    }
    return rison(state)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def login(page, base_url: str, username: str, password: str, attempts: int = 3) -> None:
    """Log in through the form and make sure the session holds.

    Superset keeps the session in a cookie; a request the login page fired while still
    anonymous can answer after the login and overwrite the fresh cookie with an anonymous one.
    So wait until the page is idle before and after submitting, then ask /api/v1/me/.
    """
    for _ in range(attempts):
        page.goto(f"{base_url}/login/", wait_until="networkidle")
        page.fill("input[name='username'], #username", username)
        page.fill("input[name='password'], #password", password)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
        page.wait_for_load_state("networkidle")
        if page.request.get(f"{base_url}/api/v1/me/").status == 200:
            return
    raise RuntimeError(f"could not log in as {username} at {base_url}")


def _pending(page) -> int:
    """Charts still without content: no svg/canvas/table/big number and no error yet."""
    return page.evaluate(
        """() => {
            const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
            const done = h => h.querySelector('svg, canvas, table, .header-line, [role="alert"], .alert-danger')
                && !h.querySelector('.loading');
            return holders.length === 0 ? -1 : holders.filter(h => !done(h)).length;
        }"""
    )


def _wait_rendered(page, slug: str, expected_charts: int, timeout: float, settled_polls: int = 1) -> int:
    """Wait until every chart rendered (or failed) in `settled_polls` polls in a row; the charts placed."""
    deadline = time.monotonic() + timeout
    settled = 0
    while True:
        if "/login" in page.url:
            raise PermissionError(f"{slug}: sent to the login page ({page.url}): the session was lost")
        holders = page.locator(CHART_SELECTOR).count()
        pending = _pending(page)
        settled = settled + 1 if holders >= expected_charts and pending == 0 else 0
        if settled >= settled_polls:
            return holders
        if time.monotonic() > deadline:
            shown = " ".join(page.locator("body").inner_text().split())[:400]
            raise TimeoutError(
                f"{slug}: {pending} of {holders} charts still rendering after {timeout}s at {page.url}; on screen: {shown}"
            )
        time.sleep(0.1)


def whole_page_picture(page, slug: str, expected_charts: int, timeout: float = 60) -> bytes:
    """The whole dashboard as a PNG, every chart drawn.

    A full-page screenshot grows the viewport for the shot, and Superset lays its grid out (and
    draws its charts) again at the new size: the shot can catch the grid empty. So the viewport
    grows first, the charts are waited for until they stay drawn for a second, then the shot."""
    size = page.viewport_size
    height = page.evaluate("() => document.documentElement.scrollHeight")
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
    try:
        _wait_rendered(page, slug, expected_charts, timeout, settled_polls=10)
        return page.screenshot()
    finally:
        page.set_viewport_size(size)


def open_dashboard(
    page,
    base_url: str,
    slug: str,
    expected_charts: int,
    screenshot: Path | None = None,
    timeout: float = 120,
    month: str | None = None,
) -> RenderedDashboard:
    """Navigate, wait until every chart rendered (or failed), return what the screen shows.

    `month` (YYYY-MM): opened with the period filter set to it, not the default newest month."""
    started = time.monotonic()
    url = f"{base_url}/superset/dashboard/{slug}/"
    if month is not None:
        url += "?native_filters=" + quote(period_url_state(*bundle_period_filters()[slug], month), safe="")
    page.goto(url, wait_until="domcontentloaded")
    holders = _wait_rendered(page, slug, expected_charts, timeout)
    seconds = time.monotonic() - started
    errors = [text.strip() for text in page.locator(ERROR_SELECTOR).all_inner_texts()]
    text = page.locator("body").inner_text()
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(whole_page_picture(page, slug, expected_charts))
    return RenderedDashboard(slug, holders, errors, seconds, text, screenshot)
