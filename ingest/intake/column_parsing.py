"""One column of a grid parsed at once: each distinct raw cell is parsed once, then looked up.

Enums, districts, booleans, months and most counts repeat down a column, so a 100,000-row file
holds a few hundred distinct cells per column at most; parsing those once and mapping the rest
through a table is what makes normalisation cheap. `parse_cell` is the one definition of what
a cell becomes (value, approximate flag, and the type problem a finding reports); `parse_column`
memoises it, and cleans a column of plain text in one pass (values.clean_texts), so the two agree
(tests/test_column_parsing.py holds them to that on generated messy columns and sheets).
"""

from __future__ import annotations

from typing import NamedTuple

from ingest.intake.contracts import Column
from ingest.intake.reference import district_lookup
from ingest.intake.values import (
    DECIMAL_MAX_INTEGER_DIGITS,
    DECIMAL_MAX_PLACES,
    INT_MAX,
    INT_MIN,
    MAX_CELL_CHARS,
    OutOfRange,
    clean_text,
    clean_texts,
    parse_boolean,
    parse_date,
    parse_integer,
    parse_month,
    parse_number,
    visible,
)

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


class CellProblem(NamedTuple):
    """What a finding on the cell says; its row, column and header are the caller's."""

    rule: str
    message_zh: str
    message_en: str
    value: str | None


class ParsedCell(NamedTuple):
    value: object  # the typed value, the column's default when empty or unparseable
    approximate: bool
    problem: CellProblem | None


class ParsedColumn(NamedTuple):
    values: list
    approximate: list[bool] | None  # None when no cell of the column is approximate
    problems: list[tuple[int, CellProblem]]  # (position in the column, problem), in column order


def shown(text: str | None) -> str | None:
    """A cell as a finding quotes it: control characters made visible, long text cut."""
    if text is None:
        return None
    text = visible(text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _typed(column: Column, raw) -> tuple[object, bool]:
    """(value, approximate) of one cell; ValueError/OverflowError when it is not of the column's type."""
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
    return _from_text(column, text), False


# column types whose value is the cleaned text itself (or a plain function of it): no cell fails
TEXT_TYPES = ("text", "credit_code")


def _from_text(column: Column, text: str | None) -> str | None:
    if column.type == "credit_code":
        return text.upper().replace(" ", "") if text else None
    return text


def parse_cell(column: Column, raw) -> ParsedCell:
    """What one cell of the column becomes: its value, whether it is approximate, and its type problem."""
    try:
        value, approximate = _typed(column, raw)
        problem = None
    except (ValueError, OverflowError) as exc:
        value, approximate = None, False
        if isinstance(exc, OutOfRange):
            rule = f"{column.type}_out_of_range"
            zh, en = LIMIT_MESSAGES[rule]
        else:
            rule = f"type_{column.type}"
            zh, en = TYPE_MESSAGES[column.type]
        quoted = shown(clean_text(raw))
        problem = CellProblem(rule, f"“{quoted}”{zh}", f"{quoted!r} {en}", quoted)
    if value is None and column.default is not None:
        value = column.default
    if approximate and not column.approximate_allowed:
        text = clean_text(raw)
        problem = CellProblem(
            "approximate_not_allowed",
            f"“{text}”为约数，该列须填写确切数字",
            f"{column.name} must be exact, got {text!r}",
            text,
        )
    return ParsedCell(value, approximate, problem)


def cell_key(raw):
    """A key under which every cell that parses the same way meets, and no two that do not.

    Not the cell itself: True == 1 == 1.0 and -0.0 == 0.0 in Python, yet a boolean is no count
    and Decimal(-0.0) keeps its sign; dicts and lists (JSON cells) are not hashable. Text (nearly
    every cell of a csv) is its own key; otherwise the type and the exact spelling (repr) decide,
    which is all the parsers look at. A huge int keeps itself: its repr is refused past 4,300 digits
    (so is that of a JSON list holding one: such a cell is its own key, parsed on its own).
    """
    kind = raw.__class__
    if kind is str:
        return raw
    if kind is int or kind is bool or raw is None:
        return (kind, raw)
    try:
        return (kind, repr(raw))
    except ValueError:
        return (kind, id(raw))


def _keys(raws: list) -> list:
    if set(map(type, raws)) <= {str}:  # a csv's column: every cell its own key, no list built
        return raws
    return [raw if raw.__class__ is str else cell_key(raw) for raw in raws]


def map_distinct(func, raws: list) -> list:
    """``[func(raw) for raw in raws]``, with func called once per distinct cell (cell_key)."""
    keys = _keys(raws)
    table = {key: func(raw) for key, raw in dict(zip(keys, raws)).items()}  # any raw of a key parses the same
    return list(map(table.__getitem__, keys))


def parse_column(column: Column, raws: list) -> ParsedColumn:
    """parse_cell over a column, each distinct cell parsed once; lists built from the distinct cells' results."""
    if column.type in TEXT_TYPES:
        try:  # names and codes are mostly distinct: cleaned in one pass instead of one call each
            texts = clean_texts(raws)
        except TypeError:  # not all text (a workbook's numbers, dates): cell by distinct cell below
            pass
        else:
            values = [_from_text(column, text) for text in texts] if column.type != "text" else texts
            if column.default is not None:
                values = [column.default if value is None else value for value in values]
            return ParsedColumn(values, None, [])
    keys = _keys(raws)
    parsed = {key: parse_cell(column, raw) for key, raw in dict(zip(keys, raws)).items()}
    values = list(map({key: cell.value for key, cell in parsed.items()}.__getitem__, keys))
    approximate = None
    if any(cell.approximate for cell in parsed.values()):
        approximate = list(map({key: cell.approximate for key, cell in parsed.items()}.__getitem__, keys))
    problems = []
    if any(cell.problem for cell in parsed.values()):
        problem_of = {key: cell.problem for key, cell in parsed.items() if cell.problem}
        problems = [(position, problem_of[key]) for position, key in enumerate(keys) if key in problem_of]
    return ParsedColumn(values, approximate, problems)
