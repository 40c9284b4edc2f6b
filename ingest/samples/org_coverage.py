"""Sample org_coverage files: two monthly snapshots per district department."""

from __future__ import annotations

import random
from collections import defaultdict

from ingest.quality.checks import CREDIT_ALPHABET, credit_check_character
from ingest.samples.common import (
    BRANDS,
    DECEMBER,
    ENTERPRISE_FORMS,
    ENTERPRISE_TRADES,
    NOVEMBER,
    SOCIAL_KINDS,
    TARGET_MASS_ORG_TRUE_TOTAL,
    TARGET_NEW_PARTY_ORGS,
    TARGET_ORGS_WITH_PARTY_ORG,
    Layout,
    SampleFile,
    choice_weighted,
    landing_time,
    org_code_check_char,
    topic_rng,
    weighted_pick,
)

# ---------------------------------------------------------------------------------------
# org_coverage: two monthly snapshots per department
# ---------------------------------------------------------------------------------------
# department, district, organisations at scale 1, share of enterprises
ORG_DEPARTMENTS = (
    ("xiangshan", "340603", 480, 0.70),
    ("duji", "340602", 260, 0.72),
    ("lieshan", "340604", 300, 0.70),
    ("suixi", "340621", 380, 0.66),
    ("city_swb", "340600", 120, 0.45),
)
NEW_IN_DECEMBER = 52  # first covered by the ledger in December (absent in November)
LEFT_BEFORE_DECEMBER = 9  # in November only (deregistered)
LOST_COVERAGE = 4  # joint party org reorganised: covered in November, not December
SHOULD_FORM = 7  # >= 3 party members and no party org in December (warning)
MEMBERS_EXCEED_EMPLOYEES = 3  # party members > employees (warning)
FORMS_ESTABLISHED = {"single": 55, "joint": 25, "industry": 10, "regional": 10}
FORMS_CAMPAIGN = {"single": 15, "joint": 40, "industry": 20, "regional": 25}  # 百日攻坚: mostly joint


def _new_credit_code(rng: random.Random, org_type: str, district: str, taken: set) -> str:
    while True:
        if org_type == "enterprise":
            prefix = "91"
            body = (
                "MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
                if rng.random() < 0.8
                else "".join(rng.choice("0123456789") for _ in range(8))
            )
        else:  # 5x: registered by civil affairs (社会团体 51, 民办非企业单位 52, 基金会 53)
            prefix = rng.choice(("51", "52", "52", "52", "53"))
            body = "MJ" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
        first17 = prefix + district + body + org_code_check_char(body)
        code = first17 + credit_check_character(first17)
        if code not in taken:
            taken.add(code)
            return code


def _new_org_name(rng: random.Random, org_type: str, district: str, taken: set) -> tuple[str, str]:
    place = {
        "340600": "淮北市",
        "340603": "淮北市相山区",
        "340602": "淮北市杜集区",
        "340604": "淮北市烈山区",
        "340621": "濉溪县",
    }[district]
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
    return {
        "_department": department,
        "credit_code": _new_credit_code(rng, org_type, district, codes),
        "org_name": name,
        "org_type": org_type,
        "district_code": district,
        "employee_count": employees,
        "party_member_count": rng.choice((0, 0, 0, 1, 1, 2)),
        "party_org_form": "none",
        "has_union": False,
        "has_youth_league": False,
        "has_womens_federation": False,
        "instructor_assigned": False,
        "industry": industry,
    }


