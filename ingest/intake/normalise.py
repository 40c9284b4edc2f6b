"""From a grid of cells to canonical records, phase by phase: the sheet and header row that hold
the data, the columns under that header, the body split into data, total and footer rows, then
typed values column by column and the records.

Type problems become findings here; constraints on the typed values (required, enums,
ranges, uniqueness, formats) are checked by the GX suite and the contract rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import chain, count, repeat
from operator import itemgetter, or_

from ingest.findings import Finding
from ingest.intake.column_parsing import LIMIT_MESSAGES, map_distinct, parse_cell, parse_column, shown
from ingest.intake.contracts import Column, Contract, header_key
from ingest.intake.errors import SubmissionError
from ingest.intake.readers import Grid
from ingest.intake.records import Records
from ingest.intake.values import (
    INVALID_CHARACTERS,
    MAX_CELL_CHARS,
    clean_text,
    first_text,
    is_footer_text,
    is_total_text,
    parse_number,
    period_from_file_name,
)

MAX_TITLE_ROWS = 5


@dataclass
class ParsedSubmission:
    records: Records
    findings: list[Finding]
    headers: dict[str, str]  # canonical column -> header as submitted
    header_row: int  # 1-based
    total_rows_dropped: int = 0
    extra_headers: list[str] = field(default_factory=list)
    footer_rows_dropped: int = 0  # signature and note lines after the data
    sheet: str | None = None  # the data's sheet, named when the workbook has several


@dataclass
class _Columns:
    """What the header row says: where each contract column is, and what else is there."""

    positions: dict[str, int]  # canonical column -> grid column (the first one so named)
    headers: dict[str, str]  # canonical column -> header as submitted
    extra: dict[int, str]  # grid column -> unrecognised header, made unique
    duplicates: dict[int, tuple[str, str]]  # grid column -> (canonical column it repeats, header)
    missing: list[Column]  # required columns neither present nor given by the file name


@dataclass
class _Table:
    """The sheet that holds the data, screened (see _screen), with its header row and columns."""

    grid: list[list]
    problems: dict[int, dict[int, tuple[str, str]]]
    header_idx: int  # 0-based
    columns: _Columns
    sheet: str | None


@dataclass
class _Body:
    """The rows under the header row, by what they are."""

    data_rows: list[int]  # grid indices
    total_rows: list[tuple[int, list]]  # (source_row, cells) of 合计/小计 rows
    footer_rows: int  # signature and note lines after the data, dropped


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
    header_idx = _header_row(grid, contract)
    if header_idx is None:
        raise _header_not_found([None])
    return header_idx


def _header_row(grid: list[list], contract: Contract) -> int | None:
    aliases = _alias_index(contract)
    best_row, best_hits = -1, 0
    for row in range(min(MAX_TITLE_ROWS + 2, len(grid))):
        hits = len({aliases[k].name for k in map(header_key, _header_candidates(grid, row)) if k in aliases})
        if hits > best_hits:
            best_row, best_hits = row, hits
    return best_row if best_hits >= 2 else None


def _header_not_found(sheets: list[str | None]) -> SubmissionError:
    if len(sheets) < 2:
        return SubmissionError(
            "header_not_found",
            "未找到表头：前 6 行中没有可识别的列名",
            "no header row found: no recognisable column names in the first 6 rows",
        )
    listed = "、".join(f"“{shown(name)}”" for name in sheets)
    return SubmissionError(
        "header_not_found",
        f"未找到表头：{len(sheets)} 个工作表（{listed}）的前 6 行中都没有可识别的列名",
        f"no header row found: no recognisable column names in the first 6 rows of any of the {len(sheets)} sheets",
    )


def _sheets(grid: list[list]) -> Iterator[list[list]]:
    """A workbook's sheets in reading order, each read when reached; csv, json and a bare grid are one sheet."""
    return grid.sheets() if isinstance(grid, Grid) else iter((grid,))


def _find_table(grid: list[list], contract: Contract, file_period: dt.date | None) -> _Table:
    """The first sheet whose header row carries every required column (a cover sheet or 填表说明
    before it is passed over); else the first with a header row at all, whose missing columns are
    reported; else no header was found on any sheet."""
    fallback, names = None, []
    for sheet in _sheets(grid):
        names.append(sheet.sheet if isinstance(sheet, Grid) else None)
        screened, problems = _screen(sheet)
        header_idx = _header_row(screened, contract)
        if header_idx is None:
            continue
        columns = _map_columns(screened, header_idx, contract, file_period)
        table = _Table(screened, problems, header_idx, columns, names[-1])
        if not columns.missing:
            return table
        fallback = fallback or table
    if fallback is None:
        raise _header_not_found(names)
    return fallback


