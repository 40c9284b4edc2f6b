"""Fixture files built by the tests themselves: small, valid by default, broken on purpose."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ingest.quality.checks import credit_check_character

ORG_HEADER = [
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
]


def credit_code(n: int) -> str:
    body = f"9134060{n:010d}"
    return body + credit_check_character(body)


def org_row(n: int, district="相山", form="单独组建", union="是", period="2024-12", members=3) -> list:
    return [period, credit_code(n), f"测试企业{n}", "非公企业", district, 20, members, form, union, "否", "√"]


def write_csv(path: Path, rows: list[list], encoding="utf-8-sig", mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def write_xlsx(path: Path, rows: list[list], merges: list[str] = (), mtime: float | None = None) -> Path:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    workbook.save(path)
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def landing_path(landing: Path, department: str, kind: str, name: str) -> Path:
    return landing / department / kind / name


def sheet_rows_xml(rows: list[list]) -> str:
    """`<row>` elements for raw_xlsx: text as inline strings, numbers as values."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    out = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row, 1):
            ref = f"{get_column_letter(c)}{r}"
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value not in (None, ""):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(out)


def raw_xlsx(sheet_data: str, shared_strings: str | None = None, after_sheet_data: str = "") -> bytes:
    """A workbook written part by part, so a test controls every byte of the sheet XML."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    shared_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{shared_type}"/>' if shared_strings else "")
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels_ns}">'
            f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{office}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{rels_ns}">'
            f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
            + (
                f'<Relationship Id="rId2" Type="{office}/sharedStrings" Target="sharedStrings.xml"/>'
                if shared_strings
                else ""
            )
            + "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
            f"<sheetData>{sheet_data}</sheetData>{after_sheet_data}</worksheet>"
        ),
    }
    if shared_strings:
        parts["xl/sharedStrings.xml"] = shared_strings
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()
