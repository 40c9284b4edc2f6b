"""Sample suggestion files: monthly ledgers whose statuses move over time."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from ingest.intake.reference import departments, districts
from ingest.samples.common import (
    COMMUNITIES,
    CONCLUDED_STATUSES,
    HANDLING_UNITS,
    PLACES,
    ROADS,
    STREETS,
    TARGET_SUGGESTIONS_CONVERTED,
    YEAR,
    YEAR_END,
    Layout,
    SampleFile,
    choice_weighted,
    fake_id_number,
    fake_mobile,
    fake_person_name,
    landing_time,
    month_end,
    topic_rng,
)

# ---------------------------------------------------------------------------------------
# suggestion: monthly files, status moving over time
# ---------------------------------------------------------------------------------------
# department, suggestions received in 2024 at scale 1, first reporting month
SUGGESTION_DEPARTMENTS = (
    ("city_xfj", 380, 1),
    ("city_swb", 300, 5),
    ("xiangshan", 420, 5),
    ("duji", 210, 5),
    ("lieshan", 243, 5),
    ("suixi", 250, 5),
)
SUGGESTION_ID_FORMATS = {
    "city_xfj": "XFJ{year}-{seq:04d}",
    "city_swb": "SWB-JY-{year}-{seq:04d}",
    "xiangshan": "XSJY{year}{seq:04d}",
    "duji": "DJ-{year}-{seq:04d}",
    "lieshan": "LSJY-{year}-{seq:04d}",
    "suixi": "SXJY{year}{seq:04d}",
}
FOR_REFERENCE, REJECTED = 250, 120  # at scale 1; the rest of the non-converted are still open
CARRIED_FROM_2023 = 4  # city_xfj: received December 2023, concluded in 2024
MALFORMED_PHONES, INVALID_ID_NUMBERS = 2, 2
CROSS_MONTH_SHARE = 0.12  # concluded after the month it was first reported in
CHANNELS_DISTRICT = {
    "npc": 12,
    "cppcc": 12,
    "united_front": 8,
    "people_org": 10,
    "box": 18,
    "online": 25,
    "hotline": 15,
}
CHANNELS_PETITION = {"petition": 55, "hotline": 40, "online": 5}
MONTH_WEIGHTS = (5, 5, 6, 7, 9, 10, 10, 10, 9, 10, 10, 9)
TOPIC_TITLES = {
    "community": (
        "关于{c}增设电动自行车充电桩的建议",
        "关于{c}老旧小区加装电梯的建议",
        "关于规范{c}物业收费的建议",
        "关于{c}停车位管理的建议",
        "关于发挥红色物业作用助力{c}治理的建议",
    ),
    "livelihood": ("关于增设{p}的建议", "关于延长{p}开放时间的建议", "关于{s}增加社区食堂的建议"),
    "urban": ("关于{r}路口增设红绿灯的建议", "关于修缮{r}人行道的建议", "关于{r}增设公交站台的建议"),
    "social_security": ("关于简化医保异地报销手续的建议", "关于提高高龄津贴标准的建议", "关于新就业群体参保的建议"),
    "business": ("关于优化企业开办流程的建议", "关于园区增开公交线路的建议", "关于减轻小微企业负担的建议"),
    "other": ("关于加强{c}文明养犬管理的建议", "关于打造特色小区的建议"),
}
TOPIC_WEIGHTS = {"community": 30, "livelihood": 25, "urban": 20, "social_security": 10, "business": 8, "other": 7}
STATUS_SPLIT_CONVERTED = {"adopted": 55, "partially_adopted": 25, "converted": 20}


@dataclass
class Suggestion:
    """One suggestion's life: its fixed fields and when its status changes."""

    department: str
    fields: dict
    received: dt.date
    final_status: str  # a concluded status, or received/in_progress if open at year end
    concluded: dt.date | None
    in_progress_from: dt.date | None

    def status_on(self, day: dt.date) -> str:
        if self.concluded and self.concluded <= day:
            return self.final_status
        if self.in_progress_from and self.in_progress_from <= day:
            return "in_progress"
        return "received"

    def version_on(self, day: dt.date) -> dict:
        status = self.status_on(day)
        return {
            **self.fields,
            "status": status,
            "concluded_date": self.concluded if status in CONCLUDED_STATUSES else None,
        }


def _random_received(rng: random.Random) -> dt.date:
    month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
    return dt.date(YEAR, month, rng.randint(1, month_end(dt.date(YEAR, month, 1)).day))


