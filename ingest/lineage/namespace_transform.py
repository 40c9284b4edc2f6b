"""The transform every swdw OpenLineage event passes before it is written (ingest.lineage.transport.transport_config).

A module of its own because it subclasses the OpenLineage client's EventTransformer, whose import
costs most of a second; only the transport, already holding the client, imports it. The rewrite
itself is ingest.lineage.naming.rewrite_embedded_addresses, which the dbt build applies directly.
"""

from __future__ import annotations

from openlineage.client.transport.transform import EventTransformer

from ingest.lineage.naming import rewrite_embedded_addresses
from ingest.lineage.transport import make_lineage_location


class WarehouseNamespace(EventTransformer):
    """Puts the embedded warehouse's tables in their logical namespace; makes the event directory.

    Cosmos and the dbt integration name a table (and fill the dataSource and column-lineage
    facets) by the connection's address, ``postgres://127.0.0.1:<port>``, which changes with the
    embedded server's port (see ingest.lineage.naming); rewritten here, every emitter's events
    agree. An external warehouse keeps its real address. The file transport does not create
    directories, and the transport is built in whichever process emits (a worker, ``airflow dags
    test``, the CLI), so the directory is made here, where the events are written.
    """

    def __init__(self, properties: dict) -> None:
        super().__init__(properties)
        if directory := properties.get("directory"):
            make_lineage_location(directory)

    def transform(self, event):
        rewrite_embedded_addresses(event)  # the transport passes a copy: changing it in place is safe
        return event
