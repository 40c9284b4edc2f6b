"""The bodies of the DAGs' tasks: each calls job functions and says the result in Airflow's terms.

Airflow's terms: a transient fault (``connection.is_transient``: the warehouse unreachable, a
submission held by another run) propagates so the task retries with backoff; a fault a retry
cannot help fails the task at once (``AirflowFailException``); nothing to do skips it
(``AirflowSkipException``, which emits no asset event). The CLI calls the same job functions.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from ingest.airflow.connection_ids import IMAP_CONN_ID, WAREHOUSE_CONN_ID
from ingest.config import city_timezone
from ingest.jobs import reporting_calendar
from ingest.jobs.ingest_pass import finish_pass
from ingest.jobs.mail_intake import poll_imap_connection
from ingest.jobs.outcomes import FileOutcome, FileStatus
from ingest.jobs.pipeline import begin_ingest_pass, process_landing_file
from ingest.jobs.reprocess import ReprocessAction, ReprocessError, rebuild_marts, reprocess_pass
from ingest.jobs.transform import generate_docs, stale_marts
from ingest.notify import connection
from ingest.warehouse.connection import bootstrap, is_transient, warehouse_dsn

INGEST_TRIGGER = "airflow:swdw_ingest_submissions"
REPROCESS_REQUESTER = "airflow:swdw_reprocess"


def begin_ingest() -> dict:
    """``{"run_id", "files"}``: the pass opened over the landing zone's pending files."""
    begun = begin_ingest_pass(INGEST_TRIGGER)
    print(f"{len(begun['files'])} pending file(s) in the landing zone (pass {begun['run_id']})")
    for item in begun["files"]:
        print(f"  {item['department_code']}/{item['submission_type']}/{item['file_name']}")
    return begun


def process_file(file: dict) -> dict:
    """One landing file; the retry policy of ``process_file`` applied.

    - a file that fails validation is quarantined and its outcome returned: the task succeeds
      and is never retried;
    - transient faults propagate, so Airflow retries with exponential backoff; retrying is safe
      because registration is idempotent and a file is loaded in one transaction;
    - an internal error is finished by the pipeline (quarantined as ``internal_error``, status
      ``failed``); the task then fails at once so the run is red, while the other files go on.
    """
    from airflow.sdk.exceptions import AirflowFailException

    try:
        outcome = FileOutcome(**process_landing_file(file))
    except Exception as exc:
        if is_transient(exc):
            raise
        raise AirflowFailException(f"not retried ({type(exc).__name__}): {exc}") from exc
    print(
        f"{outcome.label}: {outcome.status} (rows {outcome.row_count}, errors {outcome.error_count}, "
        f"warnings {outcome.warning_count}) {outcome.reason or ''}".rstrip()
    )
    if outcome.status == FileStatus.FAILED:
        raise AirflowFailException(f"submission {outcome.submission_id} quarantined: {outcome.reason}")
    return outcome.to_dict()


def finish_ingest(run_id: int, outcomes) -> tuple[dict, dict]:
    """Close the pass; (its summary, the raw Asset event's extra). Skips when nothing was loaded."""
    from airflow.sdk.exceptions import AirflowSkipException

    # a file task that failed unexpectedly has no outcome; the files that did load still count
    summary = finish_pass(run_id, INGEST_TRIGGER, [o for o in (outcomes or []) if o])
    print(f"ingest pass {run_id}: {summary.counts}, {summary.rows_loaded} rows loaded")
    if not summary.loaded_submission_ids:
        raise AirflowSkipException("no submission loaded: raw.* unchanged, no asset event")
    extra = {
        "loaded_submission_ids": summary.loaded_submission_ids,
        "rows_loaded": summary.rows_loaded,
        # swdw_build_marts rebuilds only what these types feed (jobs.transform.incremental_selection)
        "submission_types": summary.loaded_types,
    }
    return summary.to_dict(), extra


