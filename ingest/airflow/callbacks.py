"""The Airflow face of ingest.notify: a BaseNotifier for task callbacks.

Every swdw DAG sets ``on_failure_callback=SwdwNotifier("task_failed")`` in its default_args,
so a failed task (after its last retry) alerts the same channels as quarantines and late
reports. Imports only airflow.sdk (already loaded by any DAG file) at module level.
"""

from __future__ import annotations

from airflow.sdk import BaseNotifier

from ingest.notify import notify


class SwdwNotifier(BaseNotifier):
    """Alerts through ingest.notify (log always; webhook and SMTP when their connections exist)."""

    template_fields = ("message",)

    def __init__(self, event: str = "task_failed", message: str = ""):
        super().__init__()
        self.event = event
        self.message = message

    def notify(self, context) -> None:
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        map_index = getattr(ti, "map_index", -1)
        run_id = getattr(ti, "run_id", None) or context.get("run_id")
        exception = context.get("exception")
        where = f"{dag_id}.{task_id}" + (f"[{map_index}]" if map_index not in (None, -1) else "")
        lines = [
            f"run: {run_id}",
            f"try: {getattr(ti, 'try_number', '?')}",
        ]
        if exception is not None:
            lines.append(f"error: {type(exception).__name__}: {exception}")
        if self.message:
            lines.append(self.message)
        log_url = getattr(ti, "log_url", None)
        if log_url:
            lines.append(f"log: {log_url}")
        notify(
            self.event,
            f"{self.event.replace('_', ' ')}: {where}",
            lines,
            {
                "dag_id": dag_id,
                "task_id": task_id,
                "map_index": map_index,
                "run_id": run_id,
                "error": repr(exception) if exception is not None else None,
            },
        )