def _suggestion_fields(rng: random.Random, department: str, seq: int, received: dt.date, year: int) -> dict:
    allowed = departments()[department].reports_for
    district = rng.choice(sorted(allowed) if allowed else sorted(districts()))
    channels = CHANNELS_PETITION if department == "city_xfj" else CHANNELS_DISTRICT
    topic = choice_weighted(rng, TOPIC_WEIGHTS)
    title = rng.choice(TOPIC_TITLES[topic]).format(
        c=rng.choice(COMMUNITIES), p=rng.choice(PLACES), r=rng.choice(ROADS), s=rng.choice(STREETS[district])
    )
    name = fake_person_name(rng) if rng.random() < 0.85 else None
    phone = (fake_mobile(rng) if rng.random() < 0.9 else f"0561-{rng.randint(2000000, 8999999)}") if name else None
    content = f"群众反映：{title[2:-3]}，希望有关部门研究解决。"
    if rng.random() < 0.04:  # clerks paste the caller's number into the text (masked at ingest)
        content += f"联系人电话{fake_mobile(rng)}，请回电。"
    return {
        "suggestion_id": SUGGESTION_ID_FORMATS[department].format(year=year, seq=seq),
        "received_date": received,
        "channel": choice_weighted(rng, channels),
        "district_code": district,
        "topic": topic,
        "title": title,
        "content": content,
        "submitter_name": name,
        "submitter_phone": phone,
        "submitter_id_number": fake_id_number(rng) if name and rng.random() < 0.45 else None,
        "handling_unit": rng.choice(HANDLING_UNITS),
    }


def _suggestions(seed: int, scale: int) -> list[Suggestion]:
    rng = topic_rng(seed, "suggestion")
    slots = [(dept, first) for dept, base, first in SUGGESTION_DEPARTMENTS for _ in range(base * scale)]
    rng.shuffle(slots)
    n_converted = TARGET_SUGGESTIONS_CONVERTED * scale
    finals = (
        [choice_weighted(rng, STATUS_SPLIT_CONVERTED) for _ in range(n_converted)]
        + ["for_reference"] * (FOR_REFERENCE * scale)
        + ["rejected"] * (REJECTED * scale)
    )
    finals += ["open"] * (len(slots) - len(finals))
    lives = [_suggestion_life(rng, dept, first, final) for (dept, first), final in zip(slots, finals)]
    lives += [_carried_from_2023(rng, seq) for seq in range(1, CARRIED_FROM_2023 * scale + 1)]
    _number_and_describe(rng, lives)
    _spoil_some_personal_data(rng, lives, scale)
    return lives


def _suggestion_life(rng, department, first_month, final) -> Suggestion:
    if final == "open":  # still open at year end: received late in the year
        received = dt.date(YEAR, 11, 1) + dt.timedelta(days=rng.randint(0, 60))
        progress = received + dt.timedelta(days=rng.randint(3, 20)) if rng.random() < 0.5 else None
        progress = progress if progress and progress <= YEAR_END else None
        status = "in_progress" if progress else "received"
        return Suggestion(department, {}, received, status, None, progress)
    received = _random_received(rng)
    first_end = month_end(dt.date(YEAR, max(received.month, first_month), 1))
    if rng.random() < CROSS_MONTH_SHARE and first_end < YEAR_END:
        concluded = min(first_end + dt.timedelta(days=rng.randint(1, 45)), YEAR_END)
        progress = received + dt.timedelta(days=rng.randint(2, 10)) if rng.random() < 0.4 else None
    else:
        concluded = received + dt.timedelta(days=rng.randint(0, min(40, (first_end - received).days)))
        progress = None
    return Suggestion(department, {}, received, final, concluded, progress)


def _carried_from_2023(rng, seq) -> Suggestion:
    received = dt.date(2023, 12, rng.randint(10, 31))
    concluded = dt.date(YEAR, rng.choice((1, 2)), rng.randint(5, 25))
    life = Suggestion("city_xfj", {}, received, rng.choice(("adopted", "for_reference")), concluded, None)
    life.fields = _suggestion_fields(rng, "city_xfj", seq, received, 2023)
    return life


def _number_and_describe(rng, lives) -> None:
    """Per department: ids in order of receipt (as a ledger numbers them), then the fields."""
    by_department = defaultdict(list)
    for life in lives:
        if not life.fields:
            by_department[life.department].append(life)
    for dept, items in by_department.items():
        for seq, life in enumerate(sorted(items, key=lambda s: s.received), start=1):
            life.fields = _suggestion_fields(rng, dept, seq, life.received, YEAR)


