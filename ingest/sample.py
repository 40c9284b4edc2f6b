"""Realistic, messy sample submissions for the demo and the benchmarks (`swdw sample`).

`write_samples(out_dir)` writes the landing layout of DESIGN §4,
`<out_dir>/<department_code>/<submission_type>/<file>`, with the kind of files Huaibei's
departments really send: Excel and CSV (UTF-8 with BOM, GBK/GB18030), title rows above
the header, a 合计 row, varying Chinese header aliases, units in headers, full-width
digits, mixed date/month/boolean/district spellings, a period known only from the file
name, a resubmission, a byte-identical copy and two files that must be quarantined.

At scale 1 the files that should be accepted reproduce the city's 2024 annual summary
(../shared/reference/000_f4050806ae832294.txt): party-organisation coverage 1290/1540 =
83.77 %, mass-organisation average coverage 3581/(3*1540) = 77.51 %, 599 new party
organisations, 1803 suggestions of which 1237 converted, and 270 volunteers serving
4400 hours at the 省六健会.

How it works: `sample_plan()` builds every file in memory (canonical records plus a
`Layout` saying how the clerk wrote them); `expected_figures()` applies the submission
lifecycle to that plan; `write_samples()` renders it. Everything derives from one
`random.Random` per topic, seeded from `seed`, so the output is byte-for-byte
deterministic (xlsx zip timestamps and core properties are pinned) and a re-run into the
same landing zone changes nothing the pipeline would notice.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from .checks import CREDIT_ALPHABET, ID_CHECK, ID_WEIGHTS, credit_check_character
from .contracts import Column, get_contract
from .reference import departments, district_lookup, districts

# ---------------------------------------------------------------------------------------
# Headline targets (2024 annual summary). Other tests import these.
# ---------------------------------------------------------------------------------------
TARGET_ORGS_TOTAL = 1540                 # orgs in the accepted 2024-12 snapshots
TARGET_ORGS_WITH_PARTY_ORG = 1290        # of which party_org_form != none -> 83.77 %
TARGET_MASS_ORG_TRUE_TOTAL = 3581        # has_union + has_youth_league + has_womens_federation
TARGET_PARTY_ORG_COVERAGE_PCT = 83.77    # 1290 / 1540
TARGET_MASS_ORG_AVG_COVERAGE_PCT = 77.51  # 3581 / (3 * 1540)
TARGET_NEW_PARTY_ORGS = 599              # covered in 2024-12, not covered in (or absent from) 2024-11
TARGET_SUGGESTIONS_RECEIVED = 1803       # latest version per suggestion, received in 2024
TARGET_SUGGESTIONS_CONVERTED = 1237      # ... whose latest status is 已采纳/部分采纳/已转化
TARGET_FITNESS_GAMES_VOLUNTEERS = 270    # city_vol activities titled 省六健会
TARGET_FITNESS_GAMES_SERVICE_HOURS = 4400

FITNESS_GAMES_MARK = "省六健会"
CONVERTED_STATUSES = ("adopted", "partially_adopted", "converted")
CONCLUDED_STATUSES = (*CONVERTED_STATUSES, "for_reference", "rejected")
YEAR = 2024
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
NOVEMBER, DECEMBER = dt.date(YEAR, 11, 1), dt.date(YEAR, 12, 1)
YEAR_END = dt.date(YEAR, 12, 31)

# ---------------------------------------------------------------------------------------
# Check characters
# ---------------------------------------------------------------------------------------
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)            # GB 11714 (positions 9-17 of a credit code)


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation-code check character (letters count 10..35)."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(first8, ORG_CODE_WEIGHTS))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def id_number_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


# ---------------------------------------------------------------------------------------
# The plan: files as canonical records plus how they are written
# ---------------------------------------------------------------------------------------
@dataclass
class Layout:
    """How a clerk wrote a file. Only presentation: the records stay canonical."""
    fmt: str = "xlsx"                    # xlsx | csv | json
    encoding: str = "utf-8-sig"          # csv/json: utf-8-sig | utf-8 | gbk | gb18030
    alias_variant: int = 0               # which of the contract's aliases each header uses
    english_headers: bool = False        # a system export with canonical English names
    headers: dict = field(default_factory=dict)   # column -> header text (overrides the variant)
    units: dict = field(default_factory=dict)     # column -> unit suffix, e.g. "（小时）"
    omit: tuple = ()                     # columns the file does not have
    title_rows: tuple = ()               # rows above the header (xlsx: merged across)
    sequence_column: str | None = None   # a leading 序号 column (an extra column: warning only)
    extra_columns: tuple = ()            # trailing extra columns left blank, e.g. 备注
    total_row: bool = False              # a trailing 合计 row
    date_style: str = "iso"              # iso | slash | dot | cn | excel | serial | mixed
    month_style: str = "iso"             # iso 2024-12 | cn 2024年12月 | compact 202412
    district_style: str = "code"         # code | name | short | mixed
    bools: tuple = ("是", "否")
    enum_spellings: dict = field(default_factory=dict)  # column -> {code: spelling ("" = blank)}
    fullwidth_every: int = 0             # every n-th row: numbers and codes in full-width digits
    hours_suffix_every: int = 0          # every n-th row: service_hours written like 3小时
    pad_every: int = 0                   # every n-th row: ideographic spaces around the name
    sheet_name: str = "Sheet1"


@dataclass
class SampleFile:
    department: str
    submission_type: str
    name: str
    records: list
    layout: Layout
    received_at: dt.datetime
    outcome: str = "loaded"              # loaded | superseded | quarantined | duplicate
    period: dt.date | None = None        # report period of a snapshot
    note: str = ""                       # what the file demonstrates
    copy_of: str | None = None           # byte-identical copy of this file name (same folder)

    @property
    def relative_path(self) -> str:
        return f"{self.department}/{self.submission_type}/{self.name}"


def _received(month_after: dt.date, day: int, hour: int = 9, minute: int = 30) -> dt.datetime:
    """A moment in the month after `month_after` (Beijing time)."""
    nxt = _month_end(month_after) + dt.timedelta(days=1)
    return dt.datetime(nxt.year, nxt.month, day, hour, minute, tzinfo=CHINA_TZ)


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def _rng(seed: int, topic: str) -> random.Random:
    return random.Random(f"swdw-sample-{seed}-{topic}")


def _weighted_pick(rng: random.Random, items: list, k: int, weight) -> list:
    """Exactly k items without replacement, likelier with larger weight (Efraimidis-Spirakis)."""
    keyed = sorted(items, key=lambda item: rng.random() ** (1.0 / weight(item)), reverse=True)
    return keyed[:k]


# ---------------------------------------------------------------------------------------
# Vocabulary (all characters are in GBK: some files are written in GBK)
# ---------------------------------------------------------------------------------------
BRANDS = ("恒泰", "瑞丰", "鑫源", "华宇", "金诚", "宏达", "聚力", "汇通", "德信", "盛世", "嘉禾", "润泽",
          "天成", "博远", "众诚", "和顺", "永安", "中兴", "新源", "远航", "淮海", "相城", "濉河", "龙湖",
          "凤凰", "古城", "长山", "南湖", "东方", "百川", "同创", "启明", "安泰", "祥和", "合力", "锦程")
ENTERPRISE_TRADES = (("商贸", "批发和零售业"), ("科技", "信息传输、软件和信息技术服务业"),
                     ("物流", "交通运输、仓储和邮政业"), ("建材", "制造业"), ("餐饮管理", "住宿和餐饮业"),
                     ("物业服务", "房地产业"), ("电子商务", "批发和零售业"), ("机械制造", "制造业"),
                     ("食品", "制造业"), ("新能源", "电力、热力、燃气及水生产和供应业"),
                     ("信息技术", "信息传输、软件和信息技术服务业"), ("建筑工程", "建筑业"),
                     ("医药", "批发和零售业"), ("纺织", "制造业"), ("家政服务", "居民服务业"),
                     ("人力资源", "租赁和商务服务业"), ("广告传媒", "租赁和商务服务业"))
ENTERPRISE_FORMS = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")
SOCIAL_KINDS = (("商会", "行业协会商会"), ("行业协会", "行业协会商会"), ("社会工作服务中心", "社会服务"),
                ("养老服务中心", "社会服务"), ("志愿者协会", "社会服务"), ("文化艺术培训学校", "教育"),
                ("幼儿园", "教育"), ("康复中心", "卫生健康"), ("体育俱乐部", "文化体育"),
                ("慈善会", "社会服务"), ("研究会", "其他"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红鹏建志辉力永健世广海文春梅燕晨宇浩然子轩欣怡"
COMMUNITIES = ("梧桐苑", "相城花园", "金色家园", "惠苑小区", "南湖花园", "翠峰园", "龙湖苑", "杜集新村",
               "凤凰城", "濉溪新城", "古城雅苑", "长山小区", "东山新村", "矿工新村", "桓谭小区", "海宫小区")
ROADS = ("淮海路", "孟山路", "人民路", "古城路", "长山路", "南黎路", "相山南路", "桓谭路", "龙脊山路", "濉唐路")
PLACES = ("社区食堂", "社区图书室", "老年活动中心", "城市书房", "公园", "菜市场", "社区卫生服务站")
HANDLING_UNITS = ("市住房城乡建设局", "市城市管理局", "市民政局", "市人力资源社会保障局", "市交通运输局",
                  "市数据资源局", "市医保局", "市市场监管局", "区住建局", "街道办事处", "镇人民政府")
STREETS = {"340603": ("相南街道", "东山街道", "西街道", "南黎街道", "任圩街道", "曲阳街道"),
           "340602": ("高岳街道", "矿山集街道", "朔里镇", "石台镇", "段园镇"),
           "340604": ("任楼街道", "杨庄街道", "烈山镇", "宋疃镇", "古饶镇"),
           "340621": ("濉溪镇", "韩村镇", "刘桥镇", "百善镇", "临涣镇", "铁佛镇"),
           "340600": ("市直机关", "市经开区", "市高新区")}


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _mobile(rng: random.Random) -> str:
    prefix = rng.choice(("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                         "152", "155", "156", "158", "159", "173", "177", "180", "181", "183", "186",
                         "187", "188", "189", "199"))
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def _id_number(rng: random.Random) -> str:
    region = rng.choice(("340602", "340603", "340604", "340621", "340621", "341302", "340603"))
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 52 * 365))
    first17 = f"{region}{birth:%Y%m%d}{rng.randint(1, 999):03d}"
    return first17 + id_number_check_char(first17)


# ---------------------------------------------------------------------------------------
# org_coverage: two monthly snapshots per department
# ---------------------------------------------------------------------------------------
# department, district, organisations at scale 1, share of enterprises
ORG_DEPARTMENTS = (("xiangshan", "340603", 480, 0.70), ("duji", "340602", 260, 0.72),
                   ("lieshan", "340604", 300, 0.70), ("suixi", "340621", 380, 0.66),
                   ("city_swb", "340600", 120, 0.45))
NEW_IN_DECEMBER = 52        # first covered by the ledger in December (absent in November)
LEFT_BEFORE_DECEMBER = 9    # in November only (deregistered)
LOST_COVERAGE = 4           # joint party org reorganised: covered in November, not December
SHOULD_FORM = 7             # >= 3 party members and no party org in December (warning)
MEMBERS_EXCEED_EMPLOYEES = 3  # party members > employees (warning)
FORMS_ESTABLISHED = {"single": 55, "joint": 25, "industry": 10, "regional": 10}
FORMS_CAMPAIGN = {"single": 15, "joint": 40, "industry": 20, "regional": 25}  # 百日攻坚: mostly joint


def _choice_weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _new_credit_code(rng: random.Random, org_type: str, district: str, taken: set) -> str:
    while True:
        if org_type == "enterprise":
            prefix = "91"
            body = ("MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6)) if rng.random() < 0.8
                    else "".join(rng.choice("0123456789") for _ in range(8)))
        else:  # 5x: registered by civil affairs (社会团体 51, 民办非企业单位 52, 基金会 53)
            prefix = rng.choice(("51", "52", "52", "52", "53"))
            body = "MJ" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
        first17 = prefix + district + body + org_code_check_char(body)
        code = first17 + credit_check_character(first17)
        if code not in taken:
            taken.add(code)
            return code


def _new_org_name(rng: random.Random, org_type: str, district: str, taken: set) -> tuple[str, str]:
    place = {"340600": "淮北市", "340603": "淮北市相山区", "340602": "淮北市杜集区",
             "340604": "淮北市烈山区", "340621": "濉溪县"}[district]
    for attempt in range(1_000_000):
        # Large scales exhaust the one-word brands: then two words, then a number.
        brand = rng.choice(BRANDS) if attempt < 20 else rng.choice(BRANDS) + rng.choice(BRANDS)
        brand += str(attempt) if attempt >= 60 else ""
        if org_type == "enterprise":
            trade, industry = rng.choice(ENTERPRISE_TRADES)
            prefix = rng.choice((place, place, "安徽", "淮北"))
            name = f"{prefix}{brand}{trade}{rng.choice(ENTERPRISE_FORMS)}"
        else:
            kind, industry = rng.choice(SOCIAL_KINDS)
            name = f"{place}{brand}{kind}"
        if name not in taken:
            taken.add(name)
            return name, industry
    raise RuntimeError("cannot find a unique organisation name")


def _new_organisation(rng, department, district, share, codes, names) -> dict:
    org_type = "enterprise" if rng.random() < share else "social_org"
    name, industry = _new_org_name(rng, org_type, district, names)
    employees = int(round(2.5 * (300 ** rng.random()))) if org_type == "enterprise" else rng.randint(2, 45)
    return {"_department": department, "credit_code": _new_credit_code(rng, org_type, district, codes),
            "org_name": name, "org_type": org_type, "district_code": district,
            "employee_count": employees, "party_member_count": rng.choice((0, 0, 0, 1, 1, 2)),
            "party_org_form": "none", "has_union": False, "has_youth_league": False,
            "has_womens_federation": False, "instructor_assigned": False, "industry": industry}


def _organisations(seed: int, scale: int) -> tuple[dict, dict]:
    """(December rows, November rows) per department, hitting the targets exactly."""
    rng = _rng(seed, "org_coverage")
    codes, names = set(), set()
    december = [_new_organisation(rng, dept, district, share, codes, names)
                for dept, district, base, share in ORG_DEPARTMENTS for _ in range(base * scale)]

    # Exactly TARGET_ORGS_WITH_PARTY_ORG covered, bigger enterprises likelier.
    covered = _weighted_pick(rng, december, TARGET_ORGS_WITH_PARTY_ORG * scale,
                             lambda o: 1.0 + min(o["employee_count"], 300) / 60)
    covered_ids = {id(o) for o in covered}
    new_in_december = {id(o) for o in rng.sample(december, NEW_IN_DECEMBER * scale)}
    # New party orgs = covered now and (absent from or not covered in) November: top up
    # the newly listed covered ones with organisations formed during the December campaign.
    listed_new = [o for o in covered if id(o) in new_in_december]
    formed_now = rng.sample([o for o in covered if id(o) not in new_in_december],
                            TARGET_NEW_PARTY_ORGS * scale - len(listed_new))
    formed_ids = {id(o) for o in formed_now} | {id(o) for o in listed_new}
    for org in december:
        org["_new_in_december"] = id(org) in new_in_december
        org["_formed_in_december"] = id(org) in formed_ids
        if id(org) in covered_ids:
            forms = FORMS_CAMPAIGN if org["_formed_in_december"] else FORMS_ESTABLISHED
            org["party_org_form"] = _choice_weighted(rng, forms)
        _assign_party_members(rng, org)
        org["instructor_assigned"] = rng.random() < (0.35 if id(org) in covered_ids else 0.55)

    uncovered = [o for o in december if id(o) not in covered_ids]
    for org in rng.sample(uncovered, SHOULD_FORM * scale):  # 应建未建
        org["party_member_count"] = rng.randint(3, 6)
        org["employee_count"] = max(org["employee_count"], org["party_member_count"] + rng.randint(2, 30))
    singles = [o for o in covered if o["party_org_form"] == "single" and o["org_type"] == "social_org"]
    for org in rng.sample(singles, MEMBERS_EXCEED_EMPLOYEES * scale):  # members counted incl. retirees
        org["employee_count"] = org["party_member_count"] - rng.randint(1, 2)

    _assign_mass_orgs(rng, december, covered_ids, TARGET_MASS_ORG_TRUE_TOTAL * scale)
    november = _november_rows(rng, december, uncovered, codes, names, scale)
    by_department = defaultdict(list)
    for org in sorted(december, key=lambda o: o["_new_in_december"]):  # newly listed at the end
        by_department[org["_department"]].append({**org, "report_period": DECEMBER})
    return dict(by_department), november


def _assign_party_members(rng: random.Random, org: dict) -> None:
    if org["party_org_form"] == "single":   # a party branch of its own needs >= 3 members
        members = rng.randint(3, max(3, min(60, org["employee_count"] // 4 + 3)))
        org["party_member_count"] = members
        org["employee_count"] = max(org["employee_count"], members + rng.randint(0, 40))
    else:
        org["party_member_count"] = min(rng.choice((0, 0, 1, 1, 2)), org["employee_count"])


def _assign_mass_orgs(rng: random.Random, orgs: list, covered_ids: set, total: int) -> None:
    """Exactly `total` of the 3 x N union/youth-league/women's-federation flags are true."""
    base = {"has_union": 3.0, "has_youth_league": 1.3, "has_womens_federation": 1.7}
    slots = [(org, flag) for org in orgs for flag in base]

    def weight(slot):
        org, flag = slot
        return base[flag] * (2.5 if id(org) in covered_ids else 1.0) * (1.5 if org["employee_count"] >= 50 else 1.0)

    for org, flag in _weighted_pick(rng, slots, total, weight):
        org[flag] = True


