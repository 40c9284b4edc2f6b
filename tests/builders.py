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
