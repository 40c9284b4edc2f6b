"""Where OpenLineage events go: one JSON file per event under ``$SWDW_HOME/artifacts/lineage/``.

``airflow-<time>.json`` from the Airflow provider, ``dbt-<time>.json`` from a CLI build; nothing is
sent over the network. A lineage server reads them later, e.g. Marquez: ``for f in $(ls -tr
$SWDW_HOME/artifacts/lineage/*.json); do curl -sX POST -H 'Content-Type: application/json' --data
@"$f" http://marquez:5000/api/v1/lineage; done`` (in the order they were written).
"""

from __future__ import annotations

import os
from pathlib import Path


def _home(env) -> Path:
    # same rule as ingest.config.settings(), applied to the given environment
    return Path(env.get("SWDW_HOME") or "./.swdw").resolve()


def lineage_dir(env=None) -> Path:
    """Where the event files are written: ``$SWDW_HOME/artifacts/lineage``."""
    return _home(os.environ if env is None else env) / "artifacts" / "lineage"


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
        "transformer_class": "ingest.lineage.namespace_transform.WarehouseNamespace",
        "transformer_properties": {"directory": str(lineage_dir(env))},
        "transport": file_transport_config(emitter, env),
    }