def _november_rows(rng, december, uncovered, codes, names, scale) -> dict:
    """The November snapshot: before the campaign's last month."""
    lost = {id(o) for o in rng.sample([o for o in uncovered if not o["_new_in_december"]
                                       and o["party_member_count"] < 3], LOST_COVERAGE * scale)}
    by_department = defaultdict(list)
    for org in december:
        if org["_new_in_december"]:
            continue
        row = {**org, "report_period": NOVEMBER}
        if org["_formed_in_december"]:
            row["party_org_form"] = "none"
            if row["party_member_count"] >= 3:  # members' party relations were transferred in to form it
                row["party_member_count"] = rng.randint(0, 2)
            for flag in ("has_union", "has_youth_league", "has_womens_federation"):
                row[flag] = row[flag] and rng.random() > 0.3
        if id(org) in lost:
            row["party_org_form"] = "joint"
        by_department[org["_department"]].append(row)
    for dept, district, _base, share in ORG_DEPARTMENTS:
        for _ in range(LEFT_BEFORE_DECEMBER * scale * len(by_department[dept]) // len(december) + 1):
            gone = _new_organisation(rng, dept, district, share, codes, names)
            gone["report_period"] = NOVEMBER
            by_department[dept].insert(rng.randrange(len(by_department[dept]) + 1), gone)
    return dict(by_department)


def _org_coverage_files(seed: int, scale: int) -> list[SampleFile]:
    december, november = _organisations(seed, scale)
    rng = _rng(seed, "org_coverage_files")
    files = [
        SampleFile("xiangshan", "org_coverage", "2024年11月相山区两个覆盖台账.xlsx", november["xiangshan"],
                   Layout(bools=("已建", "未建"), district_style="name", sheet_name="两个覆盖"),
                   _received(NOVEMBER, 5), period=NOVEMBER, note="已建/未建 booleans, district by name"),
        SampleFile("xiangshan", "org_coverage", "2024年12月相山区两个覆盖台账.xlsx", december["xiangshan"],
                   Layout(title_rows=("2024年12月相山区非公企业和社会组织“两个覆盖”台账",
                                      "填报单位：相山区委社会工作部（盖章）　　填报日期：2025年1月6日"),
                          sequence_column="序号", total_row=True, month_style="cn", district_style="short",
                          units={"employee_count": "（人）", "party_member_count": "（名）"},
                          fullwidth_every=37, pad_every=53, sheet_name="台账"),
                   _received(DECEMBER, 6), period=DECEMBER,
                   note="legacy layout: 2 merged title rows, 序号, 合计 row, full-width digits"),
        SampleFile("duji", "org_coverage", "杜集区两个覆盖台账_202411.csv", november["duji"],
                   Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, month_style="compact",
                          bools=("有", "无"), district_style="name"),
                   _received(NOVEMBER, 8), period=NOVEMBER, note="UTF-8 BOM, second aliases, 有/无"),
        SampleFile("duji", "org_coverage", "杜集区两个覆盖台账_202412.csv",
                   _stale_version(rng, december["duji"]),
                   Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, month_style="compact",
                          bools=("有", "无"), district_style="name"),
                   _received(DECEMBER, 7), period=DECEMBER,
                   note="first December version, still November's formation status: superseded by _v2"),
        SampleFile("duji", "org_coverage", "杜集区两个覆盖台账_202412_v2.csv", december["duji"],
                   Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, month_style="compact",
                          bools=("有", "无"), district_style="name"),
                   _received(DECEMBER, 9, 16, 10), period=DECEMBER, note="corrected resubmission"),
        SampleFile("lieshan", "org_coverage", "烈山区两个覆盖台账2024年11月.csv", november["lieshan"],
                   Layout(fmt="csv", encoding="gbk", alias_variant=2, month_style="cn", bools=("√", "×"),
                          enum_spellings={"party_org_form": {"none": ""}}, extra_columns=("备注",)),
                   _received(NOVEMBER, 6), period=NOVEMBER,
                   note="GBK, third aliases (行政区划代码 with codes), √/×, blank = 未组建, 备注 column"),
        SampleFile("lieshan", "org_coverage", "烈山区两个覆盖台账2024年12月.csv", december["lieshan"],
                   Layout(fmt="csv", encoding="gb18030", alias_variant=2, month_style="cn", bools=("√", "×"),
                          enum_spellings={"party_org_form": {"none": "无"}}),
                   _received(DECEMBER, 6), period=DECEMBER, note="GB18030, 无 = 未组建"),
        SampleFile("lieshan", "org_coverage", "烈山区两个覆盖台账2024年12月（补充）.csv",
                   _broken_credit_codes(rng, rng.sample(december["lieshan"], 24 * scale)),
                   Layout(fmt="csv", encoding="gb18030", alias_variant=2, month_style="cn", bools=("√", "×"),
                          omit=("has_womens_federation",)),
                   _received(DECEMBER, 8), period=DECEMBER, outcome="quarantined",
                   note="INVALID: 2 bad credit-code check characters and no 妇联 column"),
        SampleFile("suixi", "org_coverage", "202411_濉溪县两个覆盖台账.xlsx", november["suixi"],
                   Layout(alias_variant=1, headers={"report_period": "统计月份"}, month_style="compact",
                          bools=("Y", "N"), district_style="mixed",
                          enum_spellings={"org_type": {"enterprise": "民营企业"}}),
                   _received(NOVEMBER, 4), period=NOVEMBER, note="Y/N, 民营企业, 202411 months, mixed districts"),
        SampleFile("suixi", "org_coverage", "2024年12月_两个覆盖台账.xlsx", december["suixi"],
                   Layout(omit=("report_period",), district_style="short",
                          units={"employee_count": "（人）"}),
                   _received(DECEMBER, 3), period=DECEMBER, note="no 统计期 column: period from the file name"),
        SampleFile("city_swb", "org_coverage", "市直单位两个覆盖台账-2024-11.csv", november["city_swb"],
                   Layout(fmt="csv", encoding="utf-8", english_headers=True, bools=("true", "false")),
                   _received(NOVEMBER, 9), period=NOVEMBER, note="system export: English headers, UTF-8 without BOM"),
        SampleFile("city_swb", "org_coverage", "市直单位两个覆盖台账-2024-12.xlsx", december["city_swb"],
                   Layout(title_rows=("市直单位非公企业和社会组织“两个覆盖”情况统计表",), bools=("√", "×"),
                          district_style="short", omit=("instructor_assigned",)),
                   _received(DECEMBER, 9), period=DECEMBER, note="1 title row, √/×, 市本级, optional column absent"),
    ]
    return files


