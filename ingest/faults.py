"""Fault injection for the crash-safety tests: inert unless SWDW_CRASH_AT names a point.

The process is killed with SIGKILL at that point, as a power cut or an OOM kill would,
so no cleanup handler runs.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = ("mid_copy", "before_commit", "after_commit")


def crash_point(name: str) -> None:
    if os.environ.get("SWDW_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
