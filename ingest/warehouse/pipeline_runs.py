"""audit.pipeline_run: one row per pass, opened when it starts and closed with its counts."""

from __future__ import annotations


def open_run(conn, trigger: str, files_seen: int) -> int:
    return conn.execute(
        "insert into audit.pipeline_run (trigger, files_seen) values (%s, %s) returning run_id",
        (trigger, files_seen),
    ).fetchone()[0]


def close_run(conn, run_id: int, *, loaded: int, quarantined: int, duplicates: int, failed: int) -> None:
    conn.execute(
        "update audit.pipeline_run set finished_at = now(), loaded = %s, quarantined = %s, "
        "duplicates = %s, failed = %s where run_id = %s",
        (loaded, quarantined, duplicates, failed, run_id),
    )
