"""An Airflow service that runs tasks, started with the task bodies' heavy libraries already imported.

With LocalExecutor the scheduler forks its worker processes when it starts, and each worker
forks every task process from itself; with CeleryExecutor each `airflow celery worker` forks its
pool, and the pool its task processes: whatever the service imported, every task starts with.
The task bodies of the swdw DAGs need Great Expectations, pandas, psycopg, dbt and Cosmos;
imported afresh in each task process they cost more than the work of a small file (tens of
seconds on two busy cores), which was most of the landing-to-register latency. Importing them
once here makes that cost a one-time part of `swdw airflow up`.

Only imports happen here (no database, no thread pools kept running): forking after them is
what every pre-forking server does. ``python -m ingest.airflow.warm_start scheduler`` (or
``celery worker …``) takes the same arguments as ``airflow scheduler`` (``airflow celery worker``).
"""

from __future__ import annotations

import importlib
import logging
import sys

# what process_file, the Cosmos producer and its node tasks import on their first line of work
PRELOAD = (
    "pandas",
    "psycopg",
    "great_expectations",
    "ingest.jobs.pipeline",
    "ingest.quality.validation",
    "ingest.quality.custom_expectations",
    "dbt.cli.main",
    "cosmos.operators.watcher",
)


def preload() -> list[str]:
    """Import PRELOAD; a module that fails to import is left to the task that needs it."""
    loaded = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # the task will raise the same error where it can be seen and alerted
            logging.getLogger(__name__).warning("could not preload %s", name, exc_info=True)
    return loaded


def main() -> None:
    preload()
    from airflow.__main__ import main as airflow_main

    sys.argv = ["airflow", *sys.argv[1:]]
    airflow_main()


if __name__ == "__main__":
    main()
