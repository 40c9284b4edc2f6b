"""From a grid of cells to canonical records: header matching, then typed values.

Type problems become findings here; constraints on the typed values (required, enums,
ranges, uniqueness, formats) are checked by the GX suite and the contract rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ingest.intake.contracts import Column, Contract, header_key
from ingest.intake.reference import district_lookup
from ingest.intake.values import (
    DECIMAL_MAX_INTEGER_DIGITS,
    DECIMAL_MAX_PLACES,
    INT_MAX,
    INT_MIN,
    INVALID_CHARACTERS,
    MAX_CELL_CHARS,
    OutOfRange,
    clean_text,
    is_total_row,
    parse_boolean,
    parse_date,
    parse_integer,
    parse_month,
    parse_number,
    period_from_file_name,
    visible,
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

# Values PostgreSQL or the typed raw columns cannot hold (limits in values.py): error findings on
# their cell, never exceptions. The number rules are `<type>_out_of_range`.
LIMIT_MESSAGES = {
    "invalid_character": (
        "含有不可见的控制字符或无效字符（如 NUL），无法保存，请删除后重新报送",
        "contains a control or invalid character (such as NUL) that cannot be stored",
    ),
    "cell_too_long": (
        f"单元格内容过长（超过 {MAX_CELL_CHARS} 个字符）",
        f"the cell holds more than {MAX_CELL_CHARS} characters",
    ),
    "integer_out_of_range": (
        f"超出整数范围（{INT_MIN} 至 {INT_MAX}）",
        f"is outside the integer range {INT_MIN}..{INT_MAX}",
    ),
    "decimal_out_of_range": (
        f"超出数值范围（整数部分最多 {DECIMAL_MAX_INTEGER_DIGITS} 位，小数最多 {DECIMAL_MAX_PLACES} 位）",
        f"is out of range (at most {DECIMAL_MAX_INTEGER_DIGITS} integer digits and {DECIMAL_MAX_PLACES} decimal places)",
    ),
}
SHOWN_CHARS = 100  # how much of a cell a finding quotes


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
    except (ValueError, OverflowError) as exc:
        rule = f"{column.type}_out_of_range" if isinstance(exc, OutOfRange) else f"type_{column.type}"
        zh, en = LIMIT_MESSAGES[rule] if isinstance(exc, OutOfRange) else TYPE_MESSAGES[column.type]
        shown = _shown(clean_text(raw))
        findings.append(
            Finding(rule, "error", f"“{shown}”{zh}", f"{shown!r} {en}", source_row, column.name, header, shown)
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


def _shown(text: str | None) -> str | None:
    """A cell as a finding quotes it: control characters made visible, long text cut."""
    if text is None:
        return None
    text = visible(text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _screen(grid: list[list]) -> tuple[list[list], dict[int, dict[int, tuple[str, str]]]]:
    """Set aside the cells PostgreSQL cannot hold or that are too long, before anything reads them.

    Returns the grid with such cells replaced (invalid characters removed, too-long cells
    emptied) and {row: {col: (rule, value as quoted)}}. Rows without a problem are not copied.
    """
    problems: dict[int, dict[int, tuple[str, str]]] = {}
    screened = grid
    for r, row in _rows_to_screen(grid):
        texts = [t for t in map(_text_of, row) if t]
        if not texts or (max(map(len, texts)) <= MAX_CELL_CHARS and not INVALID_CHARACTERS.search("\t".join(texts))):
            continue
        new_row = list(row)
        for c, text in enumerate(map(_text_of, row)):
            if not text:
                continue
            if len(text) > MAX_CELL_CHARS:
                problems.setdefault(r, {})[c] = ("cell_too_long", _shown(text))
                new_row[c] = None
            elif INVALID_CHARACTERS.search(text):
                problems.setdefault(r, {})[c] = ("invalid_character", _shown(text))
                new_row[c] = INVALID_CHARACTERS.sub("", text)
        if screened is grid:
            screened = list(grid)
        screened[r] = new_row
    return screened, problems


def _rows_to_screen(grid: list[list], chunk: int = 10_000):
    """(index, row) of the rows that may hold a problem: whole chunks of clean rows are passed over
    with one search, since nearly every file is clean."""
    for start in range(0, len(grid), chunk):
        rows = grid[start : start + chunk]
        strings = [c for row in rows for c in row if isinstance(c, str)]
        others = [c for row in rows for c in row if not isinstance(c, (str, float)) and c is not None]
        if (
            strings
            and (max(map(len, strings)) > MAX_CELL_CHARS or INVALID_CHARACTERS.search("\t".join(strings)))
            or any(map(_text_of, others))
        ):
            yield from enumerate(rows, start)


def _text_of(cell) -> str | None:
    """The text of a cell that could be long or hold any character: text, a huge int, a JSON object."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, int) and not isinstance(cell, bool) and cell.bit_length() > 64:
        return str(Decimal(cell))  # str() of an int refuses more than 4,300 digits; Decimal's does not
    if isinstance(cell, (dict, list)):
        return str(cell)
    return None