def reprocess(params: dict, run_id: str | None) -> list[dict]:
    """Re-validate from the kept originals as one pass; wrong parameters or altered evidence fail at once."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        outcomes, _ = reprocess_pass(
            params["department_code"],
            params["submission_type"],
            params["report_period"],
            params.get("submission_id"),
            requested_by=REPROCESS_REQUESTER,
            airflow_run_id=run_id,
        )
    except ReprocessError as exc:  # a retry cannot help
        raise AirflowFailException(str(exc)) from exc
    return [o.to_dict() for o in outcomes]


def rebuild_after_reprocess(outcomes: list[dict]) -> list[str]:
    """dbt build with the selection an ingest of the loaded types uses; skipped when nothing was loaded."""
    from airflow.sdk.exceptions import AirflowSkipException

    loaded_types = sorted({o["submission_type"] for o in outcomes if o["action"] == ReprocessAction.LOADED})
    if not loaded_types:
        raise AirflowSkipException("nothing was loaded: raw.* and the register are unchanged")
    if not rebuild_marts(loaded_types):
        raise RuntimeError("dbt build of the affected marts failed")
    return loaded_types


def prepare_warehouse() -> None:
    """Schemas, roles and raw/audit tables exist; the Airflow connection points at ingest's warehouse."""
    from airflow.sdk import Connection

    bootstrap()
    conn = Connection.get(WAREHOUSE_CONN_ID)
    dsn = urlparse(warehouse_dsn())
    ingest_side = (dsn.hostname, dsn.port or 5432, dsn.path.lstrip("/"))
    dbt_side = (conn.host, conn.port or 5432, conn.schema)
    if ingest_side != dbt_side:
        raise RuntimeError(
            f"connection {WAREHOUSE_CONN_ID} points at {dbt_side} but ingest loads into {ingest_side}: "
            "set AIRFLOW_CONN_SWDW_WAREHOUSE and SWDW_WAREHOUSE_DSN to the same warehouse"
        )
    print(f"warehouse ready at {conn.host}:{conn.port}/{conn.schema}")


def publish_docs() -> str:
    """dbt docs (catalog included) for analysts and auditors."""
    index = generate_docs()
    print(f"dbt docs: {index}")
    return index


def report_staleness() -> list[str]:
    """Says plainly which marts are stale after a build; fails at once (no retry) when any is."""
    from airflow.sdk.exceptions import AirflowFailException

    stale = stale_marts()
    if not stale:
        print("every marts table reflects the register")
        return []
    # its failure alert carries the list
    raise AirflowFailException("stale marts (BI reads older figures): " + ", ".join(stale))


def check_lateness(as_of: str | None, logical_date, run_id: str | None) -> list[dict]:
    """Classify and record every obligation of the latest past-due period, as of the city's day."""
    if as_of:
        day = dt.date.fromisoformat(as_of)
    else:
        day = (logical_date or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(city_timezone())).date()
    owed = reporting_calendar.check(day, airflow_run_id=run_id)
    for o in owed:
        print(
            f"  {o.period_month:%Y-%m} {o.department_code:9} {o.submission_type:16} {o.status:8} "
            f"due {o.due_date} days_late={o.days_late}"
        )
    return [{"as_of": day.isoformat(), **o.to_dict()} for o in owed]


def alert_late(checked: list[dict]) -> dict | None:
    """Notify about outstanding reports (missing, or only quarantined files)."""
    if not checked:
        return None
    owed = [reporting_calendar.Obligation.from_dict({k: v for k, v in row.items() if k != "as_of"}) for row in checked]
    return reporting_calendar.alert(dt.date.fromisoformat(checked[0]["as_of"]), owed)


def poll_mail() -> dict:
    """One poll of the intake mailbox (connection swdw_imap): what became of each new message.
    Skipped, not failed, where no mailbox is configured: a city without mail intake gets no alerts."""
    from airflow.sdk.exceptions import AirflowSkipException

    if connection(IMAP_CONN_ID) is None:
        raise AirflowSkipException(f"connection {IMAP_CONN_ID} is not configured: no mailbox to read")
    result = poll_imap_connection(IMAP_CONN_ID)
    return {
        "landed": result.count("landed"),
        "refused": result.count("refused"),
        "unknown_sender": result.count("unknown_sender"),
        "already_seen": result.already_seen,
        "files": [f for record in result.processed for f in record.landed_files],
    }
