"""Fault injection for the crash-safety tests: inert unless an environment variable names a point.

SWDW_CRASH_AT=<point>: the process is killed with SIGKILL there, as a power cut or an OOM kill
would, so no cleanup handler runs. SWDW_STOP_WAREHOUSE_AT=<point>: the embedded PostgreSQL is
shut down there (immediate mode, as a crash of the server would) and the process goes on.
"""

from __future__ import annotations

import os
import signal

from ingest.config import settings
from ingest.warehouse.embedded_pg import EmbeddedPostgres

CRASH_POINTS = ("mid_copy", "before_commit", "after_commit")


def crash_point(name: str) -> None:
    if os.environ.get("SWDW_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("SWDW_STOP_WAREHOUSE_AT") == name:
        EmbeddedPostgres(settings().pg_dir).stop(mode="immediate")
