"""The landing-zone watcher: an event trigger that fires once for every new file in the landing zone.

It runs in the Airflow triggerer, as the ``AssetWatcher`` of the Asset ``swdw://landing/``
(``landing_asset()``, below) on which swdw_ingest_submissions is scheduled, so a
file dropped by a clerk starts the ingest DAG within seconds instead of at the next 15-minute tick.

What it emits, and why a file is never processed twice:

- A file is announced once it has *settled* (same size and modification time at two polls
  in a row), so a file still being copied in is not picked up half-written.
- A file is announced at most once per trigger: every file it has seen settle (announced or
  found registered) is remembered under its path, size and modification time. A file
  replaced by other bytes under the same name is a new file and is announced again.
- A file already in the submission register (same department, type and sha256, or the
  ``unread:`` identity of an entry that is refused without being read) is never announced:
  it was processed, or is being processed, already.
- The memory is lost when the triggerer restarts, so a file that was announced but not yet
  registered may be announced again. That is harmless: the register is the real guard. Its
  sha256 uniqueness records identical bytes once, and a file's processing takes its
  per-file guard (ingest.jobs.pipeline), so a second DAG run finds the file registered, or
  gone from the landing zone, and loads nothing twice.
- A landing root that is missing (not created yet, or an unmounted share) is not an error:
  the poll finds nothing and tries again. Any other failure of a poll is logged and retried,
  never raised, because a raised exception would end the watcher in the triggerer.

Everything blocking (listing through fsspec, hashing, the register query) runs in a worker
thread so the triggerer's event loop stays free for the other triggers.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from airflow.sdk import Asset, AssetWatcher
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from ingest.config import settings
from ingest.intake.landing import discover, read_landing_file, sha256_of
from ingest.warehouse import register
from ingest.warehouse.connection import connect

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 2.0
LANDING_ASSET_URI = "swdw://landing/"  # the form Airflow normalises it to


def _file_key(entry) -> str:
    return f"{entry.path}|{entry.size}|{entry.modified}"


class LandingZoneTrigger(BaseEventTrigger):
    """Polls the landing zone (a path or an fsspec URL) and yields one event per new, settled file."""

    def __init__(self, landing: str, poll_interval: float = DEFAULT_POLL_SECONDS):
        super().__init__()
        self.landing = landing
        self.poll_interval = float(poll_interval)
        self._announced: set[str] = set()  # file keys announced or found registered: never again
        self._previous: dict[str, str] = {}  # path -> key at the last poll, to see a file settle

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "landing": self.landing,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self):
        while True:
            for payload in await asyncio.to_thread(self.poll):
                yield TriggerEvent(payload)
            await asyncio.sleep(self.poll_interval)

    def poll(self) -> list[dict]:
        """One look at the landing zone: the payloads of the files to announce now (never raises)."""
        try:
            return self._poll()
        except Exception:  # a poll that failed is tried again; raising would end the watcher
            log.exception("landing zone poll of %s failed; trying again", self.landing)
            return []

    def _poll(self) -> list[dict]:
        entries = discover(self.landing)  # a missing root lists nothing
        current = {entry.path: _file_key(entry) for entry in entries}
        settled = [
            entry
            for entry in entries
            if self._previous.get(entry.path) == current[entry.path] and current[entry.path] not in self._announced
        ]
        self._previous = current
        if not settled:
            return []
        registered = self._registered(settled)
        payloads = []
        for entry in settled:
            self._announced.add(_file_key(entry))
            if entry.path in registered:
                continue
            payloads.append(
                {
                    "path": entry.path,
                    "department_code": entry.department_code,
                    "submission_type": entry.submission_type,
                    "file_name": entry.file_name,
                    "size": entry.size,
                }
            )
        return payloads

    def _registered(self, entries) -> set[str]:
        """Paths of the entries whose bytes (or unread identity) are in the submission register already."""
        limit = settings().max_file_bytes
        identities = {}
        for entry in entries:
            if entry.refusal:
                identities[entry.path] = entry.identity()
                continue
            try:
                identities[entry.path] = sha256_of(read_landing_file(entry, limit))
            except Exception:  # unreadable, too large, gone: the ingest DAG decides what it is
                continue
        if not identities:
            return set()
        by_path = {entry.path: entry for entry in entries}
        try:
            with connect() as conn:
                return {
                    path
                    for path, identity in identities.items()
                    if register.find(conn, by_path[path].department_code, by_path[path].submission_type, identity)
                }
        except Exception:  # warehouse unreachable: announce; the ingest DAG retries and the register guards
            log.warning("submission register unreachable: announcing %d file(s) unchecked", len(identities))
            return set()


def landing_asset() -> Asset:
    """The landing zone as an Asset, watched in the triggerer: one asset event per new file.

    swdw_ingest_submissions is scheduled on it (the module docstring says what is emitted and
    why a file is never processed twice).
    """
    landing = settings().landing
    if "://" not in landing:  # the triggerer's working directory is not the DAG processor's
        landing = str(Path(landing).resolve())
    watcher = AssetWatcher(name="swdw_landing_files", trigger=LandingZoneTrigger(landing=landing))
    return Asset(LANDING_ASSET_URI, watchers=[watcher])
