"""Hand-written sequences: every failure the generator found, reduced to the files that cause it,
and a sequence with one of everything for the rerun test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .records import Activity, Org, Style, Suggestion
from .reference import LOCAL_UTC_OFFSET
from .sequences import PlannedFile, Run, Sequence

NOVEMBER, DECEMBER = dt.date(2024, 11, 1), dt.date(2024, 12, 1)


def city_time(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2025) -> dt.datetime:
    """A landing time given in city time (Asia/Shanghai), as an aware UTC timestamp."""
    return (dt.datetime(year, month, day, hour, minute) - LOCAL_UTC_OFFSET).replace(tzinfo=dt.UTC)


def org(number: int, district: str, form: str = "single", members: int = 3, **flags) -> Org:
    values = dict(has_union=True, has_youth_league=False, has_womens_federation=True, instructor_assigned=False)
    return Org(number, flags.pop("org_type", "enterprise"), district, 20, members, form, **{**values, **flags})


def activity(activity_id: str, day: dt.date, district: str, participants: int = 10, **fields) -> Activity:
    values = dict(
        category="training",
        target_group="elderly",
        is_approximate=False,
        volunteers=2,
        service_hours=Decimal("1.5"),
        title=f"活动{activity_id}",
    )
    values.update(fields)
    return Activity(activity_id, day, district, participants=participants, **values)


def suggestion(suggestion_id: str, received: dt.date, district: str, status: str, concluded=None, **fields):
    values = dict(channel="online", topic="community", title=f"建议{suggestion_id}")
    values.update(fields)
    return Suggestion(
        suggestion_id, received, values["channel"], district, values["topic"], values["title"], status, concluded
    )


class Files:
    """Numbers the files of a hand-written sequence as the generator would."""

    def __init__(self):
        self.count = 0

    def __call__(self, department, submission_type, records, period, landed_at, **kwargs) -> PlannedFile:
        self.count += 1
        kwargs.setdefault("style", Style())
        return PlannedFile(self.count, department, submission_type, tuple(records), period, landed_at, **kwargs)


def org_in_two_departments_out_of_landing_order() -> Sequence:
    """The same organisation in city_swb's and xiangshan's December snapshots. xiangshan's landed
    first (3 Jan) but is processed after city_swb's (6 Jan): city_swb's landed later, so it counts."""
    f = Files()
    city = f("city_swb", "org_coverage", [org(1, "340603", form="single")], DECEMBER, city_time(1, 6), note="later")
    district = f("xiangshan", "org_coverage", [org(1, "340603", form="none")], DECEMBER, city_time(1, 3), note="older")
    return Sequence([Run([city], build=False), Run([district])])


def rejected_file_before_the_due_date() -> Sequence:
    """An empty file lands on 3 January; the real report is accepted on 18 January: late, by 8 days."""
    f = Files()
    empty = f("duji", "service_activity", [], DECEMBER, city_time(1, 3), fault="empty", note="rejected")
    report = f(
        "duji",
        "service_activity",
        [activity("HD01", dt.date(2024, 12, 5), "340602")],
        DECEMBER,
        city_time(1, 18),
        note="accepted late",
    )
    return Sequence([Run([empty, report])])


def nothing_arrived_for_a_period() -> Sequence:
    """One December snapshot: every other obligation of 2024 saw nothing arrive (days_late unknown)."""
    f = Files()
    return Sequence([Run([f("lieshan", "org_coverage", [org(2, "340604")], DECEMBER, city_time(1, 5))])])


def file_in_an_unknown_type_folder() -> Sequence:
    """Issue 10, case 1: xiangshan/meeting_minutes/… is quarantined; the build must stay green."""
    f = Files()
    minutes = f(
        "xiangshan",
        "org_coverage",
        [org(3, "340603")],
        DECEMBER,
        city_time(1, 4),
        folders=("xiangshan", "meeting_minutes"),
        style=Style(fmt="xlsx"),
        note="unknown type folder",
    )
    report = f("xiangshan", "org_coverage", [org(3, "340603")], DECEMBER, city_time(1, 5))
    return Sequence([Run([minutes, report])])


def suggestion_resent_unchanged() -> Sequence:
    """Issue 10, case 2: the petition bureau resends a workbook in which one row did not change."""
    f = Files()
    first = [
        suggestion("JY01", dt.date(2024, 12, 2), "340603", "in_progress"),
        suggestion("JY02", dt.date(2024, 12, 3), "340602", "received"),
    ]
    update = [first[0], suggestion("JY02", dt.date(2024, 12, 3), "340602", "converted", dt.date(2024, 12, 20))]
    return Sequence(
        [
            Run([f("city_xfj", "suggestion", first, DECEMBER, city_time(1, 3))]),
            Run([f("city_xfj", "suggestion", update, DECEMBER, city_time(1, 9), style=Style(fmt="xlsx"))]),
        ]
    )


def one_of_everything() -> Sequence:
    """Snapshots and a correction, events moving between files with a status regression, an older
    file landing after a newer one, the same bytes again, rejected and misfiled files."""
    f = Files()
    nov = f(
        "xiangshan",
        "org_coverage",
        [org(1, "340603", form="none"), org(2, "340603")],
        NOVEMBER,
        city_time(12, 5, year=2024),
    )
    dec = f("xiangshan", "org_coverage", [org(1, "340603"), org(2, "340603", form="joint")], DECEMBER, city_time(1, 5))
    dec_fix = f(
        "xiangshan",
        "org_coverage",
        [org(1, "340603"), org(4, "340603", members=5, form="none")],
        DECEMBER,
        city_time(1, 9),
    )
    city = f("city_swb", "org_coverage", [org(5, "340621", org_type="social_org")], DECEMBER, city_time(1, 8))
    acts = f(
        "city_vol",
        "service_activity",
        [activity("HD01", dt.date(2024, 12, 3), "340602"), activity("HD02", dt.date(2024, 12, 9), "340600", 30)],
        DECEMBER,
        city_time(1, 4),
        style=Style(fmt="xlsx", title_row=True),
    )
    acts_again = f("city_vol", "service_activity", acts.records, DECEMBER, city_time(1, 6), copy_of=acts.serial)
    acts_later = f(
        "city_vol",
        "service_activity",
        [
            activity("HD02", dt.date(2024, 12, 9), "340600", 35, is_approximate=True),
            activity("HD03", dt.date(2024, 11, 28), "340604"),
        ],
        DECEMBER,
        city_time(1, 12),
    )
    received = dt.date(2024, 11, 20)
    petitions = f(
        "city_xfj",
        "suggestion",
        [
            suggestion("JY01", received, "340603", "converted", dt.date(2024, 12, 1)),
            suggestion("JY02", received, "340604", "in_progress"),
        ],
        DECEMBER,
        city_time(1, 2),
    )
    regression = f(
        "city_xfj",
        "suggestion",
        [
            suggestion("JY01", received, "340603", "in_progress"),
            suggestion("JY03", dt.date(2024, 12, 1), "340621", "rejected", dt.date(2024, 12, 31)),
        ],
        DECEMBER,
        city_time(1, 7),
    )
    bad = f("duji", "org_coverage", [org(6, "340602")], DECEMBER, city_time(1, 4), fault="bad_check_character")
    misfiled = f(
        "suixi", "org_coverage", [org(7, "340621")], DECEMBER, city_time(1, 4), folders=("suixi", "suggestion")
    )
    outsider = f(
        "gaoxin", "org_coverage", [org(8, "340603")], DECEMBER, city_time(1, 4), folders=("gaoxin", "org_coverage")
    )
    # dec_fix and acts_later land before older files that run 2 processes: the older ones lose
    return Sequence(
        [
            Run([nov, dec_fix, acts, acts_later, regression, bad, misfiled, outsider]),
            Run([dec, city, acts_again, petitions], order=[3, 2, 1, 0]),
        ]
    )


def activity_of_the_sending_day_sent_early_in_the_morning() -> Sequence:
    """city_vol sends its report at 07:30 on 3 January (city time; 2 January in UTC) with an
    activity of that morning: not after the day received, so the file is accepted."""
    f = Files()
    records = [activity("HD01", dt.date(2024, 12, 20), "340603"), activity("HD02", dt.date(2025, 1, 3), "340602")]
    return Sequence([Run([f("city_vol", "service_activity", records, dt.date(2025, 1, 1), city_time(1, 3, 7, 30))])])
