"""Reading a submission file into a grid of cells, exactly as the clerk sees the sheet.

Row i of the grid (0-based) is spreadsheet row i+1, so `source_row` is the 1-based row
number the clerk sees, title and header rows included.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from ingest.intake.errors import SubmissionError

# Beyond this ratio of uncompressed to compressed size an xlsx is treated as a zip bomb.
MAX_XLSX_EXPANSION = 200
MAX_XLSX_UNCOMPRESSED = 500 * 1024 * 1024


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, a superset of GBK; strict both times."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SubmissionError(
        "unreadable_encoding",
        "文件编码无法识别（应为 UTF-8 或 GBK/GB18030）",
        "the file is neither UTF-8 nor GBK/GB18030 text",
    )


def _read_csv(data: bytes) -> list[list]:
    text = decode_text(data)
    return list(csv.reader(io.StringIO(text, newline="")))


def _read_json(data: bytes) -> list[list]:
    try:
        records = json.loads(decode_text(data))
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            "invalid_json", f"JSON 格式错误：第 {exc.lineno} 行", f"invalid JSON at line {exc.lineno}"
        ) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SubmissionError("invalid_json", "JSON 文件应为记录数组", "JSON must be an array of records")
    headers: list[str] = []
    for record in records:
        headers += [key for key in record if key not in headers]
    return [headers] + [[record.get(h, "") for h in headers] for record in records]


def _check_zip_bomb(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SubmissionError(
            "unreadable_file", "Excel 文件已损坏或不是 xlsx 格式", "the file is not a valid xlsx workbook"
        ) from None
    if total > MAX_XLSX_UNCOMPRESSED or total > MAX_XLSX_EXPANSION * max(len(data), 1):
        raise SubmissionError(
            "decompression_bomb",
            "Excel 文件解压后过大，疑似异常文件",
            f"xlsx expands to {total} bytes: refused as a decompression bomb",
        )


def _read_excel(data: bytes, suffix: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    if suffix == ".xlsx":
        _check_zip_bomb(data)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        grid = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise SubmissionError(
            "unreadable_file", "Excel 文件无法读取", f"the workbook could not be read: {exc}"
        ) from None
    # a merged cell's value lives in its top-left cell: copy it across merged header cells
    for (top, left), (bottom, right) in merged:
        if top >= len(grid):
            continue
        value = grid[top][left]
        for row in range(top, min(bottom, len(grid) - 1) + 1):
            for col in range(left, right + 1):
                if col < len(grid[row]) and grid[row][col] in ("", None):
                    grid[row][col] = value
    return grid


def read_grid(data: bytes, file_name: str) -> list[list]:
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".json":
        return _read_json(data)
    if suffix in (".xlsx", ".xls"):
        return _read_excel(data, suffix)
    raise SubmissionError(
        "unsupported_format",
        f"不支持的文件格式：{suffix or '无扩展名'}（应为 xlsx、xls、csv 或 json）",
        f"unsupported file format {suffix or '(none)'}: use xlsx, xls, csv or json",
    )
