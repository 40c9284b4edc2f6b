"""OpenLineage: where the events go, what they call the warehouse, and the datasets of a landing file.

One place for the configuration that the Airflow OpenLineage provider (``openlineage_env``, applied
by ingest.airflow.local_runner.airflow_env) and the dbt build (ingest.jobs.lineage_dbt) share, so
both name the same table the same way and a lineage server joins their graphs.

Events are written with OpenLineage's file transport, one JSON file per event, under
``$SWDW_HOME/artifacts/lineage/`` (``airflow-<time>.json`` from the provider, ``dbt-<time>.json``
from a CLI build); nothing is sent over the network. A lineage server reads them later, e.g.
Marquez: ``for f in $(ls -tr $SWDW_HOME/artifacts/lineage/*.json); do curl -sX POST -H
'Content-Type: application/json' --data @"$f" http://marquez:5000/api/v1/lineage; done`` (in the
order they were written).

Naming (https://openlineage.io/docs/spec/naming):

- jobs: namespace ``swdw``; Airflow tasks ``<dag_id>.<task_id>`` (the build DAG's dbt nodes too),
  a CLI build ``dbt-run-swdw`` with its nodes as the dbt integration names them
  (``swdw.<schema>.swdw.<model>.build.run``, ``...build.test``);
- a landing file: namespace ``file``, name its absolute path (an fsspec URL: ``<scheme>://<bucket>``
  and the key);
- a warehouse table: name ``<database>.<schema>.<table>``; namespace ``postgres://<host>:<port>``
  of SWDW_WAREHOUSE_DSN when the warehouse is external, as the convention says, so the events
  join those of any other tool on that server. The embedded server has no stable address: it
  listens on 127.0.0.1 at a port picked when ``$SWDW_HOME/pg`` was created and again whenever that
  port is taken, so ``postgres://127.0.0.1:<port>`` would name the same table differently from one
  start to the next (and identically for every developer's warehouse). Its tables are therefore
  in the logical namespace ``postgres://swdw-embedded``; ingest.airflow.lineage_transform rewrites
  the physical address that Cosmos and the dbt integration derive from the connection into it,
  in every event whoever emits it.

This module imports neither Airflow nor the OpenLineage client at import time: airflow_env(), and
so every `swdw` and `airflow` start through it, imports it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

JOB_NAMESPACE = "swdw"
EMBEDDED_WAREHOUSE_NAMESPACE = "postgres://swdw-embedded"
WAREHOUSE_DATABASE_DEFAULT = "swdw"  # the embedded server's database (ingest.warehouse.embedded_pg)

# the addresses the embedded server is reached at; only rewritten when it is the warehouse
EMBEDDED_ADDRESS = re.compile(r"^postgres(?:ql)?://(?:127\.0\.0\.1|localhost)(?::\d+)?$")


def _home(env) -> Path:
    # same rule as ingest.config.settings(), applied to the given environment
    return Path(env.get("SWDW_HOME") or "./.swdw").resolve()


def lineage_dir(env=None) -> Path:
    """Where the event files are written: ``$SWDW_HOME/artifacts/lineage``."""
    return _home(os.environ if env is None else env) / "artifacts" / "lineage"


def warehouse_namespace(env=None) -> str:
    """The dataset namespace of warehouse tables (see the module docstring for why it is logical when embedded)."""
    env = os.environ if env is None else env
    dsn = env.get("SWDW_WAREHOUSE_DSN")
    if not dsn:
        return EMBEDDED_WAREHOUSE_NAMESPACE
    url = urlparse(dsn)
    return f"postgres://{url.hostname or 'localhost'}:{url.port or 5432}"


def warehouse_database(env=None) -> str:
    env = os.environ if env is None else env
    dsn = env.get("SWDW_WAREHOUSE_DSN")
    return (urlparse(dsn).path.lstrip("/") if dsn else "") or WAREHOUSE_DATABASE_DEFAULT


def file_transport_config(emitter: str, env=None) -> dict:
    """OpenLineage's file transport under ``lineage_dir``; ``emitter`` prefixes the file names (``airflow``, ``dbt``).

    One file per event (``append`` false): concurrent task processes never interleave lines, and
    each file is one request body for a lineage server's API.
    """
    return {"type": "file", "log_file_path": str(lineage_dir(env) / emitter), "append": False}


def transport_config(emitter: str, env=None) -> dict:
    """The file transport behind the transform that gives the embedded warehouse its logical namespace."""
    return {
        "type": "transform",
        "transformer_class": "ingest.airflow.lineage_transform.WarehouseNamespace",
        "transformer_properties": {"directory": str(lineage_dir(env))},
        "transport": file_transport_config(emitter, env),
    }


def openlineage_env(env) -> dict[str, str]:
    """The Airflow OpenLineage provider's settings for ``env`` (an Airflow environment being built).

    Kept as environment variables so they apply to every Airflow process started with it
    (``airflow dags test``, scheduler, workers); values already in ``env`` win, so a deployment
    can point the provider at a real lineage server or switch it off (AIRFLOW__OPENLINEAGE__DISABLED).
    """
    settings = {
        "AIRFLOW__OPENLINEAGE__NAMESPACE": JOB_NAMESPACE,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport_config("airflow", env)),
        # task events carry no task source code: a reader wants data lineage, and the DAG files are in git
        "AIRFLOW__OPENLINEAGE__EMISSION_POLICY": json.dumps(
            [{"scope": {}, "controls": {"include_source_code": False}}]
        ),
    }
    return {key: value for key, value in settings.items() if key not in env}


def landing_file_dataset(path: str):
    """The OpenLineage dataset of a landing file (a local path or an fsspec URL)."""
    from openlineage.client.event_v2 import Dataset

    if "://" not in path:  # a local path: never parsed as a URL, a clerk's file name may hold '#' or '?'
        return Dataset(namespace="file", name=str(Path(path).resolve()))
    url = urlparse(path)
    if url.scheme == "file":
        return Dataset(namespace="file", name=url.path)
    return Dataset(namespace=f"{url.scheme}://{url.netloc}", name=url.path.lstrip("/"))


def warehouse_table_dataset(schema: str, table: str):
    """The OpenLineage dataset of a warehouse table, named as the dbt integration names it."""
    from openlineage.client.event_v2 import Dataset

    return Dataset(namespace=warehouse_namespace(), name=f"{warehouse_database()}.{schema}.{table}")


def declare_file_task_inputs(task, file: dict) -> None:
    """A process_file task reads its landing file: the provider reports the task's inlets.

    TaskFlow tasks have no OpenLineage extractor, so the provider falls back to the task's
    inlets and outlets; they are only known at run time (one mapped task per file), so they are
    set on the running task, which is the object the provider's listener reads.
    """
    task.inlets = [landing_file_dataset(file["path"])]


def declare_file_task_outputs(task, outcome: dict) -> None:
    """What processing the file wrote: the register always, raw.<type> when its rows were loaded."""
    outputs = [warehouse_table_dataset("audit", "submission")]
    if outcome.get("status") == "loaded":
        outputs.append(warehouse_table_dataset("raw", outcome["submission_type"]))
    task.outlets = [*(o for o in task.outlets if not _is_openlineage_dataset(o)), *outputs]


def _is_openlineage_dataset(item) -> bool:
    from openlineage.client.event_v2 import Dataset

    return isinstance(item, Dataset)