def _map_columns(grid: list[list], header_idx: int, contract: Contract, file_period: dt.date | None) -> _Columns:
    """Each header cell matched to a contract column by its aliases (the first of two so named wins)."""
    aliases = _alias_index(contract)
    columns = _Columns({}, {}, {}, {}, [])
    for col, text in enumerate(_header_candidates(grid, header_idx)):
        if not text:
            continue
        column = aliases.get(header_key(text))
        if column and column.name not in columns.positions:
            columns.positions[column.name] = col
            columns.headers[column.name] = text
        elif column:
            columns.duplicates[col] = (column.name, text)
        else:
            columns.extra[col] = _unique(text, set(columns.extra.values()))
    columns.missing = [
        column
        for column in contract.columns
        if column.required
        and column.name not in columns.positions
        and not (column.period_from_file_name and file_period)
    ]
    return columns


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


def parse_grid(grid: list[list], contract: Contract, file_name: str, *, release_rows: bool = False) -> ParsedSubmission:
    """The grid's table as records and findings. ``release_rows``: the caller no longer needs the
    grid, so each data row is let go once its cells are parsed, before the records are built (at
    the row limit the grid and the records would otherwise be in memory at once)."""
    file_period = period_from_file_name(file_name)
    table = _find_table(grid, contract, file_period)
    columns = table.columns
    findings = _header_findings(table)
    if columns.missing:
        parsed = ParsedSubmission(Records(), findings, columns.headers, table.header_idx + 1, sheet=table.sheet)
        return _naming_sheet(parsed)
    body = _split_body(table.grid, table.header_idx, _complete_row(contract, columns))
    row_findings = _cell_limit_findings(table, body.data_rows)
    conflicts = _conflicts(table.grid, columns, body.data_rows)
    duplicate_findings = _duplicate_findings(table.grid, contract, columns, conflicts)
    records = _records(table, contract, body.data_rows, file_period, row_findings, release_rows)
    for idx in sorted(row_findings):
        findings += row_findings[idx]
    findings += duplicate_findings
    findings += _cross_check_totals(contract, records, body.total_rows, columns.positions, columns.headers)
    parsed = ParsedSubmission(
        records,
        findings,
        columns.headers,
        table.header_idx + 1,
        len(body.total_rows),
        list(columns.extra.values()),
        body.footer_rows,
        table.sheet,
    )
    return _naming_sheet(parsed)


def _header_findings(table: _Table) -> list[Finding]:
    """The header row's own: cells that cannot be stored, unrecognised columns, missing required ones."""
    columns = table.columns
    names = {col: name for name, col in columns.positions.items()}
    findings = [
        _limit_finding(rule, quoted, table.header_idx + 1, names.get(col), quoted)
        for col, (rule, quoted) in table.problems.get(table.header_idx, {}).items()
    ]
    for text in columns.extra.values():
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
    for column in columns.missing:
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
    return findings


def _split_body(grid: list[list], header_idx: int, complete: Callable[[list], bool]) -> _Body:
    """Blank rows are skipped, total rows (合计…) set apart, and the footer after the data dropped."""
    rows, firsts, total_rows = [], [], []  # rows: grid indices of the other non-blank rows, and their first texts
    body = grid[header_idx + 1 :]
    # a row's first cell is nearly always its first text: cleaned once per distinct value
    cleaned = map_distinct(clean_text, [cells[0] if cells else None for cells in body])
    for idx, cells, first in zip(count(header_idx + 1), body, cleaned):
        if first is None and (first := first_text(cells)) is None:
            continue  # blank row
        if is_total_text(first):
            total_rows.append((idx + 1, cells))
            continue
        rows.append(idx)
        firsts.append(first)
    start = _footer_start(grid, rows, firsts, complete)
    return _Body(rows[:start], total_rows, len(rows) - start)


def _footer_start(grid: list[list], rows: list[int], firsts: list[str], complete: Callable[[list], bool]) -> int:
    """Where in ``rows`` the footer begins (len(rows) when there is none): the topmost row opening a
    signature or note line (填表人：…, 注：…) below which every row opens one too or holds a single text
    (a note's next line, a phone number on its own). The search ends at the first row from the bottom
    that looks like data, and a complete record is data whatever its first cell starts with."""
    start = len(rows)
    for position in range(len(rows) - 1, -1, -1):
        cells = grid[rows[position]]
        if is_footer_text(firsts[position]) and not complete(cells):
            start = position
        elif len({text for text in map(clean_text, cells) if text is not None}) > 1:
            break
    return start


