import datetime as dt

import pytest

from ingest.intake.contracts import get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import parse_grid
from ingest.intake.readers import decode_text, read_grid

from .builders import ORG_HEADER, org_row, write_xlsx

ORG = get_contract("org_coverage")


def test_title_rows_total_row_and_aliases(tmp_path):
    rows = [
        ["2024年12月相山区非公企业“两个覆盖”台账"],
        [],
        ["填报单位：相山区委社会工作部"],
        ORG_HEADER,
        org_row(1),
        org_row(2, district="340603", union="无"),
        ["合计", "", "", "", "", 40, 6],
    ]
    path = write_xlsx(tmp_path / "a.xlsx", rows, merges=["A1:K1"])
    parsed = parse_grid(read_grid(path.read_bytes(), "a.xlsx"), ORG, "a.xlsx")
    assert parsed.header_row == 4
    assert [r["source_row"] for r in parsed.records] == [5, 6]
    assert parsed.total_rows_dropped == 1
    assert parsed.records[0]["district_code"] == "340603"
    assert parsed.records[1]["has_union"] is False
    assert parsed.records[0]["report_period"] == dt.date(2024, 12, 1)


def test_two_level_merged_header(tmp_path):
    top = [
        "统一社会信用代码",
        "单位名称",
        "单位类型",
        "所属区县",
        "从业人员数",
        "党员人数",
        "党组织组建方式",
        "群团组织",
        None,
        None,
    ]
    second = [None, None, None, None, None, None, None, "工会", "共青团", "妇联"]
    row = org_row(1)[1:]
    path = write_xlsx(
        tmp_path / "2024年12月台账.xlsx",
        [top, second, row],
        merges=["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:G2", "H1:J1"],
    )
    parsed = parse_grid(read_grid(path.read_bytes(), path.name), ORG, path.name)
    assert not [f for f in parsed.findings if f.is_error]
    record = parsed.records[0]
    assert record["source_row"] == 3
    assert (record["has_union"], record["has_youth_league"], record["has_womens_federation"]) == (True, False, True)
    assert record["report_period"] == dt.date(2024, 12, 1)  # from the file name


def test_missing_required_column_is_an_error_named_in_chinese():
    grid = [[h for h in ORG_HEADER if h != "党员人数"], org_row(1)[:6] + org_row(1)[7:]]
    parsed = parse_grid(grid, ORG, "x.csv")
    missing = [f for f in parsed.findings if f.rule == "missing_column"]
    assert [f.header for f in missing] == ["党员人数"] and missing[0].is_error


def test_extra_column_kept_with_warning():
    grid = [ORG_HEADER + ["备注"], org_row(1) + ["重点企业"]]
    parsed = parse_grid(grid, ORG, "x.csv")
    assert parsed.records[0]["extra"] == {"备注": "重点企业"}
    assert [(f.rule, f.severity) for f in parsed.findings] == [("extra_column", "warning")]


def test_type_errors_name_row_and_column():
    bad = org_row(1)
    bad[5] = "二十"
    parsed = parse_grid([ORG_HEADER, bad], ORG, "x.csv")
    [finding] = [f for f in parsed.findings if f.is_error]
    assert (finding.source_row, finding.header, finding.rule) == (2, "从业人员数", "type_integer")


def test_gbk_and_gb18030_text_decode():
    assert decode_text("统计期".encode("gbk")) == "统计期"
    assert decode_text("𠀀统计".encode("gb18030")) == "𠀀统计"  # only GB18030 encodes this character
    assert decode_text("\ufeff统计期".encode("utf-8")) == "统计期"


def test_no_header_is_a_clear_file_error():
    with pytest.raises(SubmissionError) as excinfo:
        parse_grid([["a", "b"], ["1", "2"]], ORG, "x.csv")
    assert excinfo.value.rule == "header_not_found"


