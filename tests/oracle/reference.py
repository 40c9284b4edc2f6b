"""Reference data for the oracle: districts and departments as docs/design.md §5 fixes them, labels and
the reporting calendar from the seeds the city edits (they are input to dbt, not dbt's output)."""

from __future__ import annotations

import csv
import datetime as dt
import functools

from ingest.config import SEEDS_DIR

CITY = "340600"
# docs/design.md §5: district_code -> (official name, short names accepted)
DISTRICTS = {
    "340602": ("杜集区", ("杜集",)),
    "340603": ("相山区", ("相山",)),
    "340604": ("烈山区", ("烈山",)),
    "340621": ("濉溪县", ("濉溪",)),
    CITY: ("淮北市", ("淮北", "市本级", "市直")),
}
ALL_TYPES = ("org_coverage", "service_activity", "suggestion")
# docs/design.md §5: department_code -> (name, districts it may report for (None: any), submission types)
DEPARTMENTS = {
    "xiangshan": ("相山区委社会工作部", ("340603",), ALL_TYPES),
    "duji": ("杜集区委社会工作部", ("340602",), ALL_TYPES),
    "lieshan": ("烈山区委社会工作部", ("340604",), ALL_TYPES),
    "suixi": ("濉溪县委社会工作部", ("340621",), ALL_TYPES),
    "city_swb": ("市委社会工作部", None, ALL_TYPES),
    "city_xfj": ("市信访局", None, ("suggestion",)),
    "city_vol": ("市志愿服务联合会", None, ("service_activity",)),
}
LOCAL_UTC_OFFSET = dt.timedelta(hours=8)  # Asia/Shanghai, no daylight saving
DUE_DAY = 10  # reports for a month are due on the 10th of the following month


def jurisdiction(department: str) -> tuple[str, ...]:
    allowed = DEPARTMENTS[department][1]
    return allowed if allowed is not None else tuple(DISTRICTS)


def departments_sending(submission_type: str) -> list[str]:
    return [code for code, (_, _, types) in DEPARTMENTS.items() if submission_type in types]


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in the city of an aware timestamp."""
    return (moment.astimezone(dt.UTC) + LOCAL_UTC_OFFSET).date()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def due_date(period_month: dt.date) -> dt.date:
    return add_months(period_month, 1).replace(day=DUE_DAY)


def _seed(name: str) -> list[dict]:
    with open(SEEDS_DIR / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def labels() -> dict[tuple[str, str, str], str]:
    """(submission_type, column, code) -> Chinese label: contract enums and register codes."""
    rows = _seed("enum_labels.csv") + _seed("submission_labels.csv")
    return {(r["submission_type"], r["column_name"], r["code"]): r["label_zh"] for r in rows}


def label(submission_type: str, column: str, code: str | None) -> str | None:
    return labels().get((submission_type, column, code))


@functools.cache
def reporting_calendar() -> list[tuple[str, str, dt.date, dt.date | None]]:
    """(department, submission type, first period month, last period month or None)."""
    return [
        (
            r["department_code"],
            r["submission_type"],
            month_start(dt.date.fromisoformat(r["first_period"])),
            month_start(dt.date.fromisoformat(r["last_period"])) if r["last_period"] else None,
        )
        for r in _seed("reporting_calendar.csv")
    ]
