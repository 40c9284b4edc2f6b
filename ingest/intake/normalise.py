"""From a grid of cells to canonical records: header matching, then typed values.

Type problems become findings here; constraints on the typed values (required, enums,
ranges, uniqueness, formats) are checked by the GX suite and the contract rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, count, repeat
from operator import itemgetter, or_

from ingest.findings import Finding
from ingest.intake.column_parsing import LIMIT_MESSAGES, map_distinct, parse_column, shown
from ingest.intake.contracts import Column, Contract, header_key
from ingest.intake.values import (
    INVALID_CHARACTERS,
    MAX_CELL_CHARS,
    clean_text,
    first_text,
    is_total_text,
    parse_number,
    period_from_file_name,
)

MAX_TITLE_ROWS = 5


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
                problems.setdefault(r, {})[c] = ("cell_too_long", shown(text))
                new_row[c] = None
            elif INVALID_CHARACTERS.search(text):
                problems.setdefault(r, {})[c] = ("invalid_character", shown(text))
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
        cells = list(chain.from_iterable(rows))
        try:  # a csv grid is all text: one join and one search, no test per cell
            text = "\t".join(cells)
        except TypeError:
            pass
        else:
            if cells and (max(map(len, cells)) > MAX_CELL_CHARS or INVALID_CHARACTERS.search(text)):
                yield from enumerate(rows, start)
            continue
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


def _limit_finding(rule: str, quoted: str, source_row: int, column: str | None, header: str | None) -> Finding:
    zh, en = LIMIT_MESSAGES[rule]
    return Finding(rule, "error", zh, f"{quoted!r} {en}", source_row, column, header, quoted)


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
    for col, (rule, quoted) in problems.get(header_idx, {}).items():
        findings.append(_limit_finding(rule, quoted, header_idx + 1, names.get(col), quoted))
    for text in extra.values():
        findings.append(
            Finding(
                "extra_column",
                "warning",
                f"未识别的列“{shown(text)}”，已原样保存",
                f"unrecognised column {shown(text)!r} kept in extra",
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

    data_rows, total_rows = [], []  # grid indices of the data rows; (source_row, cells) of total rows
    body = grid[header_idx + 1 :]
    # a row's first cell is nearly always its first text: cleaned once per distinct value
    firsts = map_distinct(clean_text, [cells[0] if cells else None for cells in body])
    for idx, cells, first in zip(count(header_idx + 1), body, firsts):
        if first is None and (first := first_text(cells)) is None:
            continue  # blank row
        if is_total_text(first):
            total_rows.append((idx + 1, cells))
            continue
        data_rows.append(idx)

    # findings per data row, in the order a row-by-row reading meets them: the row's storage
    # problems first, then its type problems column by column in contract order
    row_findings: dict[int, list[Finding]] = {}
    for idx in data_rows:
        for col, (rule, quoted) in problems.get(idx, {}).items():
            if col in names or col in extra:  # cells under no header are not kept
                header = headers.get(names.get(col), extra.get(col))
                row_findings.setdefault(idx, []).append(_limit_finding(rule, quoted, idx + 1, names.get(col), header))

    conflicts: dict[int, int] = {}  # duplicate col -> first row where it disagrees with the first col
    for col, (name, _) in duplicates.items():
        first_col = positions[name]
        for idx in data_rows:
            cells = grid[idx]
            again = clean_text(cells[col]) if col < len(cells) else None
            if again is not None and again != (clean_text(cells[first_col]) if first_col < len(cells) else None):
                conflicts[col] = idx + 1
                break

    # column by column: each distinct cell parsed once (column_parsing), then records row by row
    rows = [grid[idx] for idx in data_rows]
    width = min(map(len, rows), default=0)
    names_out, columns_out = ["source_row"], [[idx + 1 for idx in data_rows]]
    approximate: list[bool] | None = None
    for column in contract.columns:
        names_out.append(column.name)
        if column.name not in positions:
            columns_out.append(repeat(file_period if column.period_from_file_name else column.default))
            continue
        parsed = parse_column(column, _cells_of(rows, positions[column.name], width))
        columns_out.append(parsed.values)
        if parsed.approximate is not None:
            approximate = list(map(or_, approximate or repeat(False), parsed.approximate))
        for position, problem in parsed.problems:
            idx = data_rows[position]
            row_findings.setdefault(idx, []).append(
                Finding(
                    problem.rule,
                    "error",
                    problem.message_zh,
                    problem.message_en,
                    idx + 1,
                    column.name,
                    headers[column.name],
                    problem.value,
                )
            )
    if contract.has_approximate:
        names_out.append("is_approximate")
        columns_out.append(approximate or repeat(False))
    names_out.append("extra")
    columns_out.append(_extra_column(rows, extra) if extra else repeat(None))
    records = [dict(zip(names_out, values)) for values in zip(*columns_out)]
    for idx in sorted(row_findings):
        findings += row_findings[idx]

    for col, source_row in conflicts.items():
        name, text = duplicates[col]
        label = contract.column(name).label_zh
        findings.append(
            Finding(
                "duplicate_column",
                "error",
                f"“{shown(text)}”与“{shown(headers[name])}”都是{label}列，但内容不一致，无法确定采用哪一列",
                f"columns {shown(text)!r} and {shown(headers[name])!r} both mean {name} and disagree",
                source_row,
                name,
                text,
                shown(clean_text(grid[source_row - 1][col])),
            )
        )
    findings += _cross_check_totals(contract, records, total_rows, positions, headers)
    return ParsedSubmission(records, findings, headers, header_idx + 1, len(total_rows), list(extra.values()))


def _cells_of(rows: list[list], col: int, width: int) -> list:
    """The cells of one grid column; a short row has None there (``width``: the shortest row's)."""
    if col < width:
        return list(map(itemgetter(col), rows))
    return [cells[col] if col < len(cells) else None for cells in rows]


def _extra_column(rows: list[list], extra: dict[int, str]) -> list[dict | None]:
    """Per row, the cells under unrecognised headers as {header: text}, or None when all are empty."""
    texts = {
        text: map_distinct(clean_text, _cells_of(rows, col, min(map(len, rows), default=0)))
        for col, text in extra.items()
    }
    return [
        {text: cells[position] for text, cells in texts.items() if cells[position] is not None} or None
        for position in range(len(rows))
    ]


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