def _stale_version(rng: random.Random, rows: list) -> list:
    """The wrong first December file: the campaign's new party orgs not yet entered."""
    stale = []
    for row in rows:
        row = dict(row)
        if row["_formed_in_december"] and not row["_new_in_december"]:
            row["party_org_form"] = "none"
            row["has_youth_league"] = row["has_youth_league"] and rng.random() > 0.5
        stale.append(row)
    return stale[: len(stale) - 6]  # and the last few rows were cut off in the copy-paste


def _broken_credit_codes(rng: random.Random, rows: list) -> list:
    rows = [dict(row) for row in rows]
    for row in rows[3:5]:
        code = row["credit_code"]
        wrong = rng.choice([c for c in CREDIT_ALPHABET if c != code[-1]])
        row["credit_code"] = code[:-1] + wrong
    return rows


# ---------------------------------------------------------------------------------------
# service_activity
# ---------------------------------------------------------------------------------------
ACTIVITY_DEPARTMENTS = {"xiangshan": 64, "duji": 36, "lieshan": 44, "suixi": 48, "city_swb": 24, "city_vol": 32}
ACTIVITY_ID_FORMATS = {"xiangshan": "XSHD2024{:03d}", "duji": "DJ-HD-2024-{:03d}", "lieshan": "LS2024HD{:03d}",
                       "suixi": "SXHD-{:04d}", "city_swb": "SGB-HD-{:03d}", "city_vol": "ZYFW-2024-{:03d}"}
