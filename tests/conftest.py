"""Shared fixtures: one embedded PostgreSQL for the whole session, under a temporary SWDW_HOME."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def swdw_home() -> Path:
    # not under pytest's own temp root: pytest resets that to 0700, which the server user cannot cross
    home = Path(tempfile.mkdtemp(prefix="swdw-test-"))
    os.environ["SWDW_HOME"] = str(home)
    os.environ["SWDW_PII_KEY"] = "test-pii-key"
    os.environ.pop("SWDW_WAREHOUSE_DSN", None)
    yield home
    from ingest.warehouse.connection import stop_embedded

    stop_embedded()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse(swdw_home) -> str:
    from ingest.warehouse.connection import bootstrap, warehouse_dsn

    dsn = warehouse_dsn()
    bootstrap()
    return dsn


@pytest.fixture()
def clean_warehouse(warehouse, tmp_path, monkeypatch) -> str:
    """An empty warehouse and a fresh landing zone for one test."""
    import psycopg

    from ingest.warehouse.connection import bootstrap

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    bootstrap()
    # new chains: heads recorded for the dropped ones would not match them
    shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain", ignore_errors=True)
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("SWDW_LANDING_DIR", str(landing))
    return warehouse
