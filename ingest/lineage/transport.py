"""Where OpenLineage events go: one JSON file per event under ``artifacts/lineage/`` of the artifact store.

``airflow-<time>.json`` from the Airflow provider, ``dbt-<time>.json`` from a CLI build, written by
OpenLineage's file transport, which writes to a local folder or through fsspec to ``s3://…``;
nothing is sent over the network to a lineage server. One reads them later, e.g. Marquez: ``for f
in $(ls -tr $SWDW_HOME/artifacts/lineage/*.json); do curl -sX POST -H 'Content-Type:
application/json' --data @"$f" http://marquez:5000/api/v1/lineage; done`` (in the order they were
written).
"""

from __future__ import annotations

from pathlib import Path

from ingest.artifact_store import artifact_store

LINEAGE_KEY = "artifacts/lineage"


def lineage_location(env=None) -> str:
    """Where the event files are written: a local folder or ``s3://…/artifacts/lineage``."""
    return artifact_store(env).uri(LINEAGE_KEY)


def lineage_dir(env=None) -> Path:
    """The events' folder in a local artifact store."""
    return artifact_store(env).local_path(LINEAGE_KEY)


def make_lineage_location(location: str) -> None:
    """The file transport does not create folders: make a local one (an object store needs none)."""
    if "://" not in location:
        Path(location).mkdir(parents=True, exist_ok=True)


def file_transport_config(emitter: str, env=None) -> dict:
    """OpenLineage's file transport under ``lineage_location``; ``emitter`` prefixes the file names (``airflow``, ``dbt``).

    One file per event (``append`` false): concurrent task processes never interleave lines, and
    each file is one request body for a lineage server's API.
    """
    return {"type": "file", "log_file_path": f"{lineage_location(env)}/{emitter}", "append": False}


def transport_config(emitter: str, env=None) -> dict:
    """The file transport behind the transform that gives the embedded warehouse its logical namespace."""
    return {
        "type": "transform",
        "transformer_class": "ingest.lineage.namespace_transform.WarehouseNamespace",
        "transformer_properties": {"directory": lineage_location(env)},
        "transport": file_transport_config(emitter, env),
    }