CATEGORY_WEIGHTS = {"training": 14, "lecture": 14, "visit": 14, "volunteer": 22, "mediation": 8,
                    "micro_wish": 8, "health_check": 7, "legal_aid": 7, "other": 6}
PARTICIPANT_RANGES = {"training": (30, 300), "lecture": (50, 500), "visit": (10, 120), "volunteer": (20, 400),
                      "mediation": (2, 10), "micro_wish": (5, 60), "health_check": (30, 300),
                      "legal_aid": (5, 80), "other": (10, 200)}
ACTIVITY_TITLES = {
    "training": ("暖“新”讲堂——交通安全培训", "新就业群体技能提升培训", "非公党务工作者示范培训班", "党建指导员业务培训"),
    "lecture": ("党的二十届三中全会精神宣讲进商圈", "“红领讲堂”专题宣讲", "新兴领域理论宣讲进园区"),
    "visit": ("“七一”走访慰问困难党员", "元旦走访慰问快递小哥", "夏送清凉慰问外卖骑手"),
    "volunteer": ("“3·5”学雷锋志愿服务", "爱心助考志愿服务", "“12·5”国际志愿者日主题活动", "“红淮集市”便民服务",
                  "文明交通志愿劝导"),
    "mediation": ("“一杯茶”矛盾纠纷调解", "小推车“六推”调解进小区", "物业纠纷联合调解"),
    "micro_wish": ("圆梦“微心愿”活动", "新就业群体子女“微心愿”认领"),
    "health_check": ("新就业群体免费健康体检", "健康管理单元义诊进社区"),
    "legal_aid": ("法律援助进社区", "新就业群体法律援助站咨询日"),
    "other": ("“骑手友好社区”共建座谈", "产业链党建研讨会", "积分超市兑换日"),
}
TARGET_GROUPS_FOR = {"training": ("new_employment", "enterprise", "other"), "lecture": ("enterprise", "residents", "youth"),
                     "visit": ("new_employment", "elderly", "other"), "volunteer": ("residents", "youth", "elderly", "other"),
                     "mediation": ("residents", "other"), "micro_wish": ("new_employment", "youth"),
                     "health_check": ("new_employment", "elderly"), "legal_aid": ("new_employment", "residents"),
                     "other": ("new_employment", "enterprise", "residents")}
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
    category = _choice_weighted(rng, CATEGORY_WEIGHTS)
    low, high = PARTICIPANT_RANGES[category]
    participants = rng.randint(low, high)
    volunteers = rng.randint(5, 60) if category == "volunteer" else rng.choice((0, 0, 2, 3, 5, 8))
    hours = volunteers * rng.randint(2, 6) if category == "volunteer" else rng.choice((1, 1.5, 2, 2, 3, 4))
    day = dt.date(YEAR, 1, 2) + dt.timedelta(days=rng.randint(0, 362))
    record = {"activity_id": ACTIVITY_ID_FORMATS[department].format(seq), "activity_date": day,
              "district_code": district, "category": category,
              "target_group": rng.choice(TARGET_GROUPS_FOR[category]), "participants": participants,
              "volunteers": volunteers, "service_hours": hours,
              "title": rng.choice(ACTIVITY_TITLES[category]),
              "organizer": rng.choice(STREETS[district]) + rng.choice(("党工委", "社区党委", "", "新就业群体党委"))}
    if participants >= 30 and rng.random() < 0.08:  # clerks round larger crowds only
        record["participants"], shown = _approximate(rng, participants)
        record["_shown"] = {"participants": shown}
    return record


