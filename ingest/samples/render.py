"""Rendering the plan: canonical records written as a clerk would type them (xlsx, csv, json)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import zipfile
from collections import defaultdict
from pathlib import Path

from ingest.intake.contracts import Column, get_contract
from ingest.intake.reference import district_lookup, districts
from ingest.samples.common import Layout, SampleFile
from ingest.samples.lifecycle import sample_plan

# Rendering: canonical records -> what the clerk typed
# ---------------------------------------------------------------------------------------
FULLWIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ－",
)
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
    return {
        "iso": f"{day:%Y-%m-%d}",
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
    }[style]


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
    header = (
        ([layout.sequence_column] if layout.sequence_column else [])
        + [_header_text(c, layout) for c in columns]
        + list(layout.extra_columns)
    )
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
    from openpyxl import Workbook  # heavy (numpy): `swdw` starts without it
    from openpyxl.styles import Alignment, Font

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
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_CORE_TIME.encode(), content
                )
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
