"""The real Airflow services (`swdw airflow up`): a file dropped into the landing zone reaches the
register and then the marts through the triggerer, the scheduler and the LocalExecutor, with no
`airflow dags test` anywhere; `swdw airflow down` then leaves nothing running.

Slow by nature (the services start, the metadata database is migrated on the embedded
PostgreSQL, a first complete dbt build runs), so there is exactly one such test.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ingest import samples as sample
from ingest.ports import free_port

from .helpers import query

pytestmark = [pytest.mark.services, pytest.mark.slow]

WAIT_SECONDS = 240  # landing -> register, then register -> mart row, each


def _wait_for(what: str, check, timeout: float = WAIT_SECONDS, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@pytest.fixture()
def live_airflow(clean_warehouse, tmp_path, monkeypatch):
    """`swdw airflow up` on a free port for this test's landing zone; `down` whatever happens."""
    from ingest.airflow import services

    landing = Path(os.environ["SWDW_LANDING_DIR"])  # clean_warehouse made it
    try:
        yield {"landing": landing, **services.up(port=free_port())}
    finally:
        recorded = services.services()
        services.down()
        left = [s.name for s in recorded if services.process_running(s.pid)]
        assert not left, f"still running after down: {left}"


def test_a_dropped_file_reaches_the_register_then_the_marts(live_airflow, clean_warehouse, tmp_path):
    written = tmp_path / "written"
    sample.write_samples(written)
    source = written / "city_vol" / "service_activity" / "志愿服务活动台账_2024Q3.csv"
    target = live_airflow["landing"] / "city_vol" / "service_activity" / source.name
    target.parent.mkdir(parents=True)
    dropped = time.monotonic()
    shutil.copy2(source, target)

    def registered():
        rows = query(
            clean_warehouse,
            "select submission_id, status, row_count from audit.submission where file_name = %s",
            (source.name,),
        )
        return rows[0] if rows and rows[0][1] in ("loaded", "quarantined") else None

    submission_id, status, row_count = _wait_for("the file in the register, loaded", registered)
    to_register = time.monotonic() - dropped
    assert status == "loaded" and row_count > 0

    def in_the_marts():
        try:
            stamp = query(
                clean_warehouse,
                "select register_max_submission_id from marts.mart_build_info where mart_name = 'mart_service_counts'",
            )
            activities = query(clean_warehouse, "select coalesce(sum(activities), 0) from marts.mart_service_counts")
        except Exception:  # not built yet: the relations do not exist
            return None
        # built after the file was registered, and holding its activities (the only file loaded)
        return stamp and stamp[0][0] is not None and stamp[0][0] >= submission_id and activities[0][0] > 0

    _wait_for("the file's activities in marts.mart_service_counts", in_the_marts)
    to_marts = time.monotonic() - dropped
    print(f"landing -> register {to_register:.0f} s, landing -> marts {to_marts:.0f} s")
    # the file left the landing zone; the watcher does not announce it again
    assert not target.exists()
    assert len(query(clean_warehouse, "select 1 from audit.submission")) == 1
