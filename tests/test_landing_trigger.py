"""The landing-zone watcher (ingest.airflow.triggers.LandingZoneTrigger) as the triggerer runs it.

A new file fires once; a registered file never fires, not even for a fresh trigger (a restarted
triggerer); a vanished landing root does not end the watcher; the ingest DAG is scheduled on the
watched Asset and on the 15-minute safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import shutil

from ingest.airflow.triggers import LandingZoneTrigger

CSV = "活动编号,活动名称\nA-1,助老\n".encode()


def _drop(landing, name="a.csv", data=CSV, department="city_vol", submission_type="service_activity"):
    folder = landing / department / submission_type
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def _collect(trigger: LandingZoneTrigger, seconds: float) -> list[dict]:
    """Run the trigger's async generator as the triggerer does, for a while; the payloads it yielded."""

    async def consume():
        payloads = []

        async def loop():
            async for event in trigger.run():
                payloads.append(event.payload)

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(loop(), timeout=seconds)
        return payloads

    return asyncio.run(consume())


def test_a_new_file_fires_once(clean_warehouse, tmp_path):
    landing = tmp_path / "landing"
    path = _drop(landing)
    trigger = LandingZoneTrigger(landing=str(landing), poll_interval=0.05)
    payloads = _collect(trigger, 1.0)  # about 20 polls
    assert [p["path"] for p in payloads] == [str(path)]
    assert payloads[0]["department_code"] == "city_vol"
    assert payloads[0]["submission_type"] == "service_activity"
    assert trigger.poll() == []
    # the same name with other bytes is another file: it fires (once)
    path.write_bytes(CSV + "A-2,助残\n".encode())
    assert trigger.poll() == []  # not settled yet: seen once
    assert [p["path"] for p in trigger.poll()] == [str(path)]
    assert trigger.poll() == []


def test_a_file_still_growing_waits_until_it_settles(clean_warehouse, tmp_path):
    landing = tmp_path / "landing"
    path = _drop(landing)
    trigger = LandingZoneTrigger(landing=str(landing))
    assert trigger.poll() == []
    path.write_bytes(CSV * 2)  # still being copied in
    assert trigger.poll() == []
    assert len(trigger.poll()) == 1


def test_a_registered_file_never_fires(clean_warehouse, tmp_path):
    from ingest.warehouse import register
    from ingest.warehouse.connection import connect

    landing = tmp_path / "landing"
    path = _drop(landing)
    with connect() as conn:
        register.register(
            conn,
            department="city_vol",
            submission_type="service_activity",
            file_name=path.name,
            landing_path=str(path),
            sha256=hashlib.sha256(CSV).hexdigest(),
            size=len(CSV),
            received_at=None,
        )
    assert _collect(LandingZoneTrigger(landing=str(landing), poll_interval=0.05), 0.6) == []
    # a restarted triggerer (a new trigger, nothing remembered) does not fire for it either
    restarted = LandingZoneTrigger(landing=str(landing))
    assert restarted.poll() == [] and restarted.poll() == [] and restarted.poll() == []
    # the same bytes from another department are another submission
    other = _drop(landing, department="duji")
    restarted.poll_interval = 0.05
    assert [p["path"] for p in _collect(restarted, 0.3)] == [str(other)]


def test_a_vanished_landing_root_does_not_end_the_watcher(clean_warehouse, tmp_path):
    landing = tmp_path / "landing"
    _drop(landing)
    trigger = LandingZoneTrigger(landing=str(landing), poll_interval=0.05)
    assert len(_collect(trigger, 0.5)) == 1
    shutil.rmtree(landing)  # an unmounted share, a deleted folder
    assert trigger.poll() == []
    assert _collect(trigger, 0.3) == []  # still polling, nothing raised
    path = _drop(landing, name="b.csv", data=CSV + b"A-3,x\n")  # back again, with a new file
    assert [p["path"] for p in _collect(trigger, 0.5)] == [str(path)]


def test_an_unreachable_register_still_announces_once(tmp_path, monkeypatch):
    # the ingest DAG (with its retries and the register's own guard) decides; the watcher never dies
    monkeypatch.setenv("SWDW_WAREHOUSE_DSN", "postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=1")
    landing = tmp_path / "landing"
    _drop(landing)
    trigger = LandingZoneTrigger(landing=str(landing))
    assert trigger.poll() == []
    assert len(trigger.poll()) == 1
    assert trigger.poll() == []


def test_the_trigger_round_trips_through_serialize():
    trigger = LandingZoneTrigger(landing="memory://landing", poll_interval=3)
    classpath, kwargs = trigger.serialize()
    # the triggerer rebuilds the trigger from these two alone, in another process
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
    assert type(rebuilt) is LandingZoneTrigger
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs == {"landing": "memory://landing", "poll_interval": 3.0}


def test_fsspec_landing_zone(clean_warehouse):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/swdw-trigger-test/city_vol/service_activity/a.csv", CSV)
    try:
        trigger = LandingZoneTrigger(landing="memory://swdw-trigger-test")
        assert trigger.poll() == []
        assert [p["file_name"] for p in trigger.poll()] == ["a.csv"]
        assert trigger.poll() == []
    finally:
        fs.rm("/swdw-trigger-test", recursive=True)
