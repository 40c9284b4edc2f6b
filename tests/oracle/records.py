"""Canonical records of the three submission types, and how a clerk types them into a file.

A record here is what ingest must read back from the file (docs/design.md §6): the oracle computes
the marts from these values, never from what the warehouse stored. `render` writes one file
in a `Style` (format, encoding, spellings), with a fault injected on purpose when asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal

from ingest.quality.checks import CREDIT_ALPHABET

from ..builders import credit_code
from .reference import DEPARTMENTS, DISTRICTS, jurisdiction

ORG_FORMS = {
    "single": "单独组建",
    "joint": "联合组建",
    "industry": "行业共建",
    "regional": "区域联建",
    "none": "未组建",
}
ORG_TYPES = {"enterprise": "非公企业", "social_org": "社会组织"}
CATEGORIES = {"training": "培训", "lecture": "宣讲", "visit": "走访慰问", "volunteer": "志愿服务", "other": "其他"}
TARGET_GROUPS = {"new_employment": "新就业群体", "elderly": "老年人", "youth": "青少年", "residents": "社区居民"}
CHANNELS = {"npc": "人大", "box": "征集箱", "online": "网络平台", "hotline": "12345热线", "petition": "信访"}
TOPICS = {"community": "小区治理", "livelihood": "民生服务", "urban": "城市建设"}
STATUSES = {
    "received": "已受理",
    "in_progress": "办理中",
    "adopted": "已采纳",
    "partially_adopted": "部分采纳",
    "converted": "已转化",
    "for_reference": "留作参考",
    "rejected": "不予采纳",
}
CONCLUDED = ("adopted", "partially_adopted", "converted", "for_reference", "rejected")
OPEN = ("received", "in_progress")

ORG_HEADER = (
    "统计期",
    "统一社会信用代码",
    "单位名称",
    "单位类型",
    "所属区县",
    "从业人员数",
    "党员人数",
    "党组织组建方式",
    "是否建立工会",
    "是否建立团组织",
    "是否建立妇联组织",
    "是否选派党建指导员",
)
ACTIVITY_HEADER = (
    "活动编号",
    "活动日期",
    "所属区县",
    "服务类别",
    "服务对象",
    "参与人次",
    "志愿者人数",
    "服务时长",
    "活动名称",
)
SUGGESTION_HEADER = ("建议编号", "收集日期", "征集渠道", "所属区县", "建议类别", "建议标题", "办理状态", "办结日期")
HEADERS = {"org_coverage": ORG_HEADER, "service_activity": ACTIVITY_HEADER, "suggestion": SUGGESTION_HEADER}

# faults that make ingest quarantine the file on a row (the file is read, its rows counted)
ROW_FAULTS = {
    "org_coverage": ("bad_check_character", "outside_jurisdiction"),
    "service_activity": ("negative_participants", "outside_jurisdiction"),
    "suggestion": ("concluded_without_date", "outside_jurisdiction"),
}


@dataclass(frozen=True)
class Org:
    """One organisation in a coverage snapshot (the period belongs to the file)."""

    number: int  # the credit code is builders.credit_code(number): shared across departments and months
    org_type: str
    district_code: str
    employees: int
    party_members: int
    party_org_form: str
    has_union: bool
    has_youth_league: bool
    has_womens_federation: bool
    instructor_assigned: bool

    @property
    def key(self) -> str:
        return credit_code(self.number)

    @property
    def is_covered(self) -> bool:
        return self.party_org_form != "none"


@dataclass(frozen=True)
class Activity:
    activity_id: str
    activity_date: dt.date
    district_code: str
    category: str
    target_group: str
    participants: int
    is_approximate: bool  # participants written as 约N
    volunteers: int
    service_hours: Decimal
    title: str

    @property
    def key(self) -> str:
        return self.activity_id


@dataclass(frozen=True)
class Suggestion:
    suggestion_id: str
    received_date: dt.date
    channel: str
    district_code: str
    topic: str
    title: str
    status: str
    concluded_date: dt.date | None

    @property
    def key(self) -> str:
        return self.suggestion_id


@dataclass(frozen=True)
class Style:
    """How the clerk writes the file: every choice here must read back to the same records."""

    fmt: str = "csv"  # csv | xlsx | json
    encoding: str = "utf-8-sig"  # csv only: utf-8-sig | utf-8 | gbk
    title_row: bool = False  # a title line above the header
    spelling: int = 0  # picks date, month, district and yes/no spellings per row


def _district(code: str, style: Style, row: int) -> str:
    name, short = DISTRICTS[code]
    return (code, name, short[0])[(style.spelling + row) % 3]


def _date(day: dt.date | None, style: Style, row: int) -> str:
    if day is None:
        return ""
    return (f"{day:%Y-%m-%d}", f"{day.year}/{day.month}/{day.day}", f"{day.year}年{day.month}月{day.day}日")[
        (style.spelling + row) % 3
    ]


def _month(month: dt.date, style: Style) -> str:
    return (f"{month:%Y-%m}", f"{month.year}年{month.month}月", f"{month:%Y%m}")[style.spelling % 3]


def _yes_no(value: bool, style: Style, row: int) -> str:
    return (("是", "否"), ("√", "×"), ("有", "无"), ("Y", "N"))[(style.spelling + row) % 4][0 if value else 1]


def _outside(department: str, district_code: str) -> str:
    """A district the department may not report for."""
    return next(code for code in DISTRICTS if code not in jurisdiction(department) and code != district_code)


def _bad_check_character(code: str) -> str:
    wrong = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[-1]) + 1) % len(CREDIT_ALPHABET)]
    return code[:-1] + wrong


def org_cells(org: Org, period: dt.date, style: Style, row: int) -> list:
    return [
        _month(period, style),
        org.key,
        f"测试单位{org.number}",
        ORG_TYPES[org.org_type],
        _district(org.district_code, style, row),
        org.employees,
        org.party_members,
        ORG_FORMS[org.party_org_form],
        _yes_no(org.has_union, style, row),
        _yes_no(org.has_youth_league, style, row + 1),
        _yes_no(org.has_womens_federation, style, row + 2),
        _yes_no(org.instructor_assigned, style, row + 3),
    ]


def activity_cells(activity: Activity, style: Style, row: int) -> list:
    hours = activity.service_hours
    return [
        activity.activity_id,
        _date(activity.activity_date, style, row),
        _district(activity.district_code, style, row),
        CATEGORIES[activity.category],
        TARGET_GROUPS[activity.target_group],
        f"约{activity.participants}" if activity.is_approximate else activity.participants,
        activity.volunteers,
        f"{hours}小时" if (style.spelling + row) % 2 else str(hours),
        activity.title,
    ]


def suggestion_cells(suggestion: Suggestion, style: Style, row: int) -> list:
    return [
        suggestion.suggestion_id,
        _date(suggestion.received_date, style, row),
        CHANNELS[suggestion.channel],
        _district(suggestion.district_code, style, row),
        TOPICS[suggestion.topic],
        suggestion.title,
        STATUSES[suggestion.status],
        _date(suggestion.concluded_date, style, row + 1),
    ]


def grid(
    submission_type: str, department: str, records: tuple, period: dt.date | None, style: Style, fault: str | None
) -> list[list]:
    """The sheet as the clerk sees it: optional title, header, one row per record, a fault on the first row."""
    rows = []
    for number, record in enumerate(records):
        if submission_type == "org_coverage":
            cells = org_cells(record, period, style, number)
        elif submission_type == "service_activity":
            cells = activity_cells(record, style, number)
        else:
            cells = suggestion_cells(record, style, number)
        rows.append(cells)
    if rows and fault:
        first = rows[0]
        district_column = HEADERS[submission_type].index("所属区县")
        if fault == "outside_jurisdiction":
            first[district_column] = _outside(department, records[0].district_code)
        elif fault == "bad_check_character":
            first[1] = _bad_check_character(first[1])
        elif fault == "negative_participants":
            first[5] = -1
        elif fault == "concluded_without_date":
            first[6], first[7] = STATUSES["converted"], ""
    title = [f"{DEPARTMENTS.get(department, (department,))[0]}报表"] if style.title_row else None
    return ([title] if title else []) + [list(HEADERS[submission_type]), *rows]


def file_bytes(rows: list[list], style: Style) -> bytes:
    if style.fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    if style.fmt == "json":
        header_at = 1 if style.title_row else 0  # JSON has no title rows: keys are the header
        header, body = rows[header_at], rows[header_at + 1 :]
        return json.dumps([dict(zip(header, (str(c) for c in row))) for row in body], ensure_ascii=False).encode()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[str(c) for c in row] for row in rows])
    return buffer.getvalue().encode(style.encoding)


def extension(style: Style) -> str:
    return {"csv": ".csv", "xlsx": ".xlsx", "json": ".json"}[style.fmt]
