"""Time until every chart of each Superset dashboard has rendered, cold and warm.

    .venv/bin/python benchmarks/bi_render.py [--port 8093] [--rounds 3]     (or: make bench-bi)

Reads the warehouse of $SWDW_HOME (run `make demo` first, so the marts hold the sample).
Starts Superset with `swdw bi up` semantics unless it already runs, and stops it afterwards if
it started it. Per dashboard, as the viewer in headless Chromium:

  cold  Superset's query-result cache emptied and a new browser context (no HTTP cache, no
        cookies beyond the login): every chart queries the warehouse, every asset is fetched
  warm  the same dashboard again in the same context: results from Superset's cache, assets
        from the browser's

Screenshots: $SWDW_HOME/artifacts/bi/<slug>.png. Asserts nothing; the last line is machine-readable:

    bi_render: <slug>=<cold>/<warm>s …  (median of --rounds)
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.bi import browser, server
from ingest.bi.superset_env import bi_paths, bi_port
from ingest.config import settings


def empty_result_cache(directory: Path) -> None:
    # the files, not the folder: the running server's cache keeps writing into it
    for entry in directory.glob("*"):
        entry.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = args.port or bi_port()
    paths = bi_paths()
    started_here = not server.status(port).answering
    if started_here:
        server.up(port)
    base = server.status(port).url
    viewer_password = paths.viewer_password.read_text().strip()
    shots = settings().artifacts_dir / "bi"
    times: dict[str, dict[str, list[float]]] = {slug: {"cold": [], "warm": []} for slug in browser.bundle_dashboards()}

    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = browser.launch(playwright)
            # log in once, elsewhere: a cold context gets the session cookie and nothing else
            login_context = chromium.new_context(locale="zh-CN")
            browser.login(login_context.new_page(), base, "viewer", viewer_password)
            session = login_context.storage_state()
            login_context.close()
            for _ in range(args.rounds):
                for slug, charts in browser.bundle_dashboards().items():
                    empty_result_cache(paths.home / "cache" / "data")
                    context = chromium.new_context(
                        viewport={"width": 1400, "height": 2200}, locale="zh-CN", storage_state=session
                    )
                    page = context.new_page()
                    for kind in ("cold", "warm"):
                        # the warm render is also kept as a picture of what the viewer saw
                        shot = shots / f"{slug}.png" if kind == "warm" else None
                        rendered = browser.open_dashboard(page, base, slug, charts, shot)
                        if rendered.errors:
                            print(f"{slug} {kind}: chart errors {rendered.errors}")
                        times[slug][kind].append(rendered.seconds)
                    context.close()
            chromium.close()
    finally:
        if started_here:
            server.down()

    print(f"{'dashboard':24} {'charts':>6} {'cold s':>8} {'warm s':>8}   (median of {args.rounds})")
    summary = []
    for slug, charts in browser.bundle_dashboards().items():
        cold, warm = (statistics.median(times[slug][k]) for k in ("cold", "warm"))
        print(f"{slug:24} {charts:>6} {cold:>8.2f} {warm:>8.2f}")
        summary.append(f"{slug}={cold:.2f}/{warm:.2f}s")
    print("bi_render: " + " ".join(summary))


if __name__ == "__main__":
    main()