def _activities(seed: int, scale: int) -> dict[str, list]:
    rng = _rng(seed, "service_activity")
    jurisdiction = {code: dept.reports_for for code, dept in departments().items()}
    by_department = {}
    for dept, base in ACTIVITY_DEPARTMENTS.items():
        allowed = sorted(jurisdiction[dept]) if jurisdiction[dept] else sorted(districts())
        by_department[dept] = [_activity(rng, dept, seq, rng.choice(allowed)) for seq in range(1, base * scale + 1)]
    seq = len(by_department["city_vol"])
    for title, district, day, volunteers, hours, participants in FITNESS_GAMES:
        seq += 1
        number = int(re.sub(r"\D", "", participants))
        record = {"activity_id": ACTIVITY_ID_FORMATS["city_vol"].format(seq), "activity_date": day,
                  "district_code": district, "category": "volunteer", "target_group": "other",
                  "participants": number, "volunteers": volunteers, "service_hours": hours,
                  "title": f"安徽省第六届全民健身运动会（{FITNESS_GAMES_MARK}）志愿服务——{title}",
                  "organizer": "市志愿服务联合会（省六健会志愿者工作组）"}
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


def _service_activity_files(seed: int, scale: int) -> list[SampleFile]:
    acts = _activities(seed, scale)
    quarter_end = {q: dt.date(YEAR, 3 * q, 1) for q in range(1, 5)}
    files = []
    for q in range(1, 5):
        files.append(SampleFile(
            "xiangshan", "service_activity", f"2024年第{q}季度服务活动台账.xlsx", _in_quarter(acts["xiangshan"], q),
            Layout(date_style="excel", district_style="short",
                   units={"service_hours": "（小时）", "participants": "（人次）"}),
            _received(quarter_end[q], 5), note="Excel date cells, units in headers, approximate counts"))
        files.append(SampleFile(
            "lieshan", "service_activity", f"2024Q{q}_服务活动.csv", _in_quarter(acts["lieshan"], q),
            Layout(fmt="csv", encoding="gb18030", alias_variant=2, date_style="dot", district_style="name",
                   hours_suffix_every=4),
            _received(quarter_end[q], 7), note="GB18030, dates 2024.5.6, hours like 3小时"))
        files.append(SampleFile(
            "suixi", "service_activity", f"濉溪县服务活动台账（2024年{3 * q - 2:02d}-{3 * q:02d}月）.xlsx",
            _in_quarter(acts["suixi"], q),
            Layout(alias_variant=1, date_style="cn", district_style="mixed", fullwidth_every=9),
            _received(quarter_end[q], 8), note="dates 2024年5月6日, full-width digits"))
    for half in (1, 2):
        label = "上半年" if half == 1 else "下半年"
        files.append(SampleFile(
            "duji", "service_activity", f"杜集区服务活动台账_2024{label}.csv", _in_half(acts["duji"], half),
            Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, date_style="mixed", district_style="code",
                   units={"service_hours": "(h)"}, hours_suffix_every=3),
            _received(dt.date(YEAR, 6 * half, 1), 6), note="mixed date formats in one column"))
        files.append(SampleFile(
            "city_swb", "service_activity", f"市委社会工作部服务活动台账_2024H{half}.xlsx", _in_half(acts["city_swb"], half),
            Layout(title_rows=(f"市委社会工作部{YEAR}年{label}服务活动台账",),
                   date_style="serial" if half == 2 else "slash", district_style="name"),
            _received(dt.date(YEAR, 6 * half, 1), 10), note="title row; H2 dates as Excel serial numbers"))
    # city_vol: quarterly CSV; Q4 re-reports one Q3 activity with a corrected count.
    vol = acts["city_vol"]
    corrected = dict(next(r for r in _in_quarter(vol, 3) if FITNESS_GAMES_MARK not in r["title"]))
    corrected["participants"] += 15
    corrected.pop("_shown", None)
    for q in range(1, 5):
        records = _in_quarter(vol, q) + ([corrected] if q == 4 else [])
        files.append(SampleFile(
            "city_vol", "service_activity", f"志愿服务活动台账_2024Q{q}.csv", records,
            Layout(fmt="csv", encoding="utf-8-sig", date_style="slash", district_style="mixed"),
            _received(quarter_end[q], 4),
            note="省六健会 activities (Q3)" if q == 3 else "re-reports a Q3 activity, corrected" if q == 4 else ""))
    original = next(f for f in files if f.name == "2024Q2_服务活动.csv")
    files.append(replace(original, name="2024Q2_服务活动_副本.csv", outcome="duplicate", copy_of=original.name,
                         received_at=original.received_at + dt.timedelta(days=2),
                         note="byte-identical copy of 2024Q2_服务活动.csv: registered and loaded once"))
    return files