def _unique(text: str, taken: set[str]) -> str:
    """`备注`, then `备注(2)`, `备注(3)`: the same unknown header twice must not lose a column in `extra`."""
    n, key = 1, text
    while key in taken:
        n += 1
        key = f"{text}({n})"
    return key


def _limit_finding(rule: str, shown: str, source_row: int, column: str | None, header: str | None) -> Finding:
    zh, en = LIMIT_MESSAGES[rule]
    return Finding(rule, "error", zh, f"{shown!r} {en}", source_row, column, header, shown)


def parse_grid(grid: list[list], contract: Contract, file_name: str) -> ParsedSubmission:
    grid, problems = _screen(grid)
    header_idx = find_header_row(grid, contract)
    aliases = _alias_index(contract)
    findings: list[Finding] = []
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    extra: dict[int, str] = {}
    duplicates: dict[int, tuple[str, str]] = {}  # col -> (canonical column it repeats, header)
    for col, text in enumerate(_header_candidates(grid, header_idx)):
        if not text:
            continue
        column = aliases.get(header_key(text))
        if column and column.name not in positions:
            positions[column.name] = col
            headers[column.name] = text
        elif column:
            duplicates[col] = (column.name, text)
        else:
            extra[col] = _unique(text, set(extra.values()))
    names = {col: name for name, col in positions.items()}
    for col, (rule, shown) in problems.get(header_idx, {}).items():
        findings.append(_limit_finding(rule, shown, header_idx + 1, names.get(col), shown))
    for text in extra.values():
        findings.append(
            Finding(
                "extra_column",
                "warning",
                f"未识别的列“{_shown(text)}”，已原样保存",
                f"unrecognised column {_shown(text)!r} kept in extra",
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
    conflicts: dict[int, int] = {}  # duplicate col -> first row where it disagrees with the first col
    for idx in range(header_idx + 1, len(grid)):
        cells = grid[idx]
        if all(clean_text(c) is None for c in cells):
            continue
        if is_total_row(cells):
            total_rows.append((idx + 1, cells))
            continue
        source_row = idx + 1
        for col, (rule, shown) in problems.get(idx, {}).items():
            if col in names or col in extra:  # cells under no header are not kept
                findings.append(
                    _limit_finding(rule, shown, source_row, names.get(col), headers.get(names.get(col), extra.get(col)))
                )
        for col, (name, _) in duplicates.items():
            again = clean_text(cells[col]) if col < len(cells) else None
            first = positions[name]
            if again is not None and again != (clean_text(cells[first]) if first < len(cells) else None):
                conflicts.setdefault(col, source_row)
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
    for col, source_row in conflicts.items():
        name, text = duplicates[col]
        label = contract.column(name).label_zh
        findings.append(
            Finding(
                "duplicate_column",
                "error",
                f"“{_shown(text)}”与“{_shown(headers[name])}”都是{label}列，但内容不一致，无法确定采用哪一列",
                f"columns {_shown(text)!r} and {_shown(headers[name])!r} both mean {name} and disagree",
                source_row,
                name,
                text,
                _shown(clean_text(grid[source_row - 1][col])),
            )
        )
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