def _complete_row(contract: Contract, columns: _Columns) -> Callable[[list], bool]:
    """Whether a row holds a valid value under every required column the header has: a record, not a note."""
    required = [
        (contract.column(name), col) for name, col in columns.positions.items() if contract.column(name).required
    ]

    def complete(cells: list) -> bool:
        return all(
            col < len(cells) and clean_text(cells[col]) is not None and parse_cell(column, cells[col]).problem is None
            for column, col in required
        )

    return complete


def _cell_limit_findings(table: _Table, data_rows: list[int]) -> dict[int, list[Finding]]:
    """Per data row, its cells that cannot be stored: the first of a row's findings, in reading order."""
    columns = table.columns
    names = {col: name for name, col in columns.positions.items()}
    row_findings: dict[int, list[Finding]] = {}
    for idx in data_rows:
        for col, (rule, quoted) in table.problems.get(idx, {}).items():
            if col in names or col in columns.extra:  # cells under no header are not kept
                header = columns.headers.get(names.get(col), columns.extra.get(col))
                row_findings.setdefault(idx, []).append(_limit_finding(rule, quoted, idx + 1, names.get(col), header))
    return row_findings


def _conflicts(grid: list[list], columns: _Columns, data_rows: list[int]) -> dict[int, int]:
    """Duplicate column -> the first source row where it disagrees with the first column so named."""
    conflicts = {}
    for col, (name, _) in columns.duplicates.items():
        first_col = columns.positions[name]
        for idx in data_rows:
            cells = grid[idx]
            again = clean_text(cells[col]) if col < len(cells) else None
            if again is not None and again != (clean_text(cells[first_col]) if first_col < len(cells) else None):
                conflicts[col] = idx + 1
                break
    return conflicts


def _records(
    table: _Table,
    contract: Contract,
    data_rows: list[int],
    file_period: dt.date | None,
    row_findings: dict[int, list[Finding]],
    release_rows: bool = False,
) -> Records:
    """Column by column (each distinct cell parsed once, column_parsing), kept as columns; each
    type problem is added to its row's findings, in contract column order."""
    columns = table.columns
    rows = [table.grid[idx] for idx in data_rows]
    width = min(map(len, rows), default=0)
    names_out, columns_out = ["source_row"], [[idx + 1 for idx in data_rows]]
    approximate: list[bool] | None = None
    for column in contract.columns:
        names_out.append(column.name)
        if column.name not in columns.positions:
            columns_out.append([file_period if column.period_from_file_name else column.default] * len(rows))
            continue
        parsed = parse_column(column, _cells_of(rows, columns.positions[column.name], width))
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
                    columns.headers[column.name],
                    problem.value,
                )
            )
    if contract.has_approximate:
        names_out.append("is_approximate")
        columns_out.append(approximate or [False] * len(rows))
    names_out.append("extra")
    columns_out.append(_extra_column(rows, columns.extra) if columns.extra else [None] * len(rows))
    if release_rows:  # every cell is parsed: the rows' cells need not outlive this point
        del rows
        for idx in data_rows:
            table.grid[idx] = None
    return Records(dict(zip(names_out, columns_out)))


def _duplicate_findings(
    grid: list[list], contract: Contract, columns: _Columns, conflicts: dict[int, int]
) -> list[Finding]:
    findings = []
    for col, source_row in conflicts.items():
        name, text = columns.duplicates[col]
        label = contract.column(name).label_zh
        first = columns.headers[name]
        findings.append(
            Finding(
                "duplicate_column",
                "error",
                f"“{shown(text)}”与“{shown(first)}”都是{label}列，但内容不一致，无法确定采用哪一列",
                f"columns {shown(text)!r} and {shown(first)!r} both mean {name} and disagree",
                source_row,
                name,
                text,
                shown(clean_text(grid[source_row - 1][col])),
            )
        )
    return findings


def _naming_sheet(parsed: ParsedSubmission) -> ParsedSubmission:
    """In a workbook of several sheets, each finding says which sheet it is about."""
    parsed.findings = on_sheet(parsed.findings, parsed.sheet)
    return parsed


def on_sheet(findings: list[Finding], sheet: str | None) -> list[Finding]:
    """The findings, each naming the sheet (a workbook of several sheets); unchanged when ``sheet`` is None."""
    if sheet is None:
        return findings
    zh, en = f"（工作表“{shown(sheet)}”）", f" (sheet {shown(sheet)!r})"
    return [replace(f, message_zh=f.message_zh + zh, message_en=f.message_en + en) for f in findings]


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
    contract: Contract, records: Records, total_rows: list, positions: dict, headers: dict
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
            actual = sum(value or 0 for value in records.column(column.name))
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
