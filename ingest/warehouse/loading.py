"""COPY of accepted records into raw.<submission_type>."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from ingest.faults import crash_point
from ingest.intake.contracts import Contract
from ingest.intake.pii import protect_record


def copy_records(conn, contract: Contract, submission_id: int, records: list[dict]) -> int:
    """Append the records in the caller's transaction; PII leaves only as hashes and masks."""
    columns = [name for name, _ in contract.raw_columns()]
    with conn.cursor().copy(f"copy {contract.raw_table} ({', '.join(columns)}) from stdin") as copy:
        for number, record in enumerate(records):
            if number == len(records) // 2:
                crash_point("mid_copy")
            stored = protect_record(record, contract)
            stored["submission_id"] = submission_id
            if stored.get("extra") is not None:
                stored["extra"] = Jsonb(stored["extra"])
            copy.write_row([stored.get(name) for name in columns])
    return len(records)