def _organisations(seed: int, scale: int) -> tuple[dict, dict]:
    """(December rows, November rows) per department, hitting the targets exactly."""
    rng = topic_rng(seed, "org_coverage")
    codes, names = set(), set()
    december = [
        _new_organisation(rng, dept, district, share, codes, names)
        for dept, district, base, share in ORG_DEPARTMENTS
        for _ in range(base * scale)
    ]

    # Exactly TARGET_ORGS_WITH_PARTY_ORG covered, bigger enterprises likelier.
    covered = weighted_pick(
        rng, december, TARGET_ORGS_WITH_PARTY_ORG * scale, lambda o: 1.0 + min(o["employee_count"], 300) / 60
    )
    covered_ids = {id(o) for o in covered}
    new_in_december = {id(o) for o in rng.sample(december, NEW_IN_DECEMBER * scale)}
    # New party orgs = covered now and (absent from or not covered in) November: top up
    # the newly listed covered ones with organisations formed during the December campaign.
    listed_new = [o for o in covered if id(o) in new_in_december]
    formed_now = rng.sample(
        [o for o in covered if id(o) not in new_in_december], TARGET_NEW_PARTY_ORGS * scale - len(listed_new)
    )
    formed_ids = {id(o) for o in formed_now} | {id(o) for o in listed_new}
    for org in december:
        org["_new_in_december"] = id(org) in new_in_december
        org["_formed_in_december"] = id(org) in formed_ids
        if id(org) in covered_ids:
            forms = FORMS_CAMPAIGN if org["_formed_in_december"] else FORMS_ESTABLISHED
            org["party_org_form"] = choice_weighted(rng, forms)
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
    if org["party_org_form"] == "single":  # a party branch of its own needs >= 3 members
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

    for org, flag in weighted_pick(rng, slots, total, weight):
        org[flag] = True


def _november_rows(rng, december, uncovered, codes, names, scale) -> dict:
    """The November snapshot: before the campaign's last month."""
    lost = {
        id(o)
        for o in rng.sample(
            [o for o in uncovered if not o["_new_in_december"] and o["party_member_count"] < 3], LOST_COVERAGE * scale
        )
    }
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


