"""The one load path of an accepted file (ingest and reprocess): keep the original, COPY its records
into raw.<submission_type>, mark it loaded, supersede older snapshots."""

from __future__ import annotations

import datetime as dt

from ingest.faults import crash_point
from ingest.intake.contracts import Contract, get_contract
from ingest.intake.pii import protect_record
from ingest.intake.records import Records
from ingest.warehouse import register
from ingest.warehouse.locks import lock_snapshot_period
from ingest.warehouse.originals import archive_original


def copy_records(conn, contract: Contract, submission_id: int, records: Records | list[dict]) -> int:
    """Append the records in the caller's transaction; PII leaves only as hashes and masks.

    Binary COPY with the raw table's types: psycopg sends each value in PostgreSQL's own binary
    form (dates, numerics, booleans, jsonb) instead of formatting text the server parses again.
    """
    records = Records.of(records)
    columns = contract.raw_columns()
    names = [name for name, _ in columns if name != "submission_id"]
    if any(column.pii or column.mask_pii for column in contract.columns):
        rows = (tuple(map(protect_record(record, contract).get, names)) for record in records)
    else:  # nothing to protect: the columns as they are, no record built
        rows = records.rows(names)
    with conn.cursor().copy(
        f"copy {contract.raw_table} (submission_id, {', '.join(names)}) from stdin (format binary)"
    ) as copy:
        copy.set_types([sql_type.split()[0] for _, sql_type in columns])
        half = len(records) // 2
        for number, row in enumerate(rows):
            if number == half:
                crash_point("mid_copy")
            copy.write_row((submission_id, *row))
    return len(records)


def load_accepted(
    conn,
    *,
    submission_id: int,
    department_code: str,
    submission_type: str,
    file_name: str,
    data: bytes,
    evaluation,
    status_reason: str | None,
) -> int:
    """Load an accepted evaluation inside the caller's transaction; returns how many snapshots it superseded.

    The original is kept (fsynced) before the caller commits, so a committed load always has its file.
    """
    contract = get_contract(submission_type)
    kept = archive_original(data, submission_id, department_code, file_name)
    copy_records(conn, contract, submission_id, evaluation.records)
    register.set_status(
        conn,
        submission_id,
        register.SubmissionStatus.LOADED,
        archive_path=str(kept),
        loaded_at=dt.datetime.now(dt.UTC),
        status_reason=status_reason,
        **evaluation.register_fields(),
    )
    if contract.kind != "snapshot":
        return 0
    lock_snapshot_period(conn, department_code, submission_type, evaluation.report_period)
    return register.supersede_snapshots(conn, department_code, submission_type, evaluation.report_period)
