"""The feedback report a rejected file goes back with: feedback.csv and feedback.xlsx."""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.findings import Finding

FEEDBACK_COLUMNS = ("source_row", "column", "value", "rule", "message_zh", "message_en")
FEEDBACK_HEADERS_ZH = ("行号", "列名", "填报值", "规则", "问题说明", "description")


def _neutralise(value) -> object:
    """A cell starting with = + - @ would run as a formula in Excel: make it plain text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def feedback_rows(findings: list[Finding]) -> list[tuple]:
    ordered = sorted(findings, key=lambda f: (f.source_row or 0, f.column or "", f.rule))
    return [
        tuple(_neutralise(v) for v in (f.source_row, f.header, f.value, f.rule, f.message_zh, f.message_en))
        for f in ordered
    ]


def write_feedback(folder: Path, findings: list[Finding]) -> Path:
    from openpyxl import Workbook

    folder.mkdir(parents=True, exist_ok=True)
    rows = feedback_rows(findings)
    with open(folder / "feedback.csv", "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(FEEDBACK_COLUMNS)
        writer.writerows(rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题清单"
    sheet.append(FEEDBACK_HEADERS_ZH)
    sheet.append(FEEDBACK_COLUMNS)
    for row in rows:
        sheet.append(list(row))
    for column, width in zip("ABCDEF", (8, 18, 24, 24, 48, 48)):
        sheet.column_dimensions[column].width = width
    workbook.save(folder / "feedback.xlsx")
    return folder
