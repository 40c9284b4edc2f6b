"""Shared fixtures: one embedded PostgreSQL for the whole session, under a temporary SWDW_HOME."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .object_store import moto_s3


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


# --- the sample, loaded once ------------------------------------------------------------------

# fixtures that read the loaded sample (each loads it through load_sample)
SAMPLE_FIXTURES = ("sample_run", "superset")
_sample: dict = {}


def _reads_the_sample(item) -> bool:
    return any(name in getattr(item, "fixturenames", ()) for name in SAMPLE_FIXTURES)


def pytest_collection_modifyitems(config, items):
    """Tests that read the loaded sample are slow (loading it takes minutes on a small machine), so
    `make test-fast` never pulls it in; they run last and together (stable order otherwise), so
    the sample is loaded once per session: a test that empties the warehouse in between would
    make `sample_run` load it again."""
    for item in items:
        if _reads_the_sample(item):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_reads_the_sample)


def _register_signature(dsn: str):
    """What tells whether the warehouse still holds the sample as loaded (None when it does not)."""
    import psycopg

    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                "select count(*), max(submission_id), max(updated_at), "
                "to_regclass('marts.mart_provenance') is not null from audit.submission"
            ).fetchone()
    except psycopg.Error:
        return None


@pytest.fixture()
def sample_run(warehouse, tmp_path_factory):
    """The sample submissions through `swdw run` (ingest and dbt build) into an emptied warehouse.

    Loaded once and shared by every test that asks, as long as no test changed the register
    since; the `swdw run` result (stdout, stderr, returncode) is returned as it was.
    """
    return load_sample(warehouse, tmp_path_factory)


def load_sample(warehouse, tmp_path_factory):
    """What `sample_run` gives, for fixtures of a wider scope (load once, reload if the register changed)."""
    import psycopg

    from .helpers import run_cli

    if _sample and _register_signature(warehouse) == _sample["signature"]:
        return _sample["result"]
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain", ignore_errors=True)
    landing = tmp_path_factory.mktemp("landing")
    written = run_cli("sample", "--out", str(landing))
    assert written.returncode == 0, written.stderr
    result = run_cli("run", env={"SWDW_LANDING_DIR": str(landing)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _sample.update(result=result, signature=_register_signature(warehouse), landing=landing)
    return result


@pytest.fixture()
def s3_env(monkeypatch) -> dict[str, str]:
    """The artifact store on an S3-compatible server (moto) on loopback; this process and every
    process it starts reach it through the environment (SWDW_ARTIFACTS_URL and the AWS_* variables)."""
    with moto_s3() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env
