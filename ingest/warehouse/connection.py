"""Warehouse connections: an external DSN or the embedded server, bootstrapped on first use."""

from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlparse

from ingest.artifact_store import use_object_store_lock
from ingest.config import settings
from ingest.warehouse.embedded_pg import EmbeddedPostgres
from ingest.warehouse.locks import ARTIFACT_NAMESPACE, SubmissionBusy, bootstrap_lock
from ingest.warehouse.migrations import apply_pending


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached: nothing can be recorded, so a run stops and its files stay."""


def warehouse_dsn() -> str:
    """The warehouse URI, starting the embedded server when no DSN is configured."""
    config = settings()
    if config.warehouse_dsn:
        return config.warehouse_dsn
    return EmbeddedPostgres(config.pg_dir).ensure_running()


def masked_dsn(dsn: str) -> str:
    """The URI with its password as ****: what may be printed; `swdw dsn` alone prints it whole."""
    url = urlparse(dsn)
    if url.password is None:
        return dsn
    netloc = url.netloc.replace(f":{url.password}@", ":****@", 1)
    return url._replace(netloc=netloc).geturl()


def stop_embedded() -> bool:
    config = settings()
    if config.warehouse_dsn:
        return False
    return EmbeddedPostgres(config.pg_dir).stop()


def connect(autocommit: bool = False):
    import psycopg

    return psycopg.connect(warehouse_dsn(), autocommit=autocommit)


def set_time_zone(conn, zone: str) -> None:
    """The session's time zone: timestamps read on ``conn`` come back in ``zone``."""
    conn.execute("select set_config('TimeZone', %s, false)", (zone,))


def bootstrap() -> list[str]:
    """Apply pending migrations (ingest.warehouse.migrations); returns the steps applied, usually none."""
    with connect(autocommit=True) as conn, bootstrap_lock(conn):
        return apply_pending(conn)


def dbt_env() -> dict[str, str]:
    """Connection settings the dbt profile reads (dbt_project/profiles.yml)."""
    url = urlparse(warehouse_dsn())
    return {
        "SWDW_PG_HOST": url.hostname or "127.0.0.1",
        "SWDW_PG_PORT": str(url.port or 5432),
        "SWDW_PG_USER": url.username or "postgres",
        "SWDW_PG_PASSWORD": url.password or "",
        "SWDW_PG_DBNAME": url.path.lstrip("/") or "postgres",
    }


def is_transient(exc: BaseException) -> bool:
    """A fault worth retrying with backoff: the warehouse or the landing store was unreachable.

    SubmissionBusy: another run holds the submission for now. psycopg.OperationalError covers connection refused, a dropped connection, the server
    shutting down, too many connections, deadlocks and serialisation failures. Anything else
    (a bug, a malformed configuration) fails the same way on every try.
    """
    import psycopg

    return isinstance(
        exc, (WarehouseUnavailable, SubmissionBusy, psycopg.OperationalError, ConnectionError, TimeoutError)
    )


@contextmanager
def artifact_lock(key: str):
    """One writer at a time of a shared artifact in an object store, on any machine: session-level
    on a connection of its own, released with it should the writer die."""
    with connect(autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s, hashtext(%s))", (ARTIFACT_NAMESPACE, key))
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s, hashtext(%s))", (ARTIFACT_NAMESPACE, key))


use_object_store_lock(artifact_lock)
