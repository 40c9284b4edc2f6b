"""What the benchmarks of the running Airflow services share: waiting for a condition, the
metadata database, and when the services have settled after `swdw airflow up`."""

from __future__ import annotations

import time

TIMEOUT_SECONDS = 900


def wait(what: str, check, timeout: float = TIMEOUT_SECONDS, every: float = 0.5):
    """``check()``'s first truthy value, polled every ``every`` seconds; TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"not within {timeout:.0f} s: {what}")


def meta_query(env: dict, sql: str):
    import psycopg

    with psycopg.connect(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) as conn:
        return conn.execute(sql).fetchall()


def settled(env: dict) -> bool:
    """The DAGs are parsed, the landing watcher runs in a triggerer, and no DAG run is in flight."""
    try:
        watching = meta_query(env, "select count(*) from trigger where triggerer_id is not null")[0][0]
        parsed = meta_query(env, "select count(*) from dag where dag_id = 'swdw_ingest_submissions'")[0][0]
        busy = meta_query(env, "select count(*) from dag_run where state in ('queued', 'running')")[0][0]
    except Exception:
        return False
    return parsed == 1 and watching >= 1 and busy == 0
