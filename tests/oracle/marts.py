"""The marts' definitions (docs/design.md §7) in plain Python, from what ingest accepted.

Inputs are the canonical records of every accepted file (as the generator wrote them) with
the register facts that order them (submission_id, received_at), and the register itself
for mart_submission_quality. Nothing here reads staging, intermediate or marts: where this
module and a model disagree, one of them has a defect, and docs/design.md §4/§7 decides which.

"Latest" is the same everywhere (docs/design.md §4, README "Lifecycle rules"): the latest *landed*
version wins — received_at, then submission_id, then source_row — so that the order in
which files happen to be processed (mapped tasks, retries, a later run picking up an older
file) never changes a figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ingest.intake.contracts import all_contracts

from .records import CONCLUDED, Activity, Org, Suggestion
from .reference import (
    DEPARTMENTS,
    DISTRICTS,
    add_months,
    due_date,
    label,
    local_date,
    month_start,
    reporting_calendar,
)

RATE = Decimal("0.0001")  # safe_rate: 4 decimals
DAYS = Decimal("0.1")  # days to conclusion: 1 decimal
ACCEPTED = ("loaded", "superseded")
ADOPTED = ("adopted", "partially_adopted", "converted")  # docs/design.md §7: adopted = converted (建议转化)


@dataclass(frozen=True)
class RegisterRow:
    """One row of audit.submission, the input of mart_submission_quality."""

    submission_id: int
    department_code: str
    submission_type: str
    report_period: dt.date | None
    period_start: dt.date | None
    period_end: dt.date | None
    received_at: dt.datetime
    status: str
    row_count: int | None
    error_count: int
    warning_count: int


@dataclass(frozen=True)
class AcceptedFile:
    """An accepted (loaded or since superseded) file: whose, when it landed, what it holds."""

    submission_id: int
    department_code: str
    submission_type: str
    received_at: dt.datetime
    period: dt.date | None  # org_coverage: the snapshot month
    records: tuple  # Org | Activity | Suggestion, in file order (source rows ascending)

    @property
    def landing_order(self) -> tuple:
        return (self.received_at, self.submission_id)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """round(numerator ÷ denominator, 4) as PostgreSQL rounds numeric (half away from zero)."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def percentile_cont(values: list[int], fraction: Fraction) -> Decimal | None:
    """PostgreSQL percentile_cont: linear interpolation at position fraction × (n − 1), then round 1."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    exact = ordered[below] + (position - below) * (ordered[above] - ordered[below])
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(DAYS, rounding=ROUND_HALF_UP)


def latest_versions(files: list[AcceptedFile], submission_type: str) -> dict[tuple[str, str], object]:
    """The latest landed version of every event record per (department, record key)."""
    latest: dict[tuple[str, str], tuple[tuple, object]] = {}
    for accepted in files:
        if accepted.submission_type != submission_type:
            continue
        for source_row, record in enumerate(accepted.records):
            key = (accepted.department_code, record.key)
            order = (*accepted.landing_order, source_row)
            if key not in latest or order > latest[key][0]:
                latest[key] = (order, record)
    return {key: record for key, (_, record) in latest.items()}


# --- mart_coverage ------------------------------------------------------------------------


def current_snapshots(files: list[AcceptedFile]) -> dict[tuple[str, dt.date], AcceptedFile]:
    """Per (department, period) the snapshot that stays loaded: the latest landed (docs/design.md §4)."""
    current: dict[tuple[str, dt.date], AcceptedFile] = {}
    for accepted in files:
        if accepted.submission_type != "org_coverage":
            continue
        key = (accepted.department_code, accepted.period)
        if key not in current or accepted.landing_order > current[key].landing_order:
            current[key] = accepted
    return current


def organisations(files: list[AcceptedFile]) -> dict[tuple[str, dt.date], Org]:
    """Every organisation of the period's current snapshots, once per (credit code, period).

    An organisation in several departments' snapshots counts once: the one that landed latest.
    """
    chosen: dict[tuple[str, dt.date], tuple[tuple, Org]] = {}
    for snapshot in current_snapshots(files).values():
        for source_row, org in enumerate(snapshot.records):
            key = (org.key, snapshot.period)
            order = (*snapshot.landing_order, source_row)
            if key not in chosen or order > chosen[key][0]:
                chosen[key] = (order, org)
    return {key: org for key, (_, org) in chosen.items()}


def mart_coverage(files: list[AcceptedFile], min_party_members: int = 0) -> list[dict]:
    orgs = organisations(files)
    groups: dict[tuple, list[tuple[Org, bool]]] = defaultdict(list)
    for (credit, period), org in orgs.items():
        if org.party_members < min_party_members:
            continue
        previous = orgs.get((credit, add_months(period, -1)))
        is_new = org.is_covered and not (previous is not None and previous.is_covered)
        groups[(period, org.district_code, org.org_type)].append((org, is_new))
    rows = []
    for (period, district, org_type), members in groups.items():
        group = [org for org, _ in members]
        total = len(group)
        covered = sum(o.is_covered for o in group)
        union = sum(o.has_union for o in group)
        youth = sum(o.has_youth_league for o in group)
        womens = sum(o.has_womens_federation for o in group)
        rows.append(
            {
                "period_month": period,
                "district_code": district,
                "district_name": DISTRICTS[district][0],
                "org_type": org_type,
                "org_type_label": label("org_coverage", "org_type", org_type),
                "orgs_total": total,
                "orgs_with_party_org": covered,
                "orgs_single": sum(o.party_org_form == "single" for o in group),
                "orgs_joint": sum(o.party_org_form == "joint" for o in group),
                "orgs_industry": sum(o.party_org_form == "industry" for o in group),
                "orgs_regional": sum(o.party_org_form == "regional" for o in group),
                "party_org_coverage_rate": rate(covered, total),
                "orgs_with_union": union,
                "orgs_with_youth_league": youth,
                "orgs_with_womens_federation": womens,
                "union_coverage_rate": rate(union, total),
                "youth_league_coverage_rate": rate(youth, total),
                "womens_federation_coverage_rate": rate(womens, total),
                "mass_org_avg_coverage_rate": rate(union + youth + womens, 3 * total),
                "orgs_should_form_party_org": sum(o.party_members >= 3 and o.party_org_form == "none" for o in group),
                "orgs_with_instructor": sum(o.instructor_assigned for o in group),
                "party_members": sum(o.party_members for o in group),
                "new_party_orgs": sum(is_new for _, is_new in members),
            }
        )
    return rows


# --- mart_service_counts ----------------------------------------------------------------


def mart_service_counts(files: list[AcceptedFile]) -> list[dict]:
    groups: dict[tuple, list[Activity]] = defaultdict(list)
    for activity in latest_versions(files, "service_activity").values():
        key = (month_start(activity.activity_date), activity.district_code, activity.category, activity.target_group)
        groups[key].append(activity)
    return [
        {
            "activity_month": month,
            "district_code": district,
            "district_name": DISTRICTS[district][0],
            "category": category,
            "category_label": label("service_activity", "category", category),
            "target_group": target,
            "target_group_label": label("service_activity", "target_group", target),
            "activities": len(group),
            "participants": sum(a.participants for a in group),
            "approximate_records": sum(a.is_approximate for a in group),
            "volunteers": sum(a.volunteers for a in group),
            "service_hours": sum((a.service_hours for a in group), Decimal(0)),
        }
        for (month, district, category, target), group in groups.items()
    ]


# --- mart_petition_conversion -------------------------------------------------------------


def mart_petition_conversion(files: list[AcceptedFile]) -> list[dict]:
    groups: dict[tuple, list[Suggestion]] = defaultdict(list)
    for suggestion in latest_versions(files, "suggestion").values():
        groups[(month_start(suggestion.received_date), suggestion.district_code, suggestion.channel)].append(suggestion)
    rows = []
    for (month, district, channel), group in groups.items():
        concluded = [s for s in group if s.status in CONCLUDED]
        days = [(s.concluded_date - s.received_date).days for s in concluded]
        adopted = sum(s.status in ADOPTED for s in group)
        rows.append(
            {
                "received_month": month,
                "district_code": district,
                "district_name": DISTRICTS[district][0],
                "channel": channel,
                "channel_label": label("suggestion", "channel", channel),
                "suggestions_received": len(group),
                "suggestions_concluded": len(concluded),
                "suggestions_adopted": adopted,
                "suggestions_converted": adopted,
                "suggestions_converted_to_policy": sum(s.status == "converted" for s in group),
                "suggestions_rejected": sum(s.status == "rejected" for s in group),
                "conversion_rate": rate(adopted, len(group)),
                "median_days_to_conclusion": percentile_cont(days, Fraction(1, 2)),
                "p90_days_to_conclusion": percentile_cont(days, Fraction(9, 10)),
            }
        )
    return rows


# --- mart_submission_quality ---------------------------------------------------------------
CONTRACT_TYPES = tuple(all_contracts())  # a folder naming none of these is an unknown type


def register_period(row: RegisterRow) -> dt.date:
    """The month a file reports for: its report period, else its covered range, else the month
    before it landed (city time) — a file rejected before it was read says nothing else."""
    for day in (row.report_period, row.period_end, row.period_start):
        if day is not None:
            return month_start(day)
    return add_months(month_start(local_date(row.received_at)), -1)


def obligations(register: list[RegisterRow]) -> set[tuple[str, str, dt.date]]:
    """(department, type, month) owed under the reporting calendar, through the latest period
    anyone submitted for."""
    if not register:
        return set()
    known = [row for row in register if row.submission_type in CONTRACT_TYPES]
    if not known:
        return set()
    # a file in a folder that names no submission type does not move the horizon
    horizon = max(register_period(row) for row in known)
    owed = set()
    for department, submission_type, first, last in reporting_calendar():
        month, through = first, min(last or horizon, horizon)
        while month <= through:
            owed.add((department, submission_type, month))
            month = add_months(month, 1)
    return owed


def mart_submission_quality(register: list[RegisterRow]) -> list[dict]:
    arrivals: dict[tuple, list[RegisterRow]] = defaultdict(list)
    for row in register:
        arrivals[(row.department_code, row.submission_type, register_period(row))].append(row)
    owed = obligations(register)
    rows = []
    for key in owed | set(arrivals):
        department, submission_type, month = key
        files = arrivals.get(key, [])
        due = due_date(month)
        accepted = [f for f in files if f.status in ACCEPTED]
        received = len(files)
        # on time: an accepted file landed (city date) by the due date; a rejected file is no report
        first_accepted = min((local_date(f.received_at) for f in accepted), default=None)
        # unknown, not 0, when nothing was accepted for the period
        days_late = None if first_accepted is None else max((first_accepted - due).days, 0)
        latest = max(files, key=lambda f: (f.received_at, f.submission_id), default=None)
        expected = int(key in owed)
        rows.append(
            {
                "period_month": month,
                "department_code": department,
                "department_name": DEPARTMENTS[department][0] if department in DEPARTMENTS else None,
                "submission_type": submission_type,
                "submission_type_label": (
                    label("audit", "submission_type", submission_type)
                    if submission_type in CONTRACT_TYPES
                    else "未知报送类型"
                ),
                "due_date": due,
                "submissions_expected": expected,
                "submissions_received": received,
                "submissions_on_time": int(first_accepted is not None and first_accepted <= due),
                "submissions_accepted": len(accepted),
                "submissions_quarantined": sum(f.status == "quarantined" for f in files),
                "submissions_missing": int(expected == 1 and not accepted),
                "resubmissions": max(received - 1, 0),
                "first_received_at": min((f.received_at for f in files), default=None),
                "last_received_at": max((f.received_at for f in files), default=None),
                "days_late": days_late,
                "rows_received": sum(f.row_count or 0 for f in files),
                "errors": sum(f.error_count for f in files),
                "warnings": sum(f.warning_count for f in files),
                "latest_submission_id": latest.submission_id if latest else None,
                "latest_status": latest.status if latest else None,
                "latest_status_label": label("audit", "status", latest.status) if latest else None,
            }
        )
    return rows


# every mart: its grain (rows are matched on it) and its definition
MARTS = {
    "mart_coverage": (("period_month", "district_code", "org_type"), mart_coverage),
    "mart_service_counts": (
        ("activity_month", "district_code", "category", "target_group"),
        mart_service_counts,
    ),
    "mart_petition_conversion": (("received_month", "district_code", "channel"), mart_petition_conversion),
    "mart_submission_quality": (("period_month", "department_code", "submission_type"), mart_submission_quality),
}
# the columns, in order: docs/design.md §7 fixes the first three marts'; mart_submission_quality's as modelled
COLUMNS = {
    "mart_coverage": [
        "period_month",
        "district_code",
        "district_name",
        "org_type",
        "org_type_label",
        "orgs_total",
        "orgs_with_party_org",
        "orgs_single",
        "orgs_joint",
        "orgs_industry",
        "orgs_regional",
        "party_org_coverage_rate",
        "orgs_with_union",
        "orgs_with_youth_league",
        "orgs_with_womens_federation",
        "union_coverage_rate",
        "youth_league_coverage_rate",
        "womens_federation_coverage_rate",
        "mass_org_avg_coverage_rate",
        "orgs_should_form_party_org",
        "orgs_with_instructor",
        "party_members",
        "new_party_orgs",
    ],
    "mart_service_counts": [
        "activity_month",
        "district_code",
        "district_name",
        "category",
        "category_label",
        "target_group",
        "target_group_label",
        "activities",
        "participants",
        "approximate_records",
        "volunteers",
        "service_hours",
    ],
    "mart_petition_conversion": [
        "received_month",
        "district_code",
        "district_name",
        "channel",
        "channel_label",
        "suggestions_received",
        "suggestions_concluded",
        "suggestions_adopted",
        "suggestions_converted",
        "suggestions_converted_to_policy",
        "suggestions_rejected",
        "conversion_rate",
        "median_days_to_conclusion",
        "p90_days_to_conclusion",
    ],
    "mart_submission_quality": [
        "period_month",
        "department_code",
        "department_name",
        "submission_type",
        "submission_type_label",
        "due_date",
        "submissions_expected",
        "submissions_received",
        "submissions_on_time",
        "submissions_accepted",
        "submissions_quarantined",
        "submissions_missing",
        "resubmissions",
        "first_received_at",
        "last_received_at",
        "days_late",
        "rows_received",
        "errors",
        "warnings",
        "latest_submission_id",
        "latest_status",
        "latest_status_label",
    ],
}
# numerics compared as stored, scale included (0.5000 is not 0.5); the others by value
SCALED_COLUMNS = {
    "party_org_coverage_rate",
    "union_coverage_rate",
    "youth_league_coverage_rate",
    "womens_federation_coverage_rate",
    "mass_org_avg_coverage_rate",
    "conversion_rate",
    "median_days_to_conclusion",
    "p90_days_to_conclusion",
}