def _spoil_some_personal_data(rng, lives, scale) -> None:
    with_phone = [s for s in lives if s.fields["submitter_phone"]]
    for life in rng.sample(with_phone, MALFORMED_PHONES * scale):
        life.fields["submitter_phone"] = rng.choice((life.fields["submitter_phone"][:-1], "138-1234-567", "0561-30"))
    with_id = [s for s in lives if s.fields["submitter_id_number"]]
    for life in rng.sample(with_id, INVALID_ID_NUMBERS * scale):
        number = life.fields["submitter_id_number"]
        life.fields["submitter_id_number"] = number[:17] + next(c for c in "0123456789X" if c != number[17])


def _monthly_versions(lives: list[Suggestion], department: str, first_month: int) -> dict[int, list]:
    """month -> the rows of that month's file: suggestions new to the ledger, and changed ones."""
    rows = defaultdict(list)
    for life in (s for s in lives if s.department == department):
        start = 1 if life.received.year < YEAR else max(life.received.month, first_month)
        last_status = None
        for month in range(start, 13):
            as_of = month_end(dt.date(YEAR, month, 1))
            status = life.status_on(as_of)
            if status != last_status:
                rows[month].append(life.version_on(as_of))
                last_status = status
    for month in rows:
        rows[month].sort(key=lambda r: r["suggestion_id"])
    return rows


SUGGESTION_FILE_STYLES = {
    "city_xfj": (lambda m: f"信访渠道人民建议_2024-{m:02d}.xlsx", Layout(date_style="excel", district_style="name")),
    "city_swb": (
        lambda m: f"人民建议征集台账（2024年{m:02d}月）.xlsx",
        Layout(
            title_rows=("市委社会工作部人民建议征集台账",),
            alias_variant=1,
            date_style="cn",
            district_style="short",
            enum_spellings={"channel": {"online": "网上征集"}},
        ),
    ),
    "xiangshan": (
        lambda m: f"2024年{m:02d}月_人民建议征集台账.xlsx",
        Layout(date_style="excel", district_style="short"),
    ),
    "duji": (
        lambda m: f"杜集区人民建议_2024{m:02d}.csv",
        Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, date_style="slash", district_style="code"),
    ),
    "lieshan": (
        lambda m: f"烈山区人民建议征集_2024年{m:02d}月.csv",
        Layout(fmt="csv", encoding="gbk", alias_variant=2, date_style="mixed", district_style="name"),
    ),
    "suixi": (
        lambda m: f"濉溪县人民建议征集台账2024{m:02d}.xlsx",
        Layout(alias_variant=2, date_style="dot", district_style="mixed"),
    ),
}


def plan_suggestion_files(seed: int, scale: int) -> list[SampleFile]:
    lives = _suggestions(seed, scale)
    rng = topic_rng(seed, "suggestion_files")
    files = []
    for offset, (dept, _base, first_month) in enumerate(SUGGESTION_DEPARTMENTS):
        name_of, layout = SUGGESTION_FILE_STYLES[dept]
        for month, rows in sorted(_monthly_versions(lives, dept, first_month).items()):
            received = landing_time(dt.date(YEAR, month, 1), 3 + offset, 10 + offset)
            if dept == "lieshan" and month == 8:
                received += dt.timedelta(days=10)  # late: due on the 10th
            name = name_of(month)
            if dept == "city_xfj" and month == 12:  # the December export came from the new system
                name, layout = name.replace(".xlsx", ".json"), Layout(fmt="json", encoding="utf-8", date_style="slash")
            files.append(
                SampleFile(
                    dept,
                    "suggestion",
                    name,
                    rows,
                    layout,
                    received,
                    note="status updates of earlier suggestions" if month > first_month else "",
                )
            )
    files.append(_out_of_jurisdiction_file(rng, scale))
    return files


def _out_of_jurisdiction_file(rng: random.Random, scale: int) -> SampleFile:
    """相山 reports a 濉溪县 suggestion: the whole file must be quarantined."""
    rows = []
    for seq in range(1, 8 * scale + 1):
        received = dt.date(YEAR, 9, rng.randint(20, 30))
        fields = _suggestion_fields(rng, "xiangshan", seq, received, YEAR)
        fields["suggestion_id"] = f"XSJY2024B{seq:03d}"
        rows.append({**fields, "status": "received", "concluded_date": None})
    rows[4]["district_code"] = "340621"
    return SampleFile(
        "xiangshan",
        "suggestion",
        "2024年09月_人民建议征集台账_补报.xlsx",
        rows,
        SUGGESTION_FILE_STYLES["xiangshan"][1],
        landing_time(dt.date(YEAR, 9, 1), 12, 15),
        outcome="quarantined",
        note="INVALID: a 濉溪县 record from 相山 (outside jurisdiction)",
    )
