"""audit.lateness_check, the reporting calendar's evidence, and the register's arrivals it is judged from."""

from __future__ import annotations

import datetime as dt

from ingest.warehouse.register import period_month_sql
from ingest.warehouse.schema import CHAINED_COLUMNS

# the columns a check writes: the chained columns but the ones the table fills itself
LATENESS_COLUMNS = tuple(c for c in CHAINED_COLUMNS["audit.lateness_check"] if c not in ("check_id", "checked_at"))


def arrivals(conn, period_month: dt.date, as_of: dt.date, timezone: str) -> dict[tuple[str, str], tuple]:
    """(department, type) -> (files received, quarantined, first accepted landing, its submission id).

    Files for ``period_month`` that landed by the end of ``as_of`` in ``timezone``; accepted means
    loaded or superseded (a superseded snapshot was accepted when it came).
    """
    rows = conn.execute(
        f"""select department_code, submission_type, count(*),
                   count(*) filter (where status = 'quarantined'),
                   min(received_at) filter (where status in ('loaded', 'superseded')),
                   (array_agg(submission_id order by received_at, submission_id)
                       filter (where status in ('loaded', 'superseded')))[1]
              from audit.submission
             where {period_month_sql(timezone)} = %s
               and received_at < (%s::date + 1)::timestamp at time zone %s
             group by department_code, submission_type""",
        (period_month, as_of, timezone),
    ).fetchall()
    return {(department, kind): tuple(rest) for department, kind, *rest in rows}


def record_checks(conn, rows: list[dict]) -> None:
    """Append one audit.lateness_check row per dict (keys: LATENESS_COLUMNS), in one transaction."""
    placeholders = ", ".join(["%s"] * len(LATENESS_COLUMNS))
    with conn.transaction():
        for row in rows:
            conn.execute(
                f"insert into audit.lateness_check ({', '.join(LATENESS_COLUMNS)}) values ({placeholders})",
                [row[column] for column in LATENESS_COLUMNS],
            )
