"""Reporting calendar: who is late with which monthly report (DAG ``swdw_submission_calendar``).

Obligations come from the dbt seeds the city edits: ``reporting_calendar.csv`` (each
department owes each listed submission type every month from ``first_period`` to
``last_period``) and ``departments.csv`` (names). A period's reports are due on the
``submission_due_day`` (10th) of the following month, judged in the city's local time
(``local_timezone``) — both read from dbt_project.yml, the same settings the
mart_submission_quality model uses.

``check(as_of)`` looks at the latest period whose due date has passed on ``as_of`` and
classifies every obligation for it:

- ``on_time``  an accepted submission (loaded or superseded) landed by the due date;
- ``late``     accepted, but the first accepted file landed after the due date;
- ``rejected`` files arrived but every one was quarantined: nothing usable yet;
- ``missing``  nothing arrived.

The result is appended to ``audit.lateness_check`` (append-only audit evidence, created by
ingest.warehouse.schema), one row per check × period × department × type: re-running a day
adds rows, and the latest ``checked_at`` of a day is that day's answer.
``rejected`` and ``missing`` obligations are alerted through
ingest.notify; ``late`` ones are recorded (mart_submission_quality shows them too).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from ingest.config import SEEDS_DIR, calendar_settings
from ingest.notify import notify
from ingest.warehouse import lateness
from ingest.warehouse.connection import bootstrap, connect

OUTSTANDING = ("missing", "rejected")


@dataclass
class Obligation:
    department_code: str
    department_name: str
    submission_type: str
    period_month: dt.date
    due_date: dt.date
    status: str = "missing"
    days_late: int | None = None
    submissions_received: int = 0
    submissions_quarantined: int = 0
    first_accepted_at: dt.datetime | None = None
    accepted_submission_id: int | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("period_month", "due_date", "first_accepted_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Obligation:
        """Back from ``to_dict`` (an XCom value between Airflow tasks)."""
        fields = dict(data)
        fields["period_month"] = dt.date.fromisoformat(fields["period_month"])
        fields["due_date"] = dt.date.fromisoformat(fields["due_date"])
        if fields["first_accepted_at"]:
            fields["first_accepted_at"] = dt.datetime.fromisoformat(fields["first_accepted_at"])
        return cls(**fields)


def _month(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value).replace(day=1) if value else None


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date(period_month: dt.date) -> dt.date:
    due_day, _ = calendar_settings()
    return _add_months(period_month, 1).replace(day=due_day)


def latest_due_period(as_of: dt.date) -> dt.date:
    """The latest reporting month whose due date lies before ``as_of``."""
    period = _add_months(as_of.replace(day=1), -1)
    return period if due_date(period) < as_of else _add_months(period, -1)


def obligations(period_month: dt.date) -> list[Obligation]:
    with open(SEEDS_DIR / "departments.csv", encoding="utf-8") as handle:
        names = {row["department_code"]: row["department_name"] for row in csv.DictReader(handle)}
    with open(SEEDS_DIR / "reporting_calendar.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    owed = []
    for row in rows:
        first, last = _month(row["first_period"]), _month(row.get("last_period") or "")
        if (first is None or first <= period_month) and (last is None or period_month <= last):
            owed.append(
                Obligation(
                    row["department_code"],
                    names.get(row["department_code"], row["department_code"]),
                    row["submission_type"],
                    period_month,
                    due_date(period_month),
                )
            )
    return owed


def check(as_of: dt.date, airflow_run_id: str | None = None, period_month: dt.date | None = None) -> list[Obligation]:
    """Classify and record every obligation of the latest past-due period (or of ``period_month``)."""
    _, timezone = calendar_settings()
    period = period_month or latest_due_period(as_of)
    owed = obligations(period)
    bootstrap()
    with connect(autocommit=True) as conn:
        found = lateness.arrivals(conn, period, as_of, timezone)
        for item in owed:
            received, quarantined, first_accepted, accepted_id = found.get(
                (item.department_code, item.submission_type), (0, 0, None, None)
            )
            item.submissions_received, item.submissions_quarantined = received, quarantined
            item.first_accepted_at, item.accepted_submission_id = first_accepted, accepted_id
            if first_accepted is not None:
                landed = first_accepted.astimezone(ZoneInfo(timezone)).date()  # the day it landed, in the city
                item.days_late = max((landed - item.due_date).days, 0)
                item.status = "on_time" if item.days_late == 0 else "late"
            else:
                item.days_late = (as_of - item.due_date).days
                item.status = "rejected" if received else "missing"
        lateness.record_checks(
            conn, [{**asdict(item), "check_date": as_of, "airflow_run_id": airflow_run_id} for item in owed]
        )
    return owed


def alert(as_of: dt.date, owed: list[Obligation]) -> dict | None:
    """Notify about outstanding reports (missing or only rejected files); None when all are in."""
    outstanding = [o for o in owed if o.status in OUTSTANDING]
    counts = {s: sum(o.status == s for o in owed) for s in ("on_time", "late", "rejected", "missing")}
    print(
        f"reporting calendar {as_of}: period {owed[0].period_month:%Y-%m} " if owed else "no obligations ",
        counts,
        flush=True,
    )
    if not outstanding:
        return None
    period = outstanding[0].period_month
    labels = {"missing": "未报送 missing", "rejected": "已退回未重报 rejected, not resubmitted"}
    lines = [
        f"{o.department_name} ({o.department_code}) {o.submission_type}: {labels[o.status]}, "
        f"due {o.due_date}, {o.days_late} day(s) overdue"
        for o in outstanding
    ]
    return notify(
        "lateness",
        f"{period:%Y年%m月} 报表逾期 {len(outstanding)} 项 / {len(outstanding)} report(s) overdue for {period:%Y-%m}",
        lines,
        {
            "as_of": as_of.isoformat(),
            "period_month": period.isoformat(),
            "counts": counts,
            "outstanding": [o.to_dict() for o in outstanding],
        },
    )
