"""Submission sequences over the seven departments (docs/design.md §5), generated with hypothesis.

A sequence is a few ingest runs; each run drops a few files into the landing zone and
processes them either in landing order (`swdw ingest`) or in any order (the DAG's mapped
tasks). The files are what a year of real submissions holds in small: snapshots and their
corrections for the same month, event files whose records move between files and change
(statuses regress too), files with an error on a row, empty files, files in the wrong
folder, the same bytes again under another name, resends that change nothing, and older
files that land after newer ones. Every file knows what ingest must do with it
(`PlannedFile.verdict`), so the harness checks ingest before it checks the marts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import strategies as st

from .records import (
    CATEGORIES,
    CHANNELS,
    CONCLUDED,
    ORG_FORMS,
    ORG_TYPES,
    ROW_FAULTS,
    STATUSES,
    TARGET_GROUPS,
    TOPICS,
    Activity,
    Org,
    Style,
    Suggestion,
    extension,
)
from .reference import ALL_TYPES, DEPARTMENTS, LOCAL_UTC_OFFSET, add_months, departments_sending, jurisdiction

PERIODS = (dt.date(2024, 11, 1), dt.date(2024, 12, 1))  # two months: new party orgs compare with the previous
# (day, hour, minute) in city time in the month after the period: just after midnight on the 1st
# (still the previous month in UTC); early; the due day's evening; half an hour after the due
# day in city time (still the 10th in UTC); late
LANDING_SLOTS = ((1, 0, 30), (3, 9, 0), (10, 23, 30), (11, 0, 30), (18, 15, 0))
EARLY_MORNING = dt.time(7, 30)  # city time, still the previous day in UTC
ORG_NUMBERS = (1, 6)  # a small pool: the same organisations recur across departments and months
EVENT_NUMBERS = (1, 4)
UNKNOWN_DEPARTMENT = "gaoxin"  # a development zone with its own folder (it reports through its district)
UNKNOWN_TYPE = "meeting_minutes"
ROUTING_FAULTS = ("unknown_department", "type_not_allowed", "misfiled_type", "wrong_depth", "unknown_type")


def landing_time(period: dt.date, slot: int) -> dt.datetime:
    day, hour, minute = LANDING_SLOTS[slot]
    month = add_months(period, 1)
    local = dt.datetime(month.year, month.month, day, hour, minute)
    return (local - LOCAL_UTC_OFFSET).replace(tzinfo=dt.UTC)


@dataclass
class PlannedFile:
    serial: int
    department: str  # who wrote it (its own folder unless misfiled)
    submission_type: str  # what the records are
    records: tuple
    period: dt.date  # org_coverage: the 统计期 written; events: the month of the latest record
    landed_at: dt.datetime  # its modification time in the landing zone
    style: Style = field(default_factory=Style)
    fault: str | None = None  # a records.ROW_FAULTS fault, or "empty"
    folders: tuple[str, ...] | None = None  # where it lands when not <department>/<submission_type>
    copy_of: int | None = None  # the serial of the file whose bytes it repeats
    period_in_name: bool = False
    note: str = ""  # what the generator meant, for the failure report

    @property
    def landing_folders(self) -> tuple[str, ...]:
        return self.folders or (self.department, self.submission_type)

    @property
    def file_name(self) -> str:
        stem = f"报表{self.serial:02d}"
        if self.period_in_name:
            stem = f"{self.period.year}年{self.period.month}月_{stem}"
        return stem + extension(self.style)

    @property
    def registered_as(self) -> tuple[str, str]:
        """(department_code, submission_type) as the register records them: the folder names."""
        folders = self.landing_folders
        return (folders[0], folders[1]) if len(folders) == 2 else ("(none)", "(none)")

    @property
    def verdict(self) -> str:
        """What ingest must do with these bytes the first time it sees them: loaded or quarantined."""
        department, kind = self.registered_as
        if department not in DEPARTMENTS or kind not in DEPARTMENTS[department][2]:
            return "quarantined"  # unknown department or type folder, or a type the department does not send
        if kind != self.submission_type or self.fault or not self.records:
            return "quarantined"
        if any(record.district_code not in jurisdiction(department) for record in self.records):
            return "quarantined"
        return "loaded"

    def describe(self) -> str:
        folders = "/".join(self.landing_folders)
        when = self.landed_at.isoformat(timespec="minutes")
        fault = f" fault={self.fault}" if self.fault else ""
        copy = f" copy_of=#{self.copy_of}" if self.copy_of is not None else ""
        return (
            f"#{self.serial} {folders}/{self.file_name} landed {when}{fault}{copy} [{self.note}] "
            f"verdict={self.verdict} records={self.records!r}"
        )


@dataclass
class Run:
    """One ingest pass over what landed since the last; `order` permutes the landing order
    (the DAG's mapped tasks run in any order), None = `swdw ingest` (oldest landing first)."""

    files: list[PlannedFile]
    order: list[int] | None = None
    build: bool = True


@dataclass
class Sequence:
    runs: list[Run]

    @property
    def files(self) -> list[PlannedFile]:
        return [f for run in self.runs for f in run.files]

    def describe(self) -> str:
        lines = []
        for number, run in enumerate(self.runs, 1):
            how = "landing order" if run.order is None else f"task order {run.order}"
            lines.append(f"run {number} ({how}{', then dbt build' if run.build else ''}):")
            lines += [f"  {f.describe()}" for f in run.files]
        return "\n".join(lines)


class Planner:
    """Plans files one action at a time, remembering what each department has sent so far."""

    def __init__(self, draw):
        self.draw = draw
        self.files: list[PlannedFile] = []
        self.snapshots: dict[tuple[str, dt.date], tuple[Org, ...]] = {}
        self.events: dict[tuple[str, str, str], object] = {}  # (department, type, key) -> last version sent

    # --- drawing helpers ----------------------------------------------------------------

    def pick(self, options):
        return self.draw(st.sampled_from(tuple(options)))

    def flip(self) -> bool:
        return self.draw(st.booleans())

    def numbers(self, bounds: tuple[int, int], most: int = 3) -> list[int]:
        return self.draw(st.lists(st.integers(*bounds), min_size=1, max_size=most, unique=True))

    def style(self) -> Style:
        fmt = self.pick(("csv", "xlsx", "json"))
        return Style(
            fmt=fmt,
            encoding=self.pick(("utf-8-sig", "utf-8", "gbk")) if fmt == "csv" else "utf-8-sig",
            title_row=fmt != "json" and self.flip(),
            spelling=self.draw(st.integers(0, 11)),
        )

    def day_in(self, month: dt.date) -> dt.date:
        return month.replace(day=self.draw(st.integers(1, 28)))

    def new_file(self, department: str, submission_type: str, records: tuple, period: dt.date, **kwargs) -> PlannedFile:
        planned = PlannedFile(
            serial=len(self.files) + 1,
            department=department,
            submission_type=submission_type,
            records=records,
            period=period,
            landed_at=kwargs.pop("landed_at", None)
            or landing_time(period, self.draw(st.integers(0, len(LANDING_SLOTS) - 1))),
            style=kwargs.pop("style", None) or self.style(),
            period_in_name=kwargs.pop("period_in_name") if "period_in_name" in kwargs else self.flip(),
            **kwargs,
        )
        self.files.append(planned)
        if planned.verdict == "loaded":
            self.remember(planned)
        return planned

    def remember(self, planned: PlannedFile) -> None:
        """What a department sent becomes the basis of its later resends and corrections."""
        department, _ = planned.registered_as
        if planned.submission_type == "org_coverage":
            self.snapshots[(department, planned.period)] = planned.records
            return
        for record in planned.records:
            self.events[(department, planned.submission_type, record.key)] = record

    # --- records ------------------------------------------------------------------------

    def org(self, department: str, number: int) -> Org:
        members = self.draw(st.integers(0, 5))
        return Org(
            number=number,
            org_type=self.pick(ORG_TYPES),
            district_code=self.pick(jurisdiction(department)),
            employees=self.draw(st.integers(members, 30)),
            party_members=members,
            party_org_form=self.pick(ORG_FORMS),
            has_union=self.flip(),
            has_youth_league=self.flip(),
            has_womens_federation=self.flip(),
            instructor_assigned=self.flip(),
        )

    def activity(self, department: str, activity_id: str, month: dt.date) -> Activity:
        return Activity(
            activity_id=activity_id,
            activity_date=self.day_in(month),
            district_code=self.pick(jurisdiction(department)),
            category=self.pick(CATEGORIES),
            target_group=self.pick(TARGET_GROUPS),
            participants=self.draw(st.integers(0, 80)),
            is_approximate=self.flip(),
            volunteers=self.draw(st.integers(0, 6)),
            service_hours=Decimal(self.pick(("0", "1.5", "2", "3.25", "8"))),
            title=f"活动{activity_id}",
        )

    def suggestion(self, department: str, suggestion_id: str, month: dt.date) -> Suggestion:
        received = self.day_in(month)
        status = self.pick(STATUSES)
        return Suggestion(
            suggestion_id=suggestion_id,
            received_date=received,
            channel=self.pick(CHANNELS),
            district_code=self.pick(jurisdiction(department)),
            topic=self.pick(TOPICS),
            title=f"建议{suggestion_id}",
            status=status,
            concluded_date=self.concluded(received) if status in CONCLUDED else None,
        )

    def concluded(self, received: dt.date) -> dt.date:
        return received + dt.timedelta(days=self.draw(st.integers(0, 45)))

    def next_version(self, previous: Suggestion) -> Suggestion:
        """A status update: forward, sideways between concluded statuses, back (a regression), or none."""
        if previous.status in CONCLUDED and self.flip():
            # the clerk may or may not clear the concluded date of a suggestion taken up again
            kept = previous.concluded_date if self.flip() else None
            return replace(previous, status=self.pick(("in_progress", "received")), concluded_date=kept)
        status = self.pick(STATUSES)
        concluded = None
        if status in CONCLUDED:
            concluded = previous.concluded_date if previous.concluded_date and self.flip() else None
            concluded = concluded or self.concluded(previous.received_date)
        return replace(previous, status=status, concluded_date=concluded)

    # --- actions ------------------------------------------------------------------------

    def snapshot(self, department: str | None = None, fault: str | None = None, **kwargs) -> PlannedFile:
        """A coverage snapshot; for a month already sent, a newer snapshot that changes part of it."""
        if department is None and self.snapshots and self.flip():  # a month already sent, again
            department, period = self.pick(sorted(self.snapshots))
        else:
            department = department or self.pick(departments_sending("org_coverage"))
            period = self.pick(PERIODS)
        previous = self.snapshots.get((department, period))
        if previous and self.flip():
            kept = [org for org in previous if self.flip()] or [previous[0]]
            orgs = [self.org(department, org.number) if self.flip() else org for org in kept]
            taken = {org.number for org in orgs}
            orgs += [self.org(department, n) for n in self.numbers(ORG_NUMBERS, 2) if n not in taken]
            note = "newer snapshot for the month"
        else:
            orgs = [self.org(department, n) for n in self.numbers(ORG_NUMBERS)]
            note = "newer snapshot for the month, all new" if previous else "snapshot"
        kwargs.setdefault("note", note)
        return self.new_file(department, "org_coverage", tuple(orgs), period, fault=fault, **kwargs)

    def activities(self, department: str | None = None, fault: str | None = None, **kwargs) -> PlannedFile:
        """Activities: new ones, and known ones again (unchanged or revised) — ids move between files."""
        department = department or self.sender("service_activity")
        month = self.pick(PERIODS)
        records = []
        for activity_id in self.event_ids(department, "service_activity", "HD"):
            previous = self.events.get((department, "service_activity", activity_id))
            if previous is not None and self.flip():
                fresh = self.activity(department, activity_id, previous.activity_date.replace(day=1))
                records.append(previous if self.flip() else replace(fresh, activity_date=previous.activity_date))
            else:
                records.append(self.activity(department, activity_id, month))
        if self.draw(st.integers(0, 4)) == 0:
            # sent early in the morning with an activity of that very day (docs/design.md §6: not after the
            # day received — the city's day, as every other date of the product)
            latest = max(r.activity_date for r in records)  # records sent again may be of a later month
            sent = add_months(latest.replace(day=1), 1).replace(day=self.draw(st.integers(2, 9)))
            kwargs["landed_at"] = (dt.datetime.combine(sent, EARLY_MORNING) - LOCAL_UTC_OFFSET).replace(tzinfo=dt.UTC)
            taken = {r.activity_id for r in records}
            activity_id = next(f"HD{n:02d}" for n in range(1, 9) if f"HD{n:02d}" not in taken)
            records.append(replace(self.activity(department, activity_id, sent.replace(day=1)), activity_date=sent))
            kwargs.setdefault("note", "activities, one of the sending day")
        period = max(r.activity_date for r in records).replace(day=1)
        kwargs.setdefault("note", "activities")
        return self.new_file(department, "service_activity", tuple(records), period, fault=fault, **kwargs)

    def suggestions(self, department: str | None = None, fault: str | None = None, **kwargs) -> PlannedFile:
        """Suggestions: new ones, and status updates of known ones (regressions included)."""
        department = department or self.sender("suggestion")
        month = self.pick(PERIODS)
        records = []
        for suggestion_id in self.event_ids(department, "suggestion", "JY"):
            previous = self.events.get((department, "suggestion", suggestion_id))
            if previous is not None and self.flip():
                record = self.next_version(previous)
            else:
                record = self.suggestion(department, suggestion_id, month)
            records.append(record)
        period = max(r.received_date for r in records).replace(day=1)
        kwargs.setdefault("note", "suggestions")
        return self.new_file(department, "suggestion", tuple(records), period, fault=fault, **kwargs)

    def sender(self, submission_type: str) -> str:
        """Half the time a department that sent records of this type before: its records come back."""
        known = sorted({department for department, kind, _ in self.events if kind == submission_type})
        if known and self.flip():
            return self.pick(known)
        return self.pick(departments_sending(submission_type))

    def event_ids(self, department: str, submission_type: str, prefix: str) -> list[str]:
        """A few record ids, half the time including one the department sent before."""
        ids = [f"{prefix}{n:02d}" for n in self.numbers(EVENT_NUMBERS)]
        known = sorted(key for d, kind, key in self.events if d == department and kind == submission_type)
        if known and self.flip():
            again = self.pick(known)
            ids = [again, *(i for i in ids if i != again)]
        return ids

    def content(self, submission_type: str, **kwargs) -> PlannedFile:
        return {"org_coverage": self.snapshot, "service_activity": self.activities, "suggestion": self.suggestions}[
            submission_type
        ](**kwargs)

    def faulty(self) -> PlannedFile:
        """A file ingest must quarantine: an error on a row, no rows, or the wrong folder."""
        kinds = ["row", "row", "empty", *ROUTING_FAULTS]
        kind = self.pick(kinds)
        submission_type = self.pick(ALL_TYPES)
        department = self.pick(departments_sending(submission_type))
        if kind == "row":
            faults = [f for f in ROW_FAULTS[submission_type] if f != "outside_jurisdiction"]
            if DEPARTMENTS[department][1] is not None:  # only a district's department can overstep
                faults.append("outside_jurisdiction")
            return self.content(submission_type, department=department, fault=self.pick(faults))
        if kind == "empty":
            planned = self.content(submission_type, department=department, fault="empty")
            planned.records = ()
            return planned
        if kind == "type_not_allowed":
            department = self.pick(("city_xfj", "city_vol"))
            folder_type = self.pick([t for t in ALL_TYPES if t not in DEPARTMENTS[department][2]])
            folders = (department, folder_type)
            submission_type = folder_type
        elif kind == "unknown_department":
            folders = (UNKNOWN_DEPARTMENT, submission_type)
        elif kind == "misfiled_type":  # the department's own folder for another of its types
            others = [t for t in DEPARTMENTS[department][2] if t != submission_type]
            department = department if others else "city_swb"
            folders = (department, self.pick(others or [t for t in ALL_TYPES if t != submission_type]))
        elif kind == "wrong_depth":
            folders = (department,)
        else:
            folders = (department, UNKNOWN_TYPE)
        return self.content(submission_type, department=department, folders=folders, note=kind)

    def resend(self) -> PlannedFile:
        """An earlier file again: the same bytes under another name, re-typed unchanged, or dropped
        into another department's folder."""
        if not self.files:
            return self.snapshot()
        original = self.pick(self.files)
        ways = ["same_bytes", "retyped"]
        if not original.fault and original.folders is None:
            ways.append("other_department")
        way = self.pick(ways)
        common = dict(department=original.department, submission_type=original.submission_type)
        if way == "retyped":
            return self.new_file(
                **common,
                records=original.records,
                period=original.period,
                fault=original.fault,
                folders=original.folders,
                note=f"#{original.serial} retyped unchanged",
            )
        folders = original.folders
        if way == "other_department":
            others = [d for d in departments_sending(original.submission_type) if d != original.department]
            folders = (self.pick(others), original.submission_type)
        return self.new_file(
            **common,
            records=original.records,
            period=original.period,
            style=original.style,
            fault=original.fault,
            folders=folders,
            copy_of=original.serial,
            period_in_name=original.period_in_name,
            note=f"#{original.serial} {way}",
        )

    def correction(self) -> PlannedFile:
        """A quarantined file sent again with its error fixed (the clerk read the feedback)."""
        rejected = [f for f in self.files if f.verdict == "quarantined" and f.copy_of is None]
        if not rejected:
            return self.faulty()
        original = self.pick(rejected)
        department = original.department if original.department in DEPARTMENTS else "city_swb"
        if original.submission_type not in DEPARTMENTS[department][2]:
            department = "city_swb"
        return self.content(original.submission_type, department=department, note=f"#{original.serial} corrected")

    ACTIONS = (
        "snapshot",
        "snapshot",
        "activities",
        "activities",
        "suggestions",
        "suggestions",
        "resend",
        "resend",
        "faulty",
        "faulty",
        "correction",
    )

    def plan(self) -> PlannedFile:
        return getattr(self, self.pick(self.ACTIONS))()


@st.composite
def sequences(draw, max_runs: int = 3, max_files_per_run: int = 4) -> Sequence:
    planner = Planner(draw)
    runs = []
    count = draw(st.integers(1, max_runs))
    for index in range(count):
        files = [planner.plan() for _ in range(draw(st.integers(1, max_files_per_run)))]
        order = draw(st.permutations(range(len(files)))) if draw(st.booleans()) else None
        # a build between runs exercises the incremental models; each build costs ~30 s
        build = index == count - 1 or draw(st.integers(0, 3)) == 0
        runs.append(Run(files, list(order) if order is not None else None, build))
    return Sequence(runs)


def features(sequence: Sequence) -> set[str]:
    """What a sequence exercises, for hypothesis statistics (`--hypothesis-show-statistics`)."""
    found = set()
    processed: list[PlannedFile] = []
    concluded_before: set[tuple[str, str]] = set()
    sent_before: set[tuple[str, str, str]] = set()
    for number, run in enumerate(sequence.runs):
        if run.build and number < len(sequence.runs) - 1:
            found.add("build between runs")
        if run.order is not None and run.order != sorted(run.order):
            found.add("files processed out of landing order")
        if processed and any(f.landed_at < max(p.landed_at for p in processed) for f in run.files):
            found.add("older file lands in a later run")
        for planned in run.files:
            found.add(f"{planned.submission_type}: {re.sub(r'#[0-9]+ ', '', planned.note)}")
            if planned.fault:
                found.add(f"fault: {planned.fault}")
            if planned.copy_of is not None:
                found.add("same bytes, another name" if planned.folders is None else "same bytes, another folder")
            if planned.note.endswith("retyped unchanged"):
                found.add("retyped unchanged")
            department = planned.registered_as[0]
            if planned.verdict == "loaded" and planned.submission_type != "org_coverage":
                if any((department, planned.submission_type, r.key) in sent_before for r in planned.records):
                    found.add(f"{planned.submission_type}: a record sent again")
                sent_before |= {(department, planned.submission_type, r.key) for r in planned.records}
            for record in planned.records if planned.submission_type == "suggestion" else ():
                if record.status not in CONCLUDED and (department, record.key) in concluded_before:
                    found.add("status regression")
                if record.status in CONCLUDED and planned.verdict == "loaded":
                    concluded_before.add((department, record.key))
        processed += run.files
    return found