# ---------------------------------------------------------------------------------------
# suggestion: monthly files, status moving over time
# ---------------------------------------------------------------------------------------
# department, suggestions received in 2024 at scale 1, first reporting month
SUGGESTION_DEPARTMENTS = (("city_xfj", 380, 1), ("city_swb", 300, 5), ("xiangshan", 420, 5),
                          ("duji", 210, 5), ("lieshan", 243, 5), ("suixi", 250, 5))
SUGGESTION_ID_FORMATS = {"city_xfj": "XFJ{year}-{seq:04d}", "city_swb": "SWB-JY-{year}-{seq:04d}",
                         "xiangshan": "XSJY{year}{seq:04d}", "duji": "DJ-{year}-{seq:04d}",
                         "lieshan": "LSJY-{year}-{seq:04d}", "suixi": "SXJY{year}{seq:04d}"}
FOR_REFERENCE, REJECTED = 250, 120        # at scale 1; the rest of the non-converted are still open
CARRIED_FROM_2023 = 4                     # city_xfj: received December 2023, concluded in 2024
MALFORMED_PHONES, INVALID_ID_NUMBERS = 2, 2
CROSS_MONTH_SHARE = 0.12                  # concluded after the month it was first reported in
CHANNELS_DISTRICT = {"npc": 12, "cppcc": 12, "united_front": 8, "people_org": 10, "box": 18, "online": 25, "hotline": 15}
CHANNELS_PETITION = {"petition": 55, "hotline": 40, "online": 5}
MONTH_WEIGHTS = (5, 5, 6, 7, 9, 10, 10, 10, 9, 10, 10, 9)
TOPIC_TITLES = {
    "community": ("关于{c}增设电动自行车充电桩的建议", "关于{c}老旧小区加装电梯的建议", "关于规范{c}物业收费的建议",
                  "关于{c}停车位管理的建议", "关于发挥红色物业作用助力{c}治理的建议"),
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
    final_status: str           # a concluded status, or received/in_progress if open at year end
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
        return {**self.fields, "status": status,
                "concluded_date": self.concluded if status in CONCLUDED_STATUSES else None}


def _random_received(rng: random.Random) -> dt.date:
    month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
    return dt.date(YEAR, month, rng.randint(1, _month_end(dt.date(YEAR, month, 1)).day))


def _suggestion_fields(rng: random.Random, department: str, seq: int, received: dt.date, year: int) -> dict:
    allowed = departments()[department].reports_for
    district = rng.choice(sorted(allowed) if allowed else sorted(districts()))
    channels = CHANNELS_PETITION if department == "city_xfj" else CHANNELS_DISTRICT
    topic = _choice_weighted(rng, TOPIC_WEIGHTS)
    title = rng.choice(TOPIC_TITLES[topic]).format(
        c=rng.choice(COMMUNITIES), p=rng.choice(PLACES), r=rng.choice(ROADS), s=rng.choice(STREETS[district]))
    name = _person_name(rng) if rng.random() < 0.85 else None
    phone = (_mobile(rng) if rng.random() < 0.9 else f"0561-{rng.randint(2000000, 8999999)}") if name else None
    content = f"群众反映：{title[2:-3]}，希望有关部门研究解决。"
    if rng.random() < 0.04:  # clerks paste the caller's number into the text (masked at ingest)
        content += f"联系人电话{_mobile(rng)}，请回电。"
    return {"suggestion_id": SUGGESTION_ID_FORMATS[department].format(year=year, seq=seq),
            "received_date": received, "channel": _choice_weighted(rng, channels), "district_code": district,
            "topic": topic, "title": title, "content": content, "submitter_name": name,
            "submitter_phone": phone, "submitter_id_number": _id_number(rng) if name and rng.random() < 0.45 else None,
            "handling_unit": rng.choice(HANDLING_UNITS)}


def _suggestions(seed: int, scale: int) -> list[Suggestion]:
    rng = _rng(seed, "suggestion")
    slots = [(dept, first) for dept, base, first in SUGGESTION_DEPARTMENTS for _ in range(base * scale)]
    rng.shuffle(slots)
    n_converted = TARGET_SUGGESTIONS_CONVERTED * scale
    finals = ([_choice_weighted(rng, STATUS_SPLIT_CONVERTED) for _ in range(n_converted)]
              + ["for_reference"] * (FOR_REFERENCE * scale) + ["rejected"] * (REJECTED * scale))
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
    first_end = _month_end(dt.date(YEAR, max(received.month, first_month), 1))
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
            as_of = _month_end(dt.date(YEAR, month, 1))
            status = life.status_on(as_of)
            if status != last_status:
                rows[month].append(life.version_on(as_of))
                last_status = status
    for month in rows:
        rows[month].sort(key=lambda r: r["suggestion_id"])
    return rows


SUGGESTION_FILE_STYLES = {
    "city_xfj": (lambda m: f"信访渠道人民建议_2024-{m:02d}.xlsx",
                 Layout(date_style="excel", district_style="name")),
    "city_swb": (lambda m: f"人民建议征集台账（2024年{m:02d}月）.xlsx",
                 Layout(title_rows=("市委社会工作部人民建议征集台账",), alias_variant=1, date_style="cn",
                        district_style="short", enum_spellings={"channel": {"online": "网上征集"}})),
    "xiangshan": (lambda m: f"2024年{m:02d}月_人民建议征集台账.xlsx",
                  Layout(date_style="excel", district_style="short")),
    "duji": (lambda m: f"杜集区人民建议_2024{m:02d}.csv",
             Layout(fmt="csv", encoding="utf-8-sig", alias_variant=1, date_style="slash", district_style="code")),
    "lieshan": (lambda m: f"烈山区人民建议征集_2024年{m:02d}月.csv",
                Layout(fmt="csv", encoding="gbk", alias_variant=2, date_style="mixed", district_style="name")),
    "suixi": (lambda m: f"濉溪县人民建议征集台账2024{m:02d}.xlsx",
              Layout(alias_variant=2, date_style="dot", district_style="mixed")),
}


def _suggestion_files(seed: int, scale: int) -> list[SampleFile]:
    lives = _suggestions(seed, scale)
    rng = _rng(seed, "suggestion_files")
    files = []
    for offset, (dept, _base, first_month) in enumerate(SUGGESTION_DEPARTMENTS):
        name_of, layout = SUGGESTION_FILE_STYLES[dept]
        for month, rows in sorted(_monthly_versions(lives, dept, first_month).items()):
            received = _received(dt.date(YEAR, month, 1), 3 + offset, 10 + offset)
            if dept == "lieshan" and month == 8:
                received += dt.timedelta(days=10)  # late: due on the 10th
            name = name_of(month)
            if dept == "city_xfj" and month == 12:  # the December export came from the new system
                name, layout = name.replace(".xlsx", ".json"), Layout(fmt="json", encoding="utf-8", date_style="slash")
            files.append(SampleFile(dept, "suggestion", name, rows, layout, received,
                                    note="status updates of earlier suggestions" if month > first_month else ""))
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
    return SampleFile("xiangshan", "suggestion", "2024年09月_人民建议征集台账_补报.xlsx", rows,
                      SUGGESTION_FILE_STYLES["xiangshan"][1],
                      _received(dt.date(YEAR, 9, 1), 12, 15), outcome="quarantined",
                      note="INVALID: a 濉溪县 record from 相山 (outside jurisdiction)")


# ---------------------------------------------------------------------------------------
# Plan, lifecycle and expected figures
# ---------------------------------------------------------------------------------------
def sample_plan(scale: int = 1, seed: int = 2024) -> list[SampleFile]:
    """Every sample file, in memory, with its intended outcome."""
    files = _org_coverage_files(seed, scale) + _service_activity_files(seed, scale) + _suggestion_files(seed, scale)
    _mark_superseded(files)
    _check_order(files)
    return sorted(files, key=lambda f: f.relative_path)


def _mark_superseded(files: list[SampleFile]) -> None:
    """Snapshots: the latest accepted file per (department, period) wins."""
    latest = {}
    for f in sorted(files, key=lambda f: f.received_at):
        if f.submission_type == "org_coverage" and f.outcome == "loaded":
            key = (f.department, f.period)
            if key in latest:
                latest[key].outcome = "superseded"
            latest[key] = f


def _check_order(files: list[SampleFile]) -> None:
    """Within a folder, name order must be arrival order: the pipeline may process by name."""
    folders = defaultdict(list)
    for f in files:
        folders[(f.department, f.submission_type)].append(f)
    for group in folders.values():
        by_name = [f.name for f in sorted(group, key=lambda f: f.name)]
        by_time = [f.name for f in sorted(group, key=lambda f: f.received_at)]
        if by_name != by_time:
            raise RuntimeError(f"name order != arrival order: {by_name} vs {by_time}")


def intended_outcomes(scale: int = 1, seed: int = 2024) -> dict[str, str]:
    """relative path -> loaded | superseded | quarantined | duplicate."""
    return {f.relative_path: f.outcome for f in sample_plan(scale, seed)}


def _latest_versions(files: list[SampleFile], submission_type: str, key: str) -> dict:
    """Events: the latest accepted version of each (department, key)."""
    latest = {}
    for f in sorted(files, key=lambda f: f.received_at):
        if f.submission_type == submission_type and f.outcome in ("loaded", "superseded"):
            for record in f.records:
                latest[(f.department, record[key])] = record
    return latest


def figures_from_plan(files: list[SampleFile]) -> dict:
    """The headline figures the accepted files should produce, by the lifecycle rules."""
    def snapshot(period):
        return [r for f in files if f.submission_type == "org_coverage" and f.outcome == "loaded"
                and f.period == period for r in f.records]

    december, november = snapshot(DECEMBER), snapshot(NOVEMBER)
    covered_before = {r["credit_code"] for r in november if r["party_org_form"] != "none"}
    n = len(december)
    with_party = sum(r["party_org_form"] != "none" for r in december)
    mass = sum(r[flag] for r in december for flag in ("has_union", "has_youth_league", "has_womens_federation"))
    suggestions = [r for r in _latest_versions(files, "suggestion", "suggestion_id").values()
                   if r["received_date"].year == YEAR]
    activities = _latest_versions(files, "service_activity", "activity_id")
    games = [r for (dept, _), r in activities.items() if dept == "city_vol" and FITNESS_GAMES_MARK in r["title"]]
    return {
        "orgs_total": n,
        "orgs_with_party_org": with_party,
        "party_org_coverage_pct": round(100 * with_party / n, 2),
        "mass_org_true_total": mass,
        "mass_org_avg_coverage_pct": round(100 * mass / (3 * n), 2),
        "new_party_orgs": sum(r["party_org_form"] != "none" and r["credit_code"] not in covered_before
                              for r in december),
        "suggestions_received": len(suggestions),
        "suggestions_converted": sum(r["status"] in CONVERTED_STATUSES for r in suggestions),
        "activities": len(activities),
        "fitness_games_volunteers": sum(r["volunteers"] for r in games),
        "fitness_games_service_hours": sum(r["service_hours"] for r in games),
    }


def expected_figures(scale: int = 1, seed: int = 2024) -> dict:
    return figures_from_plan(sample_plan(scale, seed))


def target_figures(scale: int = 1) -> dict:
    """The annual summary's figures (row-count targets multiplied by scale)."""
    return {
        "orgs_total": TARGET_ORGS_TOTAL * scale,
        "orgs_with_party_org": TARGET_ORGS_WITH_PARTY_ORG * scale,
        "party_org_coverage_pct": TARGET_PARTY_ORG_COVERAGE_PCT,
        "mass_org_true_total": TARGET_MASS_ORG_TRUE_TOTAL * scale,
        "mass_org_avg_coverage_pct": TARGET_MASS_ORG_AVG_COVERAGE_PCT,
        "new_party_orgs": TARGET_NEW_PARTY_ORGS * scale,
        "suggestions_received": TARGET_SUGGESTIONS_RECEIVED * scale,
        "suggestions_converted": TARGET_SUGGESTIONS_CONVERTED * scale,
        "fitness_games_volunteers": TARGET_FITNESS_GAMES_VOLUNTEERS,
        "fitness_games_service_hours": TARGET_FITNESS_GAMES_SERVICE_HOURS,
    }


# ---------------------------------------------------------------------------------------
# Rendering: canonical records -> what the clerk typed
# ---------------------------------------------------------------------------------------
FULLWIDTH = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ－")
DATE_STYLES = ("iso", "slash", "dot", "cn")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _short_names() -> dict[str, list[str]]:
    names = defaultdict(list)
    full = districts()
    for spelling, code in district_lookup().items():
        if spelling not in (code, full[code]):
            names[code].append(spelling)
    return names


def _header_text(column: Column, layout: Layout) -> str:
    if column.name in layout.headers:
        text = layout.headers[column.name]
    elif layout.english_headers:
        text = column.name
    else:
        options = [a for a in column.aliases if not a.isascii()] or [column.label_zh]
        text = options[layout.alias_variant % len(options)]
    return text + layout.units.get(column.name, "")


def _format_date(day: dt.date, style: str, row_no: int, fmt: str):
    if style == "mixed":
        style = DATE_STYLES[row_no % len(DATE_STYLES)]
    if style == "excel":
        return dt.datetime(day.year, day.month, day.day) if fmt == "xlsx" else day.isoformat()
    if style == "serial":
        return (day - EXCEL_EPOCH).days if fmt == "xlsx" else day.isoformat()
    return {"iso": f"{day:%Y-%m-%d}", "slash": f"{day.year}/{day.month}/{day.day}",
            "dot": f"{day.year}.{day.month}.{day.day}", "cn": f"{day.year}年{day.month}月{day.day}日"}[style]


def _format_month(day: dt.date, style: str) -> str:
    return {"iso": f"{day:%Y-%m}", "cn": f"{day.year}年{day.month}月", "compact": f"{day:%Y%m}"}[style]


def _format_district(code: str, style: str, row_no: int, short: dict) -> str:
    if style == "mixed":
        style = ("code", "name", "short")[row_no % 3]
    return {"code": code, "name": districts()[code], "short": short[code][0] if short[code] else code}[style]


def _cell(column: Column, record: dict, layout: Layout, row_no: int, short: dict):
    """The value as written for a 1-based data row number."""
    fullwidth = layout.fullwidth_every and row_no % layout.fullwidth_every == 0
    if column.name in record.get("_shown", {}):
        return record["_shown"][column.name]
    value = record.get(column.name)
    if value is None:
        return None
    kind = column.type
    if kind == "month":
        return _format_month(value, layout.month_style)
    if kind == "date":
        return _format_date(value, layout.date_style, row_no, layout.fmt)
    if kind == "boolean":
        return layout.bools[0] if value else layout.bools[1]
    if kind == "enum":
        spelling = layout.enum_spellings.get(column.name, {}).get(value, column.values[value][0])
        return spelling or None
    if kind == "district":
        return _format_district(value, layout.district_style, row_no, short)
    if kind in ("integer", "decimal"):
        if column.name == "service_hours" and layout.hours_suffix_every and row_no % layout.hours_suffix_every == 0:
            return f"{value:g}小时"
        return str(value).translate(FULLWIDTH) if fullwidth else value
    if kind == "credit_code":
        return value.translate(FULLWIDTH) if fullwidth else value
    if column.name in ("org_name", "title") and layout.pad_every and row_no % layout.pad_every == 0:
        return f"\u3000{value}\u3000"
    return value


def render_table(sample: SampleFile) -> tuple[list[str], list[list]]:
    """(header, data rows) exactly as the file carries them (without title and total rows)."""
    contract = get_contract(sample.submission_type)
    layout = sample.layout
    columns = [c for c in contract.columns if c.name not in layout.omit]
    short = _short_names()
    header = ([layout.sequence_column] if layout.sequence_column else []) + \
             [_header_text(c, layout) for c in columns] + list(layout.extra_columns)
    rows = []
    for row_no, record in enumerate(sample.records, start=1):
        cells = [row_no] if layout.sequence_column else []
        cells += [_cell(c, record, layout, row_no, short) for c in columns]
        cells += [None] * len(layout.extra_columns)
        rows.append(cells)
    if layout.total_row:
        rows.append(_total_row(sample, columns))
    return header, rows


def _total_row(sample: SampleFile, columns: list[Column]) -> list:
    cells = ["合计"] if sample.layout.sequence_column else []
    for column in columns:
        if column.type in ("integer", "decimal"):
            cells.append(sum(r[column.name] for r in sample.records))
        else:
            cells.append(None)
    if not sample.layout.sequence_column:
        cells[0] = "合计"
    return cells + [None] * len(sample.layout.extra_columns)


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)


