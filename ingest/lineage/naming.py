"""OpenLineage names: the job namespace, a warehouse table's namespace and name, a landing file's dataset.

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
  in the logical namespace ``postgres://swdw-embedded``; ``rewrite_embedded_addresses`` rewrites
  the physical address that Cosmos and the dbt integration derive from the connection into it,
  in every event whoever emits it (through ingest.lineage.namespace_transform for the provider's).

The OpenLineage client is imported only where a dataset is made: every `swdw` and `airflow` start
goes through ingest.airflow.local_runner.airflow_env, which imports this module.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import attr

JOB_NAMESPACE = "swdw"
EMBEDDED_WAREHOUSE_NAMESPACE = "postgres://swdw-embedded"
WAREHOUSE_DATABASE_DEFAULT = "swdw"  # the embedded server's database (ingest.warehouse.embedded_pg)

# the addresses the embedded server is reached at; only rewritten when it is the warehouse
EMBEDDED_ADDRESS = re.compile(r"^postgres(?:ql)?://(?:127\.0\.0\.1|localhost)(?::\d+)?$")


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


def is_openlineage_dataset(item) -> bool:
    from openlineage.client.event_v2 import Dataset

    return isinstance(item, Dataset)


def rewrite_embedded_addresses(event) -> None:
    """In place: the embedded warehouse's address becomes its logical namespace (nothing when external)."""
    if warehouse_namespace() == EMBEDDED_WAREHOUSE_NAMESPACE:
        _rewrite_addresses(event)


def _rewrite_addresses(node) -> None:
    """Every string that is the embedded server's address, anywhere in the event, becomes the logical namespace.

    Not only dataset namespaces: the dataSource facet and the column-lineage facet's input fields
    carry the address too, and a reader must not see two names for one server.
    """
    if attr.has(type(node)):
        items = [(field.name, getattr(node, field.name)) for field in attr.fields(type(node))]
        assign = lambda key, value: object.__setattr__(node, key, value)  # noqa: E731 (frozen facets too)
    elif isinstance(node, dict):
        items, assign = list(node.items()), node.__setitem__
    elif isinstance(node, list):
        items, assign = list(enumerate(node)), node.__setitem__
    else:
        return
    for key, value in items:
        if isinstance(value, str):
            if EMBEDDED_ADDRESS.match(value):
                assign(key, EMBEDDED_WAREHOUSE_NAMESPACE)
        else:
            _rewrite_addresses(value)
