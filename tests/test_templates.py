"""Template files as clerks send them: the data behind a 填表说明 or cover sheet, a signature block
(填表人：…, 联系电话：…) and notes after the data, and what the landing boundary keeps of a link.

Workbooks and csv files are generated and written for real (openpyxl, xlwt, csv); the register
side runs the real pipeline against the embedded PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.artifact_store import ARTIFACTS_URL_ENV
from ingest.intake.contracts import get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import parse_grid
from ingest.intake.readers import read_grid
from ingest.jobs.pipeline import ingest_landing
from ingest.warehouse.originals import set_aside

from .builders import ORG_HEADER, landing_path, org_row
from .helpers import query

ORG = get_contract("org_coverage")
PHONE = "13905613377"
DATA_SHEET = "台账"

# what clerks put on the sheets before (or after) the data
COVERS = {
    "填表说明": [
        ["填表说明"],
        ["1. 统计期填写格式如 2024-12"],
        ["字段", "说明"],
        ["统一社会信用代码", "18 位，见营业执照"],
        # a row naming two contract columns: a header of sorts, but not the data's
        ["单位名称", "所属区县", "（请勿在本页填报）"],
    ],
    "封面": [
        ["2024年12月相山区非公企业“两个覆盖”台账"],
        [],
        ["报送单位：相山区委社会工作部"],
        ["报送日期：2024年12月5日"],
    ],
    "目录": [["序号", "表名"], [1, "两个覆盖台账"], [2, "填表说明"]],
    "空白页": [],
}
AFTER = {"字典": [["单位类型"], ["非公企业"], ["社会组织"]], "汇总": [["区县", "家数"], ["相山", 2]]}


def _data_rows(count: int, bad: int | None = None, district: str = "相山", first: int = 1) -> list[list]:
    rows = [org_row(n, district=district) for n in range(first, first + count)]
    if bad is not None:
        rows[bad][5] = "二十"  # 从业人员数 that is not a number: an error finding on that row
    return rows


def _write_workbook(path: Path, sheets: list[tuple[str, list[list]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        for name, rows in sheets:
            sheet = book.add_sheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value not in (None, ""):
                        sheet.write(r, c, value)
        book.save(str(path))
        return path
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _csv_bytes(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _texts(finding) -> str:
    return " ".join(str(t) for t in (finding.message_zh, finding.message_en, finding.value, finding.header) if t)


# --- the sheet that holds the data --------------------------------------------------------------------


def _sheets_around_data(position: int, data: list[list], trailing: bool) -> list[tuple[str, list[list]]]:
    """``position`` cover sheets (a different mix for each position) before the data, maybe sheets after it."""
    covers = list(itertools.islice(itertools.cycle(COVERS.items()), position, 2 * position))
    after = list(AFTER.items())[: position % 2 + 1] if trailing else []
    return [*covers, (DATA_SHEET, data), *after]


@pytest.mark.parametrize("trailing", [True, False], ids=["sheets-after", "data-last"])
@pytest.mark.parametrize("position", [0, 1, 2], ids=["1st", "2nd", "3rd"])
@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_the_data_are_read_from_the_sheet_whose_header_matches(tmp_path, suffix, position, trailing):
    rows = _data_rows(3, bad=1)
    sheets = _sheets_around_data(position, [["2024年12月台账"], ORG_HEADER, *rows], trailing)
    path = _write_workbook(tmp_path / f"2024年12月台账{suffix}", sheets)
    parsed = parse_grid(read_grid(path.read_bytes(), path.name), ORG, path.name)
    assert [r["credit_code"] for r in parsed.records] == [row[1] for row in rows]
    assert [r["source_row"] for r in parsed.records] == [3, 4, 5]  # rows of the data's own sheet
    [bad] = [f for f in parsed.findings if f.is_error]
    assert (bad.rule, bad.source_row) == ("type_integer", 4)
    if len(sheets) > 1:  # the report says which sheet row 4 is on
        assert parsed.sheet == DATA_SHEET
        assert f"工作表“{DATA_SHEET}”" in bad.message_zh and DATA_SHEET in bad.message_en
    else:
        assert parsed.sheet is None and DATA_SHEET not in bad.message_zh


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_workbook_with_no_data_sheet_names_the_sheets_it_looked_at(tmp_path, suffix):
    sheets = list(COVERS.items())[:3]
    path = _write_workbook(tmp_path / f"2024年12月{suffix}", sheets)
    grid = read_grid(path.read_bytes(), path.name)
    with pytest.raises(SubmissionError) as caught:
        parse_grid(grid, get_contract("service_activity"), path.name)
    assert caught.value.rule == "header_not_found"
    assert all(f"“{name}”" in caught.value.message_zh for name, _ in sheets)


def test_a_sheet_missing_required_columns_gives_way_to_a_later_complete_one(tmp_path):
    partial = [ORG_HEADER[:4], org_row(9)[:4]]
    path = _write_workbook(tmp_path / "a.xlsx", [("草稿", partial), (DATA_SHEET, [ORG_HEADER, *_data_rows(2)])])
    parsed = parse_grid(read_grid(path.read_bytes(), path.name), ORG, path.name)
    assert parsed.sheet == DATA_SHEET and len(parsed.records) == 2 and not parsed.findings
    # with no complete sheet, the first sheet with a header is the one reported on
    only = _write_workbook(tmp_path / "b.xlsx", [("草稿", partial), ("封面", COVERS["封面"])])
    parsed = parse_grid(read_grid(only.read_bytes(), only.name), ORG, only.name)
    assert parsed.sheet == "草稿" and {f.rule for f in parsed.findings} == {"missing_column"}
    assert all("草稿" in f.message_zh for f in parsed.findings)


# --- signature and note footers -----------------------------------------------------------------------

# the clerk's own lines: (what it opens with, what follows)
SIGNATURES = [
    ("填表人", "王芳"),
    ("审核人", "李强"),
    ("负责人", "张伟"),
    ("联系人", "赵敏"),
    ("联系电话", PHONE),
    ("填报日期", "2024年12月5日"),
    ("制表", "相山区委社会工作部"),
    ("制表人", "王芳"),
    ("备注", "本月新增 2 家"),
    ("注", "1. 本表数据截至月末"),
    ("注", "本表由区委社会工作部汇总"),
]
SEPARATORS = ["：", ":", "： ", " ", "　", "："]
CONTINUATIONS = [["2. 统计口径以营业执照为准"], ["", "3. 请于每月 10 日前报送"], ["", PHONE]]


def _spaced(word: str, space: str) -> str:
    return space.join(word)  # 填 表 人, 填　表　人: how a clerk centres a short label


@st.composite
def footers(draw) -> list[list]:
    """A signature block and notes: one line per row or several to a row, spaced as clerks do."""
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        lines = []
        for _ in range(draw(st.integers(1, 3))):
            word, value = draw(st.sampled_from(SIGNATURES))
            word = _spaced(word, draw(st.sampled_from(["", "", " ", "　"])))
            if draw(st.integers(0, 3)):
                lines.append(word + draw(st.sampled_from(SEPARATORS)) + value)
            else:  # the label in one cell, what it labels in the next
                lines += [word, value]
            lines += [""] * draw(st.integers(0, 2))
        rows.append(lines)
        if draw(st.integers(0, 3)) == 0:
            rows.append(draw(st.sampled_from(CONTINUATIONS)))
        rows += [[]] * draw(st.integers(0, 1))
    return rows


@settings(max_examples=60, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    data_count=st.integers(1, 4),
    total=st.booleans(),
    gap=st.integers(0, 2),
    footer=footers(),
    fmt=st.sampled_from(["csv", "csv", "csv", "xlsx"]),
)
def test_a_signed_file_loads_without_its_footer(tmp_path_factory, data_count, total, gap, footer, fmt):
    rows = _data_rows(data_count)
    total_row = [["合计", "", "", "", "", 20 * data_count, 3 * data_count]] if total else []
    grid_rows = [ORG_HEADER, *rows, *total_row, *[[]] * gap, *footer]
    if fmt == "csv":
        data, name = _csv_bytes(grid_rows), "2024年12月.csv"
    else:
        path = _write_workbook(tmp_path_factory.mktemp("f") / "2024年12月.xlsx", [(DATA_SHEET, grid_rows)])
        data, name = path.read_bytes(), path.name
    parsed = parse_grid(read_grid(data, name), ORG, name)
    assert [r["source_row"] for r in parsed.records] == list(range(2, 2 + data_count))
    assert parsed.total_rows_dropped == len(total_row)
    assert parsed.footer_rows_dropped == sum(1 for row in footer if any(row))
    assert not parsed.findings, parsed.findings
    assert PHONE not in repr([r.get("extra") for r in parsed.records])


@pytest.mark.parametrize(
    "name",
    ["注册会计师事务所", "注意力科技有限公司", "联系人之家服务中心", "制表厂", "备注贸易公司", "负责人培训中心"],
)
@pytest.mark.parametrize("last", [False, True], ids=["within", "last-row"])
def test_a_data_row_that_merely_starts_like_a_footer_is_kept(name, last):
    """A record (every required column valid) is data, whatever its first cell starts with."""
    header = ["单位名称", *[h for h in ORG_HEADER if h != "单位名称"]]

    def row(n: int, unit: str) -> list:
        cells = org_row(n)
        return [unit, *cells[:2], *cells[3:]]

    rows = [row(1, "测试企业1"), row(2, name), row(3, "测试企业3")]
    if last:
        rows = rows[::2] + [rows[1]]
    parsed = parse_grid([header, *rows, [], ["填表人：王芳", "", f"联系电话：{PHONE}"]], ORG, "2024年12月.csv")
    assert sorted(r["org_name"] for r in parsed.records) == sorted(r[0] for r in rows)
    assert parsed.footer_rows_dropped == 1


def test_a_footer_line_above_more_data_is_not_a_footer():
    """Only the lines after the data are dropped: a row below which data follows is judged as data."""
    grid = [ORG_HEADER, org_row(1), ["备注：见下表"], org_row(2)]
    parsed = parse_grid(grid, ORG, "2024年12月.csv")
    assert [r["source_row"] for r in parsed.records] == [2, 3, 4]
    assert parsed.footer_rows_dropped == 0 and any(f.source_row == 3 and f.is_error for f in parsed.findings)


# --- through the pipeline: the register, the findings and the feedback --------------------------------


def _landing() -> Path:
    return Path(os.environ["SWDW_LANDING_DIR"])


def test_template_files_through_the_pipeline_keep_the_phone_number_out_of_the_register(clean_warehouse):
    landing = _landing()
    signature = [
        [],
        ["填表人：王芳", "", "审核人：李强"],
        [f"联系电话：{PHONE}", "", "填报日期：2024年12月5日"],
        ["注：1. 本表数据截至月末"],
    ]
    signed = landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账.csv")
    signed.parent.mkdir(parents=True)
    signed.write_bytes(_csv_bytes([ORG_HEADER, *_data_rows(3), *signature]))
    # the same signature on a file with an error: quarantined, and its reason is about the error
    broken = landing_path(landing, "duji", "org_coverage", "2024年12月台账.csv")
    broken.parent.mkdir(parents=True)
    broken.write_bytes(_csv_bytes([ORG_HEADER, *_data_rows(2, bad=1, district="杜集", first=7), *signature]))
    workbook = _write_workbook(
        landing_path(landing, "lieshan", "org_coverage", "2024年12月台账.xlsx"),
        [
            ("填表说明", COVERS["填表说明"]),
            (DATA_SHEET, [ORG_HEADER, *_data_rows(2, bad=0, district="烈山", first=10), *signature]),
        ],
    )
    legacy = _write_workbook(
        landing_path(landing, "suixi", "org_coverage", "2024年12月台账.xls"),
        [("封面", COVERS["封面"]), (DATA_SHEET, [ORG_HEADER, *_data_rows(2, district="濉溪", first=4)])],
    )
    outcomes = {(o.department_code, o.status, o.row_count) for o in ingest_landing()}
    assert outcomes == {
        ("xiangshan", "loaded", 3),
        ("duji", "quarantined", 2),
        ("lieshan", "quarantined", 2),
        ("suixi", "loaded", 2),
    }
    assert not signed.exists() and not legacy.exists() and not workbook.exists()

    register = dict(query(clean_warehouse, "select department_code, status_reason from audit.submission"))
    assert "第3行" in register["duji"] and "二十" in register["duji"]
    assert f"工作表“{DATA_SHEET}”" in register["lieshan"]  # the reason names the sheet of a 2-sheet workbook
    findings = query(
        clean_warehouse,
        "select f.rule, f.source_row, concat_ws(' ', f.message_zh, f.message_en, f.value, f.column_header) "
        "from audit.submission_finding f where f.severity = 'error'",
    )
    # the bad cells' findings only (their rows, on spreadsheet rows 2 and 3): none from the signature below
    assert "type_integer" in {rule for rule, *_ in findings} and {row for _, row, _ in findings} == {2, 3}
    for text in [*register.values(), *(text for *_, text in findings)]:
        assert text is None or (PHONE not in text and "填表人" not in text), text
    feedback = query(clean_warehouse, "select feedback_path from audit.submission where feedback_path is not null")
    for (path,) in feedback:
        report = Path(path).with_name("feedback.csv").read_text(encoding="utf-8-sig")
        assert "二十" in report and PHONE not in report and "王芳" not in report


# --- the landing boundary keeps regular files only ----------------------------------------------------


@pytest.mark.parametrize("kind", ["symlink", "fifo", "hardlink", "regular"])
def test_a_refused_entry_is_set_aside_as_a_regular_file(tmp_path, monkeypatch, kind):
    monkeypatch.setenv(ARTIFACTS_URL_ENV, str(tmp_path / "store"))  # a store of its own: a folder apart from the home
    landing, quarantine, outside = (
        tmp_path / "landing",
        tmp_path / "store" / "quarantine" / "7",
        tmp_path / "outside.csv",
    )
    landing.mkdir()
    outside.write_bytes(b"secret,contents\n")
    entry = landing / "2024年12月.csv"
    if kind == "symlink":
        entry.symlink_to(outside)
    elif kind == "fifo":
        os.mkfifo(entry)
    elif kind == "hardlink":
        os.link(outside, entry)
    else:
        entry.write_bytes(b"too,large\n")
    kept = Path(set_aside(str(entry), "quarantine/7", entry.name))
    assert not os.path.lexists(entry)  # out of the landing zone
    assert [p.name for p in quarantine.iterdir()] == [kept.name]
    assert kept.is_file() and not kept.is_symlink() and kept.stat().st_nlink == 1
    if kind == "regular":
        assert kept.name == entry.name and kept.read_bytes() == b"too,large\n"
    else:
        note = kept.read_bytes()
        assert kept.name != entry.name and b"secret" not in note
        assert (str(outside).encode() in note) is (kind == "symlink")  # a link is recorded with its target
    assert outside.read_bytes() == b"secret,contents\n"  # what the entry led to is untouched


def test_every_finding_of_a_workbook_with_several_sheets_names_the_sheet(clean_warehouse):
    """The suite's findings too (more party members than employees is a GX rule), not only the parser's."""
    rows = [org_row(n, district="烈山", members=30) for n in (1, 2)]  # 30 members, 20 employees: a warning
    _write_workbook(
        landing_path(_landing(), "lieshan", "org_coverage", "2024年12月台账.xlsx"),
        [("填表说明", COVERS["填表说明"]), (DATA_SHEET, [ORG_HEADER, *rows])],
    )
    [outcome] = ingest_landing()
    assert outcome.status == "loaded" and outcome.warning_count >= 2
    messages = query(clean_warehouse, "select rule, message_zh, message_en from audit.submission_finding")
    assert messages
    for rule, zh, en in messages:
        assert f"工作表“{DATA_SHEET}”" in zh and f"sheet '{DATA_SHEET}'" in en, rule