def plan_org_coverage_files(seed: int, scale: int) -> list[SampleFile]:
    december, november = _organisations(seed, scale)
    rng = topic_rng(seed, "org_coverage_files")
    files = [
        SampleFile(
            "xiangshan",
            "org_coverage",
            "2024年11月相山区两个覆盖台账.xlsx",
            november["xiangshan"],
            Layout(bools=("已建", "未建"), district_style="name", sheet_name="两个覆盖"),
            landing_time(NOVEMBER, 5),
            period=NOVEMBER,
            note="已建/未建 booleans, district by name",
        ),
        SampleFile(
            "xiangshan",
            "org_coverage",
            "2024年12月相山区两个覆盖台账.xlsx",
            december["xiangshan"],
            Layout(
                title_rows=(
                    "2024年12月相山区非公企业和社会组织“两个覆盖”台账",
                    "填报单位：相山区委社会工作部（盖章）　　填报日期：2025年1月6日",
                ),
                sequence_column="序号",
                total_row=True,
                month_style="cn",
                district_style="short",
                units={"employee_count": "（人）", "party_member_count": "（名）"},
                fullwidth_every=37,
                pad_every=53,
                sheet_name="台账",
            ),
            landing_time(DECEMBER, 6),
            period=DECEMBER,
            note="legacy layout: 2 merged title rows, 序号, 合计 row, full-width digits",
        ),
        SampleFile(
            "duji",
            "org_coverage",
            "杜集区两个覆盖台账_202411.csv",
            november["duji"],
            Layout(
                fmt="csv",
                encoding="utf-8-sig",
                alias_variant=1,
                month_style="compact",
                bools=("有", "无"),
                district_style="name",
            ),
            landing_time(NOVEMBER, 8),
            period=NOVEMBER,
            note="UTF-8 BOM, second aliases, 有/无",
        ),
        SampleFile(
            "duji",
            "org_coverage",
            "杜集区两个覆盖台账_202412.csv",
            _stale_version(rng, december["duji"]),
            Layout(
                fmt="csv",
                encoding="utf-8-sig",
                alias_variant=1,
                month_style="compact",
                bools=("有", "无"),
                district_style="name",
            ),
            landing_time(DECEMBER, 7),
            period=DECEMBER,
            note="first December version, still November's formation status: superseded by _v2",
        ),
        SampleFile(
            "duji",
            "org_coverage",
            "杜集区两个覆盖台账_202412_v2.csv",
            december["duji"],
            Layout(
                fmt="csv",
                encoding="utf-8-sig",
                alias_variant=1,
                month_style="compact",
                bools=("有", "无"),
                district_style="name",
            ),
            landing_time(DECEMBER, 9, 16, 10),
            period=DECEMBER,
            note="corrected resubmission",
        ),
        SampleFile(
            "lieshan",
            "org_coverage",
            "烈山区两个覆盖台账2024年11月.csv",
            november["lieshan"],
            Layout(
                fmt="csv",
                encoding="gbk",
                alias_variant=2,
                month_style="cn",
                bools=("√", "×"),
                enum_spellings={"party_org_form": {"none": ""}},
                extra_columns=("备注",),
            ),
            landing_time(NOVEMBER, 6),
            period=NOVEMBER,
            note="GBK, third aliases (行政区划代码 with codes), √/×, blank = 未组建, 备注 column",
        ),
        SampleFile(
            "lieshan",
            "org_coverage",
            "烈山区两个覆盖台账2024年12月.csv",
            december["lieshan"],
            Layout(
                fmt="csv",
                encoding="gb18030",
                alias_variant=2,
                month_style="cn",
                bools=("√", "×"),
                enum_spellings={"party_org_form": {"none": "无"}},
            ),
            landing_time(DECEMBER, 6),
            period=DECEMBER,
            note="GB18030, 无 = 未组建",
        ),
        SampleFile(
            "lieshan",
            "org_coverage",
            "烈山区两个覆盖台账2024年12月（补充）.csv",
            _broken_credit_codes(rng, rng.sample(december["lieshan"], 24 * scale)),
            Layout(
                fmt="csv",
                encoding="gb18030",
                alias_variant=2,
                month_style="cn",
                bools=("√", "×"),
                omit=("has_womens_federation",),
            ),
            landing_time(DECEMBER, 8),
            period=DECEMBER,
            outcome="quarantined",
            note="INVALID: 2 bad credit-code check characters and no 妇联 column",
        ),
        SampleFile(
            "suixi",
            "org_coverage",
            "202411_濉溪县两个覆盖台账.xlsx",
            november["suixi"],
            Layout(
                alias_variant=1,
                headers={"report_period": "统计月份"},
                month_style="compact",
                bools=("Y", "N"),
                district_style="mixed",
                enum_spellings={"org_type": {"enterprise": "民营企业"}},
            ),
            landing_time(NOVEMBER, 4),
            period=NOVEMBER,
            note="Y/N, 民营企业, 202411 months, mixed districts",
        ),
        SampleFile(
            "suixi",
            "org_coverage",
            "2024年12月_两个覆盖台账.xlsx",
            december["suixi"],
            Layout(omit=("report_period",), district_style="short", units={"employee_count": "（人）"}),
            landing_time(DECEMBER, 3),
            period=DECEMBER,
            note="no 统计期 column: period from the file name",
        ),
        SampleFile(
            "city_swb",
            "org_coverage",
            "市直单位两个覆盖台账-2024-11.csv",
            november["city_swb"],
            Layout(fmt="csv", encoding="utf-8", english_headers=True, bools=("true", "false")),
            landing_time(NOVEMBER, 9),
            period=NOVEMBER,
            note="system export: English headers, UTF-8 without BOM",
        ),
        SampleFile(
            "city_swb",
            "org_coverage",
            "市直单位两个覆盖台账-2024-12.xlsx",
            december["city_swb"],
            Layout(
                title_rows=("市直单位非公企业和社会组织“两个覆盖”情况统计表",),
                bools=("√", "×"),
                district_style="short",
                omit=("instructor_assigned",),
            ),
            landing_time(DECEMBER, 9),
            period=DECEMBER,
            note="1 title row, √/×, 市本级, optional column absent",
        ),
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
