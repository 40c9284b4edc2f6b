"""A corpus of broken and hostile files, built here, dropped into one landing zone beside valid files.

Each case names the register state it must end in and the rule that says why. The whole
corpus goes through `swdw ingest` (ingest_landing) once, as a user runs it, under a memory
and a time limit: no file may stop the run, and every valid file beside them loads. Each
case is also read and normalised alone, in process, within a time and memory bound.
"""

from __future__ import annotations

import functools
import io
import json
import os
import resource
import struct
import subprocess
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ingest.intake.contracts import get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import parse_grid
from ingest.intake.readers import read_grid

from .builders import ORG_HEADER, credit_code, landing_path, org_row, raw_xlsx, sheet_rows_xml
from .helpers import REPO, VENV_BIN, query

RUN_MEMORY_BYTES = 3 * 1024**3  # the whole `swdw ingest` run, address space
RUN_SECONDS = 600
CASE_SECONDS = 20  # one file read and normalised
CASE_PYTHON_BYTES = 400 * 1024**2  # peak Python allocations for one file (a 10 MB cell among them)
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE compound file

SERVICE_HEADER = [
    "活动编号",
    "活动日期",
    "所属区县",
    "服务类别",
    "服务对象",
    "参与人次",
    "志愿者人数",
    "服务时长",
    "活动名称",
]


def service_row(n: int, hours="2") -> list:
    return [f"HD2024{n:04d}", "2024-12-01", "相山", "培训", "老年人", 30, 2, hours, f"活动{n}"]


def csv_bytes(rows: list[list], encoding="utf-8-sig", delimiter=",") -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def json_bytes(rows: list[list], replace: tuple[str, str] = ("", "")) -> bytes:
    """Records as JSON (non-ASCII escaped, so a lone surrogate can be written); `replace` edits the text."""
    header, *records = rows
    return json.dumps([dict(zip(header, r)) for r in records]).replace(*replace).encode()


def with_cell(row: list, index: int, value) -> list:
    row = list(row)
    row[index] = value
    return row


# --- builders of the hostile files ---------------------------------------------------------------


