"""From a grid of cells to canonical records: header matching, then typed values.

Type problems become findings here; constraints on the typed values (required, enums,
ranges, uniqueness, formats) are checked by the GX suite and the contract rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.intake.contracts import Column, Contract, header_key
from ingest.intake.reference import district_lookup
from ingest.intake.values import (
    clean_text,
    is_total_row,
    parse_boolean,
    parse_date,
    parse_integer,
    parse_month,
    parse_number,
    period_from_file_name,
)
from ingest.quality.findings import Finding

MAX_TITLE_ROWS = 5

TYPE_MESSAGES = {
    "month": ("不是有效的年月（如 2024-12、2024年12月、202412）", "is not a month (2024-12, 2024年12月, 202412)"),
    "date": ("不是有效的日期（如 2024-05-06、2024年5月6日）", "is not a date (2024-05-06, 2024年5月6日)"),
    "boolean": ("不是有效的是/否值（是/否、有/无、√/×、Y/N、1/0）", "is not a yes/no value"),
    "integer": ("不是有效的整数", "is not a whole number"),
    "decimal": ("不是有效的数字", "is not a number"),
}


@dataclass
class ParsedSubmission:
    records: list[dict]
    findings: list[Finding]
    headers: dict[str, str]  # canonical column -> header as submitted
    header_row: int  # 1-based
    total_rows_dropped: int = 0
    extra_headers: list[str] = field(default_factory=list)


def _alias_index(contract: Contract) -> dict[str, Column]:
    return {key: column for column in contract.columns for key in column.header_keys}


def _header_candidates(grid: list[list], row: int) -> list[str]:
    """Header texts of a row, a blank cell taking the text above it (two-level headers)."""
    above = grid[row - 1] if row > 0 else []
    cells = []
    for col, cell in enumerate(grid[row]):
        text = clean_text(cell)
        if text is None and col < len(above):
            text = clean_text(above[col])
        cells.append(text or "")
    return cells


def find_header_row(grid: list[list], contract: Contract) -> int:
    """The 0-based row among the first few whose cells match the most column aliases."""
    aliases = _alias_index(contract)
    best_row, best_hits = -1, 0
    for row in range(min(MAX_TITLE_ROWS + 2, len(grid))):
        hits = len({aliases[k].name for k in map(header_key, _header_candidates(grid, row)) if k in aliases})
        if hits > best_hits:
            best_row, best_hits = row, hits
    if best_hits < 2:
        from ingest.intake.errors import SubmissionError

        raise SubmissionError(
            "header_not_found",
            "未找到表头：前 6 行中没有可识别的列名",
            "no header row found: no recognisable column names in the first 6 rows",
        )
    return best_row


def _parse_value(column: Column, raw, findings: list[Finding], source_row: int, header: str):
    """(value, approximate) for one cell; a type problem is recorded and yields None."""
    try:
        if column.type == "month":
            return parse_month(raw), False
        if column.type == "date":
            return parse_date(raw), False
        if column.type == "boolean":
            return parse_boolean(raw), False
        if column.type == "integer":
            return parse_integer(raw)
        if column.type == "decimal":
            return parse_number(raw)
    except (ValueError, OverflowError):
        zh, en = TYPE_MESSAGES[column.type]
        findings.append(
            Finding(
                f"type_{column.type}",
                "error",
                f"“{clean_text(raw)}”{zh}",
                f"{clean_text(raw)!r} {en}",
                source_row,
                column.name,
                header,
                clean_text(raw),
            )
        )
        return None, False
    text = clean_text(raw)
    if column.type == "enum":
        if text is None:
            return column.empty_means, False
        lowered = text.lower()
        for code, spellings in column.values.items():
            if lowered == code or text in spellings:
                return code, False
        return text, False  # left as written: the suite's value-set check reports it
    if column.type == "district":
        return (district_lookup().get(text, text) if text else None), False
    if column.type == "credit_code":
        return (text.upper().replace(" ", "") if text else None), False
    return text, False


def parse_grid(grid: list[list], contract: Contract, file_name: str) -> ParsedSubmission:
    header_idx = find_header_row(grid, contract)
    aliases = _alias_index(contract)
    findings: list[Finding] = []
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    extra: dict[int, str] = {}
    for col, text in enumerate(_header_candidates(grid, header_idx)):
        if not text:
            continue
        column = aliases.get(header_key(text))
        if column and column.name not in positions:
            positions[column.name] = col
            headers[column.name] = text
        else:
            extra[col] = text
    for text in extra.values():
        findings.append(
            Finding(
                "extra_column",
                "warning",
                f"未识别的列“{text}”，已原样保存",
                f"unrecognised column {text!r} kept in extra",
                None,
                None,
                text,
            )
        )

    file_period = period_from_file_name(file_name)
    for column in contract.columns:
        if column.required and column.name not in positions:
            if column.period_from_file_name and file_period:
                continue
            findings.append(
                Finding(
                    "missing_column",
                    "error",
                    f"缺少必填列“{column.label_zh}”",
                    f"required column {column.name} ({column.label_zh}) is missing",
                    None,
                    column.name,
                    column.label_zh,
                )
            )
    if any(f.rule == "missing_column" for f in findings):
        return ParsedSubmission([], findings, headers, header_idx + 1)

    records, total_rows = [], []
    for idx in range(header_idx + 1, len(grid)):
        cells = grid[idx]
        if all(clean_text(c) is None for c in cells):
            continue
        if is_total_row(cells):
            total_rows.append((idx + 1, cells))
            continue
        source_row = idx + 1
        record = {"source_row": source_row}
        approximate = False
        for column in contract.columns:
            if column.name not in positions:
                value = file_period if column.period_from_file_name else column.default
                record[column.name] = value
                continue
            col = positions[column.name]
            raw = cells[col] if col < len(cells) else None
            value, approx = _parse_value(column, raw, findings, source_row, headers[column.name])
            if value is None and column.default is not None:
                value = column.default
            record[column.name] = value
            approximate |= approx
            if approx and not column.approximate_allowed:
                findings.append(
                    Finding(
                        "approximate_not_allowed",
                        "error",
                        f"“{clean_text(raw)}”为约数，该列须填写确切数字",
                        f"{column.name} must be exact, got {clean_text(raw)!r}",
                        source_row,
                        column.name,
                        headers[column.name],
                        clean_text(raw),
                    )
                )
        if contract.has_approximate:
            record["is_approximate"] = approximate
        record["extra"] = {
            text: clean_text(cells[col])
            for col, text in extra.items()
            if col < len(cells) and clean_text(cells[col]) is not None
        } or None
        records.append(record)
    findings += _cross_check_totals(contract, records, total_rows, positions, headers)
    return ParsedSubmission(records, findings, headers, header_idx + 1, len(total_rows), list(extra.values()))


def _cross_check_totals(
    contract: Contract, records: list[dict], total_rows: list, positions: dict, headers: dict
) -> list[Finding]:
    """A dropped 合计 row that carries sums must agree with the rows above it (a warning if not)."""
    findings = []
    numeric = [c for c in contract.columns if c.type in ("integer", "decimal") and c.name in positions]
    for source_row, cells in total_rows[:1]:  # the grand total; sub-totals (小计) are not summed here
        for column in numeric:
            col = positions[column.name]
            try:
                stated, _ = parse_number(cells[col] if col < len(cells) else None)
            except ValueError:
                continue
            if stated is None:
                continue
            actual = sum((r[column.name] or 0) for r in records)
            if stated != actual:
                findings.append(
                    Finding(
                        "total_mismatch",
                        "warning",
                        f"合计行的{column.label_zh}为 {stated}，明细合计为 {actual}",
                        f"the total row states {column.name} = {stated} but the rows sum to {actual}",
                        source_row,
                        column.name,
                        headers[column.name],
                        str(stated),
                    )
                )
    return findings
