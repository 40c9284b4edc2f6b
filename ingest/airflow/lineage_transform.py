"""The transform every swdw OpenLineage event passes before it is written (ingest.airflow.lineage.transport_config).

A module of its own because it subclasses the OpenLineage client's EventTransformer, whose import
costs most of a second; only the transport, already holding the client, imports it.
"""

from __future__ import annotations

from pathlib import Path

import attr
from openlineage.client.transport.transform import EventTransformer

from ingest.airflow.lineage import EMBEDDED_ADDRESS, EMBEDDED_WAREHOUSE_NAMESPACE, warehouse_namespace


class WarehouseNamespace(EventTransformer):
    """Puts the embedded warehouse's tables in their logical namespace; makes the event directory.

    Cosmos and the dbt integration name a table (and fill the dataSource and column-lineage
    facets) by the connection's address, ``postgres://127.0.0.1:<port>``, which changes with the
    embedded server's port (see ingest.airflow.lineage); rewritten here, every emitter's events
    agree. An external warehouse keeps its real address. The file transport does not create
    directories, and the transport is built in whichever process emits (a worker, ``airflow dags
    test``, the CLI), so the directory is made here, where the events are written.
    """

    def __init__(self, properties: dict) -> None:
        super().__init__(properties)
        if directory := properties.get("directory"):
            Path(directory).mkdir(parents=True, exist_ok=True)

    def transform(self, event):
        rewrite_embedded_addresses(event)  # the transport passes a copy: changing it in place is safe
        return event


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