def encrypted_xlsx() -> bytes:
    """What Excel saves for a workbook with an open password: an OLE compound file (not a zip) whose
    directory holds EncryptionInfo and EncryptedPackage. Minimal: header, one FAT sector, one directory sector."""
    header = bytearray(b"\xff" * 512)
    header[0:76] = bytes(76)
    header[0:8] = CFB_MAGIC
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # version 3, little-endian, 512-byte sectors
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # the directory starts at sector 1
    struct.pack_into("<III", header, 56, 4096, 0xFFFFFFFE, 0)  # mini-stream cutoff, no mini FAT
    struct.pack_into("<II", header, 68, 0xFFFFFFFE, 0)  # no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    fat = struct.pack("<II", 0xFFFFFFFD, 0xFFFFFFFE) + b"\xff" * 504

    def entry(name: str, kind: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        out = bytearray(128)
        out[: len(raw)] = raw
        struct.pack_into("<HB", out, 64, len(raw), kind)
        struct.pack_into("<III", out, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        struct.pack_into("<IQ", out, 116, 0xFFFFFFFE, 0)
        return bytes(out)

    directory = entry("Root Entry", 5) + entry("EncryptionInfo", 2) + entry("EncryptedPackage", 2) + bytes(128)
    return bytes(header) + fat + directory


@functools.cache
def zip_bomb() -> bytes:
    """An xlsx whose sheet inflates to 1 GiB of zeros (about 1 MB compressed; built once, in about 5 s)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(1024):
                member.write(chunk)
    return buffer.getvalue()


def lying_zip_bomb(declared: int = 1024) -> bytes:
    """The same bomb, its headers claiming the sheet is only `declared` bytes."""
    data = bytearray(zip_bomb())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, info.header_offset + 22, declared)  # local header
    central = data.find(b"PK\x01\x02")  # each central directory entry
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def billion_laughs_xlsx() -> bytes:
    # lol9 expands to 10^9 "lol"s
    levels = ["lol"] + [f"lol{i}" for i in range(1, 10)]
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY {name} "{f"&{below};" * 10}">' for below, name in zip(levels, levels[1:])
    )
    shared = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>&lol9;</t></si></sst>"
    )
    return raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared)


def huge_shared_string_count_xlsx() -> bytes:
    shared = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'count="4000000000" uniqueCount="4000000000"><si><t>统计期</t></si></sst>'
    )
    return raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', shared)


def far_cells_xlsx() -> bytes:
    """A valid sheet plus one cell at XFD1048576: calamine would allocate 17 billion cells and abort."""
    rows = sheet_rows_xml([ORG_HEADER, org_row(40)])
    return raw_xlsx(rows + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def many_merges_xlsx() -> bytes:
    """10,000 merges of the title row across every column: copying them used to take minutes."""
    rows = sheet_rows_xml([["2024年11月烈山区台账"], ORG_HEADER] + [org_row(50 + i, district="烈山") for i in range(3)])
    rows = rows.replace("2024-12", "2024-11")
    merges = '<mergeCells count="10000">' + '<mergeCell ref="A1:XFD1"/>' * 10_000 + "</mergeCells>"
    return raw_xlsx(rows, after_sheet_data=merges)


def xls_with_huge_dimensions() -> bytes:
    """A legacy .xls whose DIMENSIONS record claims 4 billion rows: calamine reserves them and aborts."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("台账")
    for r, row in enumerate([ORG_HEADER, org_row(60)]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue())
    at = data.find(b"\x00\x02\x0e\x00")  # record 0x0200 DIMENSIONS, 14 bytes
    struct.pack_into("<IIHH", data, at + 4, 0, 0xFFFFFFF0, 0, 255)
    return bytes(data)


def valid_xlsx(rows: list[list]) -> bytes:
    return raw_xlsx(sheet_rows_xml(rows))


# --- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str  # the file name in the landing zone
    build: Callable[[], bytes]
    status: str  # the register state it must end in
    rules: tuple[str, ...] = ()  # rules it must be reported under (errors if quarantined, warnings if loaded)
    department: str = "xiangshan"
    kind: str = "org_coverage"
    where: tuple = ()  # (source_row, column) of the first finding, for cell findings
    checks: tuple = field(default=())  # extra (sql, expected) pairs for loaded cases

    @property
    def id(self) -> str:
        return self.name.rsplit(".", 1)[0]


HUGE = "1" + "0" * 30
SQL_HEADER = '"; drop table raw.org_coverage; --'
CORPUS = (
    Case(
        "nul_byte.csv",
        lambda: csv_bytes([ORG_HEADER, with_cell(org_row(1), 2, "测试\x00企业")]),
        "quarantined",
        ("invalid_character",),
        where=(2, "org_name"),
    ),
    Case(
        "control_characters.json",
        lambda: json_bytes([ORG_HEADER + ["备注"], with_cell(org_row(2), 2, "响铃\x07企业") + ["孤立代理项\ud800"]]),
        "quarantined",
        ("invalid_character",),
        where=(2, "org_name"),
    ),
    Case(
        "count_1e30.csv",
        lambda: csv_bytes([ORG_HEADER, with_cell(org_row(3), 5, HUGE)]),
        "quarantined",
        ("integer_out_of_range",),
        where=(2, "employee_count"),
    ),
    Case(
        "count_exponent.csv",  # int(Decimal('1e999999999')) would build a billion-digit number
        lambda: csv_bytes([ORG_HEADER, with_cell(org_row(4), 6, "1e999999999")]),
        "quarantined",
        ("integer_out_of_range",),
        where=(2, "party_member_count"),
    ),
    Case(
        "count_5000_digits.json",
        lambda: json_bytes(
            [ORG_HEADER, org_row(5)],
            ('"\\u4ece\\u4e1a\\u4eba\\u5458\\u6570": 20', '"\\u4ece\\u4e1a\\u4eba\\u5458\\u6570": 1' + "0" * 5000),
        ),
        "quarantined",
        ("integer_out_of_range",),
        where=(2, "employee_count"),
    ),
    Case(
        "hours_nan_infinite_huge.csv",
        lambda: csv_bytes([SERVICE_HEADER, service_row(1, "NaN"), service_row(2, "-Infinity"), service_row(3, "1e20")]),
        "quarantined",
        ("type_decimal", "decimal_out_of_range"),
        kind="service_activity",
        where=(2, "service_hours"),
    ),
    Case(
        "cell_10mb.csv",
        lambda: csv_bytes([ORG_HEADER, with_cell(org_row(6), 2, "企" * (10 * 1024 * 1024 // 3))]),
        "quarantined",
        ("cell_too_long",),
        where=(2, "org_name"),
    ),
    Case(
        "nested_200000.json",
        lambda: b"[" * 200_000 + b"]" * 200_000,
        "quarantined",
        ("json_too_deep",),
        department="city_xfj",
        kind="suggestion",
    ),
    Case(
        "truncated.xlsx",
        lambda: valid_xlsx([ORG_HEADER, org_row(7)])[:700],
        "quarantined",
        ("unreadable_file",),
    ),
    Case("encrypted.xlsx", encrypted_xlsx, "quarantined", ("encrypted_workbook",)),
    Case(
        "web_page.xls",
        lambda: (
            '<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head><body>'
            "<table><tr><td>统计期</td><td>单位名称</td></tr><tr><td>2024-12</td><td>甲</td></tr></table>"
            "</body></html>"
        ).encode(),
        "quarantined",
        ("format_mismatch",),
    ),
    Case(
        "spreadsheet_2003.xls",
        lambda: (
            '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="台账"><Table>'
            '<Row><Cell><Data ss:Type="String">统计期</Data></Cell></Row></Table></Worksheet></Workbook>'
        ).encode(),
        "quarantined",
        ("format_mismatch",),
    ),
    Case(
        "text_named.xlsx",
        lambda: csv_bytes([ORG_HEADER, org_row(8)]),
        "quarantined",
        ("format_mismatch",),
    ),
    Case(
        "unicode_text_export.csv",  # Excel "Unicode text": UTF-16 with a BOM, tab-separated; legitimate
        lambda: csv_bytes(
            [ORG_HEADER] + [org_row(10 + i, district="杜集", period="2024-11") for i in range(3)],
            encoding="utf-16",
            delimiter="\t",
        ),
        "loaded",
        department="duji",
    ),
    Case("billion_laughs.xlsx", billion_laughs_xlsx, "quarantined", ("xml_entities",)),
    Case("zip_bomb.xlsx", zip_bomb, "quarantined", ("decompression_bomb",)),
    Case(
        "zip_bomb_lying_sizes.xlsx",  # claims 1 KiB, inflates to 1 GiB: stopped at what it claims
        lying_zip_bomb,
        "quarantined",
        ("unreadable_file",),
    ),
    Case("far_cell_XFD1048576.xlsx", far_cells_xlsx, "quarantined", ("workbook_too_large",)),
    Case("shared_strings_4e9.xlsx", huge_shared_string_count_xlsx, "quarantined", ("too_many_cells",)),
    Case("dimensions_4e9.xls", xls_with_huge_dimensions, "quarantined", ("workbook_too_large",)),
    Case(
        "many_merges.xlsx",
        many_merges_xlsx,
        "loaded",
        department="lieshan",
    ),
    Case(
        "merge_beyond_the_data.xlsx",  # a merged range right of the last used column: was an IndexError
        lambda: raw_xlsx(
            sheet_rows_xml([ORG_HEADER, org_row(45, district="烈山", period="2024-09")]),
            after_sheet_data='<mergeCells count="1"><mergeCell ref="M1:N2"/></mergeCells>',
        ),
        "loaded",
        department="lieshan",
    ),
    Case(
        "columns_20000.csv",
        lambda: csv_bytes(
            [ORG_HEADER + [f"列{i}" for i in range(20_000 - len(ORG_HEADER))], org_row(20) + ["x"] * 19_989]
        ),
        "quarantined",
        ("too_many_columns",),
    ),
    Case(
        "duplicate_headers_disagree.csv",
        lambda: csv_bytes([ORG_HEADER + ["职工人数"], org_row(21) + [25]]),
        "quarantined",
        ("duplicate_column",),
        where=(2, "employee_count"),
    ),
    Case(
        "duplicate_extra_headers.csv",  # two 备注 columns: both kept, neither lost
        lambda: csv_bytes(
            [ORG_HEADER + ["备注", "备注"], org_row(22, district="杜集", period="2024-10") + ["甲", "乙"]]
        ),
        "loaded",
        ("extra_column",),
        department="duji",
        checks=(
            (
                "select extra from raw.org_coverage where credit_code = %s",
                [({"备注": "甲", "备注(2)": "乙"},)],
                (credit_code(22),),
            ),
        ),
    ),
    Case(
        "sql_header.csv",  # a header that reads like SQL is only text: kept in `extra`, a warning
        lambda: csv_bytes([ORG_HEADER + [SQL_HEADER], org_row(23, district="烈山") + ["x'); --"]]),
        "loaded",
        ("extra_column",),
        department="lieshan",
        checks=(
            (
                "select extra from raw.org_coverage where credit_code = %s",
                [({SQL_HEADER: "x'); --"},)],
                (credit_code(23),),
            ),
        ),
    ),
)
VALID = (  # beside the corpus in the same run: each must load
    Case("2024年12月台账.csv", lambda: csv_bytes([ORG_HEADER, org_row(30), org_row(31)]), "loaded"),
    Case(
        "2024年12月台账.xlsx",
        lambda: valid_xlsx([ORG_HEADER, org_row(32, district="濉溪"), org_row(33, district="濉溪")]),
        "loaded",
        department="suixi",
    ),
    Case(
        "2024年12月活动.csv",
        lambda: csv_bytes([SERVICE_HEADER, service_row(10), service_row(11)]),
        "loaded",
        kind="service_activity",
    ),
)


def test_corpus_names_are_unique_and_cover_the_issue():
    names = [c.name for c in CORPUS + VALID]
    assert len(names) == len(set(names))
    assert len(CORPUS) >= 20


# --- each case alone, in process ----------------------------------------------------------------------


def judge(case: Case, data: bytes) -> tuple[str, list]:
    """What reading and normalising decide on their own: ("rejected", [rule]) or ("parsed", findings)."""
    try:
        grid = read_grid(data, case.name)
        parsed = parse_grid(grid, get_contract(case.kind), case.name)
    except SubmissionError as exc:
        return "rejected", [exc.rule]
    return "parsed", parsed.findings


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_each_case_is_judged_within_time_and_memory(case):
    data = case.build()
    tracemalloc.start()
    started = time.monotonic()
    try:
        verdict, found = judge(case, data)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < CASE_SECONDS
    assert peak < CASE_PYTHON_BYTES, f"{peak / 1024**2:.0f} MiB"
    if verdict == "rejected":
        assert found == list(case.rules)
        return
    errors = [f for f in found if f.is_error]
    if case.status == "loaded":
        assert not errors, errors
        return
    assert {f.rule for f in errors} == set(case.rules)
    for finding in found:  # every finding can be stored and shown: rule, both messages, no control characters
        assert finding.rule and finding.message_zh and finding.message_en
        for text in (finding.message_zh, finding.message_en, finding.value or "", finding.header or ""):
            assert "\x00" not in text and "\x07" not in text and "\ud800" not in text
            assert len(text) < 1000
    first = errors[0]
    assert (first.source_row, first.column) == case.where


# --- the whole corpus in one run, as a user runs it ------------------------------------------------


def _limit_run() -> None:  # in the child, before exec: the run's memory bound
    resource.setrlimit(resource.RLIMIT_AS, (RUN_MEMORY_BYTES, RUN_MEMORY_BYTES))


@pytest.fixture(scope="module")
def corpus_run(warehouse, tmp_path_factory):
    """Every corpus file and every valid file in one landing zone, one `swdw ingest` under limits."""
    import psycopg

    from ingest.warehouse.connection import bootstrap

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    bootstrap()
    landing = tmp_path_factory.mktemp("hostile") / "landing"
    for case in CORPUS + VALID:
        path = landing_path(landing, case.department, case.kind, case.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.build())
    started = time.monotonic()
    run = subprocess.run(
        [str(VENV_BIN / "swdw"), "ingest"],
        capture_output=True,
        text=True,
        env={**os.environ, "SWDW_LANDING_DIR": str(landing), "SWDW_WAREHOUSE_DSN": warehouse},
        timeout=RUN_SECONDS,
        preexec_fn=_limit_run,
        cwd=REPO,
        check=False,
    )
    elapsed = time.monotonic() - started
    register = {
        name: (status, reason, submission_id)
        for name, status, reason, submission_id in query(
            warehouse, "select file_name, status, status_reason, submission_id from audit.submission"
        )
    }
    findings: dict[int, list] = {}
    for submission_id, rule, severity, source_row, column in query(
        warehouse,
        "select submission_id, rule, severity, source_row, column_name from audit.submission_finding "
        "order by submission_id, finding_id",
    ):
        findings.setdefault(submission_id, []).append((rule, severity, source_row, column))
    return {"run": run, "elapsed": elapsed, "landing": landing, "register": register, "findings": findings}


@pytest.mark.slow
def test_the_run_finishes_within_its_limits_and_takes_every_file(corpus_run):
    run = corpus_run["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert "error:" not in run.stderr
    assert corpus_run["elapsed"] < RUN_SECONDS
    assert set(corpus_run["register"]) == {c.name for c in CORPUS + VALID}
    left = [p for p in Path(corpus_run["landing"]).rglob("*") if p.is_file()]
    assert not left, left  # every file finished and left the landing zone


@pytest.mark.slow
@pytest.mark.parametrize("case", VALID, ids=lambda c: c.id)
def test_valid_files_beside_the_corpus_load(corpus_run, case):
    status, reason, _ = corpus_run["register"][case.name]
    assert status == "loaded", reason


@pytest.mark.slow
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_each_hostile_file_ends_in_its_state_for_its_reason(corpus_run, warehouse, case):
    status, reason, submission_id = corpus_run["register"][case.name]
    assert status == case.status, reason
    found = corpus_run["findings"].get(submission_id, [])
    severity = "error" if case.status == "quarantined" else "warning"
    assert set(case.rules) <= {rule for rule, sev, _, _ in found if sev == severity}, found
    if case.status == "quarantined":
        assert reason and " | " in reason  # Chinese, then English
        assert {rule for rule, sev, _, _ in found if sev == "error"} <= set(case.rules) | {"required"}, found
    if case.where:
        first = next((row, column) for rule, sev, row, column in found if sev == "error")
        assert first == case.where
    for sql, expected, params in case.checks:
        assert query(warehouse, sql, params) == expected
    if case.name == "sql_header.csv":
        assert query(warehouse, "select to_regclass('raw.org_coverage') is not null") == [(True,)]
