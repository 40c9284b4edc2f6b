"""The feedback report a rejected file goes back with: feedback.csv and feedback.xlsx."""

from __future__ import annotations

import csv
import io

from ingest.artifact_store import artifact_store
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


def write_feedback(folder: str, findings: list[Finding]) -> str:
    """Keep feedback.csv and feedback.xlsx under ``folder`` (a key of the artifact store); returns the xlsx's uri."""
    from openpyxl import Workbook

    rows = feedback_rows(findings)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(FEEDBACK_COLUMNS)
    writer.writerows(rows)
    store = artifact_store()
    store.put(f"{folder}/feedback.csv", text.getvalue().encode("utf-8-sig"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题清单"
    sheet.append(FEEDBACK_HEADERS_ZH)
    sheet.append(FEEDBACK_COLUMNS)
    for row in rows:
        sheet.append(list(row))
    for column, width in zip("ABCDEF", (8, 18, 24, 24, 48, 48)):
        sheet.column_dimensions[column].width = width
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    return store.put(f"{folder}/feedback.xlsx", xlsx.getvalue())
