"""Sample service_activity files: quarterly and half-yearly activity ledgers."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import replace

from ingest.intake.reference import departments, districts
from ingest.samples.common import (
    FITNESS_GAMES_MARK,
    STREETS,
    YEAR,
    Layout,
    SampleFile,
    choice_weighted,
    landing_time,
    topic_rng,
)

# ---------------------------------------------------------------------------------------
# service_activity
# ---------------------------------------------------------------------------------------
ACTIVITY_DEPARTMENTS = {"xiangshan": 64, "duji": 36, "lieshan": 44, "suixi": 48, "city_swb": 24, "city_vol": 32}
ACTIVITY_ID_FORMATS = {
    "xiangshan": "XSHD2024{:03d}",
    "duji": "DJ-HD-2024-{:03d}",
    "lieshan": "LS2024HD{:03d}",
    "suixi": "SXHD-{:04d}",
    "city_swb": "SGB-HD-{:03d}",
    "city_vol": "ZYFW-2024-{:03d}",
}
CATEGORY_WEIGHTS = {
    "training": 14,
    "lecture": 14,
    "visit": 14,
    "volunteer": 22,
    "mediation": 8,
    "micro_wish": 8,
    "health_check": 7,
    "legal_aid": 7,
    "other": 6,
}
PARTICIPANT_RANGES = {
    "training": (30, 300),
    "lecture": (50, 500),
    "visit": (10, 120),
    "volunteer": (20, 400),
    "mediation": (2, 10),
    "micro_wish": (5, 60),
    "health_check": (30, 300),
    "legal_aid": (5, 80),
    "other": (10, 200),
}
ACTIVITY_TITLES = {
    "training": (
        "暖“新”讲堂——交通安全培训",
        "新就业群体技能提升培训",
        "非公党务工作者示范培训班",
        "党建指导员业务培训",
    ),
    "lecture": ("党的二十届三中全会精神宣讲进商圈", "“红领讲堂”专题宣讲", "新兴领域理论宣讲进园区"),
    "visit": ("“七一”走访慰问困难党员", "元旦走访慰问快递小哥", "夏送清凉慰问外卖骑手"),
    "volunteer": (
        "“3·5”学雷锋志愿服务",
        "爱心助考志愿服务",
        "“12·5”国际志愿者日主题活动",
        "“红淮集市”便民服务",
        "文明交通志愿劝导",
    ),
    "mediation": ("“一杯茶”矛盾纠纷调解", "小推车“六推”调解进小区", "物业纠纷联合调解"),
    "micro_wish": ("圆梦“微心愿”活动", "新就业群体子女“微心愿”认领"),
    "health_check": ("新就业群体免费健康体检", "健康管理单元义诊进社区"),
    "legal_aid": ("法律援助进社区", "新就业群体法律援助站咨询日"),
    "other": ("“骑手友好社区”共建座谈", "产业链党建研讨会", "积分超市兑换日"),
}
TARGET_GROUPS_FOR = {
    "training": ("new_employment", "enterprise", "other"),
    "lecture": ("enterprise", "residents", "youth"),
    "visit": ("new_employment", "elderly", "other"),
    "volunteer": ("residents", "youth", "elderly", "other"),
    "mediation": ("residents", "other"),
    "micro_wish": ("new_employment", "youth"),
    "health_check": ("new_employment", "elderly"),
    "legal_aid": ("new_employment", "residents"),
    "other": ("new_employment", "enterprise", "residents"),
}
# 省六健会 volunteer service by city_vol: volunteers sum 270, hours 4400, people served 5700.
FITNESS_GAMES = (
    ("开幕式志愿服务保障", "340603", dt.date(2024, 9, 20), 40, 650, "900"),
    ("赛事引导（篮球）", "340603", dt.date(2024, 9, 21), 35, 570, "750"),
    ("赛事引导（田径）", "340604", dt.date(2024, 9, 22), 30, 480, "约600"),
    ("运动员接待与咨询服务", "340603", dt.date(2024, 9, 23), 38, 620, "800"),
    ("赛场秩序维护（游泳）", "340602", dt.date(2024, 9, 24), 32, 520, "650"),
    ("观众疏导与应急救护", "340621", dt.date(2024, 9, 25), 45, 730, "1000余"),
    ("新闻记者服务保障", "340603", dt.date(2024, 9, 26), 25, 415, "500"),
    ("闭幕式志愿服务保障", "340603", dt.date(2024, 9, 28), 25, 415, "500"),
)


def _approximate(rng: random.Random, number: int) -> tuple[int, str]:
    """A count as clerks round it: (number kept, text written)."""
    if number >= 100:
        rounded = number // 100 * 100 if number >= 1000 else number // 10 * 10
        return rounded, rng.choice(("{}余", "约{}", "{}多")).format(rounded)
    return number, f"约{number}"


def _activity(rng: random.Random, department: str, seq: int, district: str) -> dict:
    category = choice_weighted(rng, CATEGORY_WEIGHTS)
    low, high = PARTICIPANT_RANGES[category]
    participants = rng.randint(low, high)
    volunteers = rng.randint(5, 60) if category == "volunteer" else rng.choice((0, 0, 2, 3, 5, 8))
    hours = volunteers * rng.randint(2, 6) if category == "volunteer" else rng.choice((1, 1.5, 2, 2, 3, 4))
    day = dt.date(YEAR, 1, 2) + dt.timedelta(days=rng.randint(0, 362))
    record = {
        "activity_id": ACTIVITY_ID_FORMATS[department].format(seq),
        "activity_date": day,
        "district_code": district,
        "category": category,
        "target_group": rng.choice(TARGET_GROUPS_FOR[category]),
        "participants": participants,
        "volunteers": volunteers,
        "service_hours": hours,
        "title": rng.choice(ACTIVITY_TITLES[category]),
        "organizer": rng.choice(STREETS[district]) + rng.choice(("党工委", "社区党委", "", "新就业群体党委")),
    }
    if participants >= 30 and rng.random() < 0.08:  # clerks round larger crowds only
        record["participants"], shown = _approximate(rng, participants)
        record["_shown"] = {"participants": shown}
    return record


def _activities(seed: int, scale: int) -> dict[str, list]:
    rng = topic_rng(seed, "service_activity")
    jurisdiction = {code: dept.reports_for for code, dept in departments().items()}
    by_department = {}
    for dept, base in ACTIVITY_DEPARTMENTS.items():
        allowed = sorted(jurisdiction[dept]) if jurisdiction[dept] else sorted(districts())
        by_department[dept] = [_activity(rng, dept, seq, rng.choice(allowed)) for seq in range(1, base * scale + 1)]
    seq = len(by_department["city_vol"])
    for title, district, day, volunteers, hours, participants in FITNESS_GAMES:
        seq += 1
        number = int(re.sub(r"\D", "", participants))
        record = {
            "activity_id": ACTIVITY_ID_FORMATS["city_vol"].format(seq),
            "activity_date": day,
            "district_code": district,
            "category": "volunteer",
            "target_group": "other",
            "participants": number,
            "volunteers": volunteers,
            "service_hours": hours,
            "title": f"安徽省第六届全民健身运动会（{FITNESS_GAMES_MARK}）志愿服务——{title}",
            "organizer": "市志愿服务联合会（省六健会志愿者工作组）",
        }
        if participants != str(number):
            record["_shown"] = {"participants": participants}
        by_department["city_vol"].append(record)
    for records in by_department.values():
        records.sort(key=lambda r: (r["activity_date"], r["activity_id"]))
    return by_department


def _in_quarter(records, quarter):
    return [r for r in records if (r["activity_date"].month - 1) // 3 + 1 == quarter]


def _in_half(records, half):
    return [r for r in records if (r["activity_date"].month <= 6) == (half == 1)]


def plan_service_activity_files(seed: int, scale: int) -> list[SampleFile]:
    acts = _activities(seed, scale)
    quarter_end = {q: dt.date(YEAR, 3 * q, 1) for q in range(1, 5)}
    files = []
    for q in range(1, 5):
        files.append(
            SampleFile(
                "xiangshan",
                "service_activity",
                f"2024年第{q}季度服务活动台账.xlsx",
                _in_quarter(acts["xiangshan"], q),
                Layout(
                    date_style="excel",
                    district_style="short",
                    units={"service_hours": "（小时）", "participants": "（人次）"},
                ),
                landing_time(quarter_end[q], 5),
                note="Excel date cells, units in headers, approximate counts",
            )
        )
        files.append(
            SampleFile(
                "lieshan",
                "service_activity",
                f"2024Q{q}_服务活动.csv",
                _in_quarter(acts["lieshan"], q),
                Layout(
                    fmt="csv",
                    encoding="gb18030",
                    alias_variant=2,
                    date_style="dot",
                    district_style="name",
                    hours_suffix_every=4,
                ),
                landing_time(quarter_end[q], 7),
                note="GB18030, dates 2024.5.6, hours like 3小时",
            )
        )
        files.append(
            SampleFile(
                "suixi",
                "service_activity",
                f"濉溪县服务活动台账（2024年{3 * q - 2:02d}-{3 * q:02d}月）.xlsx",
                _in_quarter(acts["suixi"], q),
                Layout(alias_variant=1, date_style="cn", district_style="mixed", fullwidth_every=9),
                landing_time(quarter_end[q], 8),
                note="dates 2024年5月6日, full-width digits",
            )
        )
    for half in (1, 2):
        label = "上半年" if half == 1 else "下半年"
        files.append(
            SampleFile(
                "duji",
                "service_activity",
                f"杜集区服务活动台账_2024{label}.csv",
                _in_half(acts["duji"], half),
                Layout(
                    fmt="csv",
                    encoding="utf-8-sig",
                    alias_variant=1,
                    date_style="mixed",
                    district_style="code",
                    units={"service_hours": "(h)"},
                    hours_suffix_every=3,
                ),
                landing_time(dt.date(YEAR, 6 * half, 1), 6),
                note="mixed date formats in one column",
            )
        )
        files.append(
            SampleFile(
                "city_swb",
                "service_activity",
                f"市委社会工作部服务活动台账_2024H{half}.xlsx",
                _in_half(acts["city_swb"], half),
                Layout(
                    title_rows=(f"市委社会工作部{YEAR}年{label}服务活动台账",),
                    date_style="serial" if half == 2 else "slash",
                    district_style="name",
                ),
                landing_time(dt.date(YEAR, 6 * half, 1), 10),
                note="title row; H2 dates as Excel serial numbers",
            )
        )
    # city_vol: quarterly CSV; Q4 re-reports one Q3 activity with a corrected count.
    vol = acts["city_vol"]
    corrected = dict(next(r for r in _in_quarter(vol, 3) if FITNESS_GAMES_MARK not in r["title"]))
    corrected["participants"] += 15
    corrected.pop("_shown", None)
    for q in range(1, 5):
        records = _in_quarter(vol, q) + ([corrected] if q == 4 else [])
        files.append(
            SampleFile(
                "city_vol",
                "service_activity",
                f"志愿服务活动台账_2024Q{q}.csv",
                records,
                Layout(fmt="csv", encoding="utf-8-sig", date_style="slash", district_style="mixed"),
                landing_time(quarter_end[q], 4),
                note="省六健会 activities (Q3)" if q == 3 else "re-reports a Q3 activity, corrected" if q == 4 else "",
            )
        )
    original = next(f for f in files if f.name == "2024Q2_服务活动.csv")
    files.append(
        replace(
            original,
            name="2024Q2_服务活动_副本.csv",
            outcome="duplicate",
            copy_of=original.name,
            received_at=original.received_at + dt.timedelta(days=2),
            note="byte-identical copy of 2024Q2_服务活动.csv: registered and loaded once",
        )
    )
    return files