def _write_csv(path: Path, sample: SampleFile) -> None:
    header, rows = render_table(sample)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for title in sample.layout.title_rows:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows([[_plain(v) for v in row] for row in rows])
    path.write_bytes(out.getvalue().encode(sample.layout.encoding))


def _write_json(path: Path, sample: SampleFile) -> None:
    header, rows = render_table(sample)
    records = [{h: v for h, v in zip(header, row) if v is not None} for row in rows]
    text = json.dumps(records, ensure_ascii=False, indent=1, default=_plain)
    path.write_bytes(text.encode(sample.layout.encoding))


def _write_xlsx(path: Path, sample: SampleFile) -> None:
    header, rows = render_table(sample)
    book = Workbook()
    sheet = book.active
    sheet.title = sample.layout.sheet_name
    for title in sample.layout.title_rows:  # merged across the table, as clerks lay them out
        sheet.append([title])
        r = sheet.max_row
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
        sheet.cell(r, 1).font = Font(bold=True, size=14 if r == 1 else 11)
        sheet.cell(r, 1).alignment = Alignment(horizontal="center" if r == 1 else "left")
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy/m/d"
    for letter, text in zip((c.column_letter for c in sheet[len(sample.layout.title_rows) + 1]), header):
        sheet.column_dimensions[letter].width = max(8, min(40, 2 * len(str(text)) + 2))
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_pinned_zip(buffer.getvalue()))


FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
FIXED_CORE_TIME = "2025-01-01T00:00:00Z"


def _pinned_zip(data: bytes) -> bytes:
    """Rewrite an xlsx with fixed timestamps so the same plan gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_CORE_TIME.encode(), content)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


WRITERS = {"xlsx": _write_xlsx, "csv": _write_csv, "json": _write_json}


def write_samples(out_dir, scale: int = 1, seed: int = 2024) -> list[Path]:
    """Write the sample landing zone under out_dir; returns the files written, in name order.

    Deterministic for (scale, seed). Modification times follow arrival order, so sorting a
    folder by name or by mtime gives the same sequence.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    root = Path(out_dir)
    written = []
    for sample in sample_plan(scale, seed):
        folder = root / sample.department / sample.submission_type
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / sample.name
        if sample.copy_of:
            shutil.copyfile(folder / sample.copy_of, path)
        else:
            WRITERS[sample.layout.fmt](path, sample)
        stamp = sample.received_at.timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    return written


def describe_plan(scale: int = 1, seed: int = 2024) -> list[dict]:
    """One line per file (for the README and the demo summary)."""
    return [{"path": f.relative_path, "format": f.layout.fmt, "rows": len(f.records),
             "received_at": f.received_at.isoformat(), "outcome": f.outcome, "note": f.note}
            for f in sample_plan(scale, seed)]