def test_total_row_sums_are_cross_checked():
    rows = [ORG_HEADER, org_row(1), org_row(2), ["合计", "", "", "", "", 40, 7]]
    parsed = parse_grid(rows, ORG, "x.csv")
    mismatches = [(f.source_row, f.column, f.severity) for f in parsed.findings if f.rule == "total_mismatch"]
    # employees 20 + 20 = 40 agrees; party members 3 + 3 = 6, not 7
    assert mismatches == [(4, "party_member_count", "warning")]


def test_cells_postgres_cannot_hold_are_findings_not_exceptions():
    nul, long_name, bell_extra = org_row(1), org_row(2), org_row(3)
    nul[2] = "测试\x00企业"
    long_name[2] = "企" * 40_000
    bell_extra[5] = "2\x070"
    parsed = parse_grid(
        [ORG_HEADER + ["备注\x1b"], nul + [""], long_name + [""], bell_extra + ["\ud800"]], ORG, "x.csv"
    )
    errors = [(f.rule, f.source_row, f.column, f.header) for f in parsed.findings if f.is_error]
    assert errors == [
        ("invalid_character", 1, None, "备注\\x1b"),
        ("invalid_character", 2, "org_name", "单位名称"),
        ("cell_too_long", 3, "org_name", "单位名称"),
        ("invalid_character", 4, "employee_count", "从业人员数"),
        ("invalid_character", 4, None, "备注"),
    ]
    # the values left are storable: control characters removed, the long cell emptied
    assert [r["org_name"] for r in parsed.records] == ["测试企业", None, "测试企业3"]
    assert parsed.records[2]["employee_count"] == 20
    assert parsed.records[2]["extra"] is None  # a lone surrogate and nothing else: empty once removed
    shown = next(f for f in parsed.findings if f.source_row == 3)
    assert len(shown.value) <= 101 and len(shown.message_en) < 300


def test_counts_beyond_the_integer_column_are_out_of_range_findings():
    row = org_row(1)
    row[5] = "1" + "0" * 30
    parsed = parse_grid([ORG_HEADER, row], ORG, "x.csv")
    [finding] = [f for f in parsed.findings if f.is_error]
    assert (finding.rule, finding.source_row, finding.column) == ("integer_out_of_range", 2, "employee_count")
    assert parsed.records[0]["employee_count"] is None


def test_duplicate_headers():
    # the same column twice: agreeing (a merged header cell) is ignored, disagreeing is an error
    agree = parse_grid([ORG_HEADER + ["职工人数"], org_row(1) + [20]], ORG, "x.csv")
    assert not agree.findings and agree.records[0]["extra"] is None
    disagree = parse_grid([ORG_HEADER + ["职工人数"], org_row(1) + [20], org_row(2) + [21]], ORG, "x.csv")
    [finding] = disagree.findings
    assert (finding.rule, finding.source_row, finding.column, finding.header) == (
        "duplicate_column",
        3,
        "employee_count",
        "职工人数",
    )
    # the same unknown header twice keeps both columns
    extra = parse_grid([ORG_HEADER + ["备注", "备注"], org_row(1) + ["甲", "乙"]], ORG, "x.csv")
    assert extra.records[0]["extra"] == {"备注": "甲", "备注(2)": "乙"}


def test_releasing_the_rows_changes_nothing_parsed_and_lets_the_data_rows_go():
    """evaluate() lets each data row go once parsed (the grid and the records are never in memory at once
    at the row limit): the same records and findings, a disagreeing duplicate column and a total row included."""

    def grid():
        return [
            ["2024年12月台账"],
            ORG_HEADER + ["职工人数", "备注"],
            org_row(1) + [20, "甲"],
            org_row(2, district="340603") + [21, None],
            org_row(3, union="无") + [20, "乙"],
            ["合计", "", "", "", "", 40, 6],
        ]

    kept, released = grid(), grid()
    as_before = parse_grid(kept, ORG, "2024年12月.csv")
    parsed = parse_grid(released, ORG, "2024年12月.csv", release_rows=True)
    assert (parsed.records, parsed.findings) == (as_before.records, as_before.findings)
    assert "duplicate_column" in [f.rule for f in parsed.findings]
    assert released[2:5] == [None, None, None] and released[:2] + released[5:] == kept[:2] + kept[5:]
