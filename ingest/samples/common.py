"""Shared pieces of the sample generator: headline targets, the plan's data classes, vocabulary."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from ingest.intake.contracts import get_contract
from ingest.quality.checks import ID_CHECK, ID_WEIGHTS

# ---------------------------------------------------------------------------------------
# Headline targets (2024 annual summary). Other tests import these.
# ---------------------------------------------------------------------------------------
TARGET_ORGS_TOTAL = 1540  # orgs in the accepted 2024-12 snapshots
TARGET_ORGS_WITH_PARTY_ORG = 1290  # of which party_org_form != none -> 83.77 %
TARGET_MASS_ORG_TRUE_TOTAL = 3581  # has_union + has_youth_league + has_womens_federation
TARGET_PARTY_ORG_COVERAGE_PCT = 83.77  # 1290 / 1540
TARGET_MASS_ORG_AVG_COVERAGE_PCT = 77.51  # 3581 / (3 * 1540)
TARGET_NEW_PARTY_ORGS = 599  # covered in 2024-12, not covered in (or absent from) 2024-11
TARGET_SUGGESTIONS_RECEIVED = 1803  # latest version per suggestion, received in 2024
TARGET_SUGGESTIONS_CONVERTED = 1237  # ... whose latest status is 已采纳/部分采纳/已转化
TARGET_FITNESS_GAMES_VOLUNTEERS = 270  # city_vol activities titled 省六健会
TARGET_FITNESS_GAMES_SERVICE_HOURS = 4400

FITNESS_GAMES_MARK = "省六健会"
# status groups as the suggestion contract declares them (the marts read the same groups)
CONVERTED_STATUSES = get_contract("suggestion").group("status", "converted")
CONCLUDED_STATUSES = get_contract("suggestion").group("status", "concluded")
YEAR = 2024
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
NOVEMBER, DECEMBER = dt.date(YEAR, 11, 1), dt.date(YEAR, 12, 1)
YEAR_END = dt.date(YEAR, 12, 31)

# ---------------------------------------------------------------------------------------
# Check characters
# ---------------------------------------------------------------------------------------
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 (positions 9-17 of a credit code)


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

    fmt: str = "xlsx"  # xlsx | csv | json
    encoding: str = "utf-8-sig"  # csv/json: utf-8-sig | utf-8 | gbk | gb18030
    alias_variant: int = 0  # which of the contract's aliases each header uses
    english_headers: bool = False  # a system export with canonical English names
    headers: dict = field(default_factory=dict)  # column -> header text (overrides the variant)
    units: dict = field(default_factory=dict)  # column -> unit suffix, e.g. "（小时）"
    omit: tuple = ()  # columns the file does not have
    title_rows: tuple = ()  # rows above the header (xlsx: merged across)
    sequence_column: str | None = None  # a leading 序号 column (an extra column: warning only)
    extra_columns: tuple = ()  # trailing extra columns left blank, e.g. 备注
    total_row: bool = False  # a trailing 合计 row
    date_style: str = "iso"  # iso | slash | dot | cn | excel | serial | mixed
    month_style: str = "iso"  # iso 2024-12 | cn 2024年12月 | compact 202412
    district_style: str = "code"  # code | name | short | mixed
    bools: tuple = ("是", "否")
    enum_spellings: dict = field(default_factory=dict)  # column -> {code: spelling ("" = blank)}
    fullwidth_every: int = 0  # every n-th row: numbers and codes in full-width digits
    hours_suffix_every: int = 0  # every n-th row: service_hours written like 3小时
    pad_every: int = 0  # every n-th row: ideographic spaces around the name
    sheet_name: str = "Sheet1"


@dataclass
class SampleFile:
    department: str
    submission_type: str
    name: str
    records: list
    layout: Layout
    received_at: dt.datetime
    outcome: str = "loaded"  # loaded | superseded | quarantined | duplicate
    period: dt.date | None = None  # report period of a snapshot
    note: str = ""  # what the file demonstrates
    copy_of: str | None = None  # byte-identical copy of this file name (same folder)

    @property
    def relative_path(self) -> str:
        return f"{self.department}/{self.submission_type}/{self.name}"


def landing_time(month_after: dt.date, day: int, hour: int = 9, minute: int = 30) -> dt.datetime:
    """A moment in the month after `month_after` (Beijing time)."""
    nxt = month_end(month_after) + dt.timedelta(days=1)
    return dt.datetime(nxt.year, nxt.month, day, hour, minute, tzinfo=CHINA_TZ)


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def topic_rng(seed: int, topic: str) -> random.Random:
    return random.Random(f"swdw-sample-{seed}-{topic}")


def weighted_pick(rng: random.Random, items: list, k: int, weight) -> list:
    """Exactly k items without replacement, likelier with larger weight (Efraimidis-Spirakis)."""
    keyed = sorted(items, key=lambda item: rng.random() ** (1.0 / weight(item)), reverse=True)
    return keyed[:k]


# ---------------------------------------------------------------------------------------
# Vocabulary (all characters are in GBK: some files are written in GBK)
# ---------------------------------------------------------------------------------------
BRANDS = (
    "恒泰",
    "瑞丰",
    "鑫源",
    "华宇",
    "金诚",
    "宏达",
    "聚力",
    "汇通",
    "德信",
    "盛世",
    "嘉禾",
    "润泽",
    "天成",
    "博远",
    "众诚",
    "和顺",
    "永安",
    "中兴",
    "新源",
    "远航",
    "淮海",
    "相城",
    "濉河",
    "龙湖",
    "凤凰",
    "古城",
    "长山",
    "南湖",
    "东方",
    "百川",
    "同创",
    "启明",
    "安泰",
    "祥和",
    "合力",
    "锦程",
)
ENTERPRISE_TRADES = (
    ("商贸", "批发和零售业"),
    ("科技", "信息传输、软件和信息技术服务业"),
    ("物流", "交通运输、仓储和邮政业"),
    ("建材", "制造业"),
    ("餐饮管理", "住宿和餐饮业"),
    ("物业服务", "房地产业"),
    ("电子商务", "批发和零售业"),
    ("机械制造", "制造业"),
    ("食品", "制造业"),
    ("新能源", "电力、热力、燃气及水生产和供应业"),
    ("信息技术", "信息传输、软件和信息技术服务业"),
    ("建筑工程", "建筑业"),
    ("医药", "批发和零售业"),
    ("纺织", "制造业"),
    ("家政服务", "居民服务业"),
    ("人力资源", "租赁和商务服务业"),
    ("广告传媒", "租赁和商务服务业"),
)
ENTERPRISE_FORMS = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")
SOCIAL_KINDS = (
    ("商会", "行业协会商会"),
    ("行业协会", "行业协会商会"),
    ("社会工作服务中心", "社会服务"),
    ("养老服务中心", "社会服务"),
    ("志愿者协会", "社会服务"),
    ("文化艺术培训学校", "教育"),
    ("幼儿园", "教育"),
    ("康复中心", "卫生健康"),
    ("体育俱乐部", "文化体育"),
    ("慈善会", "社会服务"),
    ("研究会", "其他"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红鹏建志辉力永健世广海文春梅燕晨宇浩然子轩欣怡"
COMMUNITIES = (
    "梧桐苑",
    "相城花园",
    "金色家园",
    "惠苑小区",
    "南湖花园",
    "翠峰园",
    "龙湖苑",
    "杜集新村",
    "凤凰城",
    "濉溪新城",
    "古城雅苑",
    "长山小区",
    "东山新村",
    "矿工新村",
    "桓谭小区",
    "海宫小区",
)
ROADS = ("淮海路", "孟山路", "人民路", "古城路", "长山路", "南黎路", "相山南路", "桓谭路", "龙脊山路", "濉唐路")
PLACES = ("社区食堂", "社区图书室", "老年活动中心", "城市书房", "公园", "菜市场", "社区卫生服务站")
HANDLING_UNITS = (
    "市住房城乡建设局",
    "市城市管理局",
    "市民政局",
    "市人力资源社会保障局",
    "市交通运输局",
    "市数据资源局",
    "市医保局",
    "市市场监管局",
    "区住建局",
    "街道办事处",
    "镇人民政府",
)
STREETS = {
    "340603": ("相南街道", "东山街道", "西街道", "南黎街道", "任圩街道", "曲阳街道"),
    "340602": ("高岳街道", "矿山集街道", "朔里镇", "石台镇", "段园镇"),
    "340604": ("任楼街道", "杨庄街道", "烈山镇", "宋疃镇", "古饶镇"),
    "340621": ("濉溪镇", "韩村镇", "刘桥镇", "百善镇", "临涣镇", "铁佛镇"),
    "340600": ("市直机关", "市经开区", "市高新区"),
}


def fake_person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def fake_mobile(rng: random.Random) -> str:
    prefix = rng.choice(
        (
            "130",
            "131",
            "132",
            "133",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "155",
            "156",
            "158",
            "159",
            "173",
            "177",
            "180",
            "181",
            "183",
            "186",
            "187",
            "188",
            "189",
            "199",
        )
    )
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def fake_id_number(rng: random.Random) -> str:
    region = rng.choice(("340602", "340603", "340604", "340621", "340621", "341302", "340603"))
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 52 * 365))
    first17 = f"{region}{birth:%Y%m%d}{rng.randint(1, 999):03d}"
    return first17 + id_number_check_char(first17)


def choice_weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]
