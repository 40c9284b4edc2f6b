"""Parsing single cell values the way departments write them (docs/design.md §6).

Each parser returns the parsed value or raises ValueError with a short English reason
(OutOfRange when the value is well formed but its raw column cannot hold it); `None` means
the cell is empty.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

EXCEL_EPOCH = dt.date(1899, 12, 30)
TRUE_WORDS = {"是", "有", "已建", "已建立", "√", "✓", "✔", "y", "yes", "1", "true", "t", "对"}
FALSE_WORDS = {"否", "无", "未建", "未建立", "×", "✗", "✘", "x", "n", "no", "0", "false", "f", "没有"}
APPROXIMATE_MARKERS = ("约", "近", "余", "多", "左右", "以上", "+")
UNIT_SUFFIXES = ("人次", "小时", "个", "人", "次", "时", "h", "hours", "hour")
TOTAL_ROW_WORDS = ("合计", "总计", "小计", "全市")
# The signature and contact lines a template ends with (填表人：…, 联系电话：…, 注：…): dropped
# like total rows once no data row follows. A one-character word (注) is a marker only when no
# letter follows it (注：, 注1., 注 ), so a row starting 注册… is data.
FOOTER_ROW_WORDS = ("填表人", "审核人", "负责人", "联系人", "联系电话", "填报日期", "制表", "备注", "注")
_FOOTER_ROW = re.compile("|".join(r"\s*".join(w) if len(w) > 1 else rf"{w}(?![^\W\d_])" for w in FOOTER_ROW_WORDS))

# What the raw columns can hold (contracts.SQL_TYPES): counts are PostgreSQL `integer`;
# amounts are `numeric`, which holds far more, but nothing a department reports comes near
# 10^15, and bounding digits keeps int() and PostgreSQL's numeric input (exponent ±1000)
# away from values like 1e999999999.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DECIMAL_MAX_INTEGER_DIGITS = 15
DECIMAL_MAX_PLACES = 20
# Excel's own limit per cell; a longer cell did not come from a clerk's spreadsheet.
MAX_CELL_CHARS = 32_767
# PostgreSQL text cannot hold NUL, nor UTF-8 encode a lone surrogate (JSON "\ud800"); the
# other C0 controls (tab, newline and CR aside) are invisible to the clerk and illegal in
# the xlsx feedback report.
INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """The text with the characters PostgreSQL or a reader cannot take shown as escapes (\\x00, \\udcff)."""
    return INVALID_CHARACTERS.sub(lambda m: f"\\x{ord(m[0]):02x}" if m[0] < " " else f"\\u{ord(m[0]):04x}", text)


class OutOfRange(ValueError):
    """A well-formed number that the raw column cannot hold."""


def clean_text(value) -> str | None:
    """NFKC (full-width → half-width, ideographic space → space), trimmed; None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        value = Decimal(value)  # str() of a huge int is refused beyond 4,300 digits; Decimal's is not
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def clean_texts(texts: list[str]) -> list[str | None]:
    """clean_text over many strings with one NFKC pass: a column of distinct names costs one call.

    The strings are joined with NUL, which no normalisation produces and nothing composes with,
    so each piece normalises as it would alone; when a string holds NUL itself, each is cleaned alone.
    TypeError when one is not a string.
    """
    if not texts:
        return []
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        return [clean_text(text) for text in texts]
    return [piece.strip() or None for piece in unicodedata.normalize("NFKC", joined).split("\x00")]


def _serial_to_date(number: float) -> dt.date:
    if not 1 <= number < 2958466:
        raise ValueError("not a date")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s.*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial_to_date(value)
    text = clean_text(value)
    if text is None:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial_to_date(float(text))
    for pattern in _DATE_PATTERNS:
        if match := pattern.match(text):
            year, month, day = map(int, match.groups())
            return dt.date(year, month, day)
    raise ValueError("not a date")


def parse_month(value) -> dt.date | None:
    """A month as the first day of that month; a full date is accepted too."""
    if isinstance(value, (dt.date, dt.datetime)):
        return parse_date(value).replace(day=1)
    text = clean_text(value)
    if text is None:
        return None
    for pattern in _MONTH_PATTERNS:
        if match := pattern.match(text):
            year, month = map(int, match.groups())
            return dt.date(year, month, 1)
    return parse_date(value).replace(day=1)


def parse_boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if text is None:
        return None
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value")


def _bounded(number: Decimal) -> Decimal:
    if not number.is_finite():  # NaN, sNaN and Infinity parse as Decimals but are not numbers
        raise ValueError("not a finite number")
    if number.adjusted() >= DECIMAL_MAX_INTEGER_DIGITS or number.as_tuple().exponent < -DECIMAL_MAX_PLACES:
        raise OutOfRange("number out of range")
    return number


def parse_number(value) -> tuple[Decimal | None, bool]:
    """A count or amount as written (`1000余`, `约50`, `3小时`): (number, approximate)."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int):
        return _bounded(Decimal(value)), False
    if isinstance(value, float):
        return _bounded(Decimal(str(value))), False
    text = clean_text(value)
    if text is None:
        return None, False
    text = text.replace(",", "").replace(" ", "")
    approximate = False
    for marker in APPROXIMATE_MARKERS:
        if marker in text:
            approximate = True
            text = text.replace(marker, "")
    for unit in UNIT_SUFFIXES:
        if text.lower().endswith(unit):
            text = text[: -len(unit)]
            break
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    return _bounded(number), approximate


def parse_integer(value) -> tuple[int | None, bool]:
    number, approximate = parse_number(value)
    if number is None:
        return None, approximate
    if number != number.to_integral_value():
        raise ValueError("not a whole number")
    if not INT_MIN <= number <= INT_MAX:
        raise OutOfRange("integer out of range")
    return int(number), approximate


def first_text(cells: list) -> str | None:
    """The first non-empty cell of a row as text; None for a blank row."""
    for cell in cells:
        if (text := clean_text(cell)) is not None:
            return text
    return None


def is_total_text(first: str | None) -> bool:
    """Whether a row whose first non-empty cell reads `first` is a total row (合计, 小计, ...)."""
    return first is not None and first.replace(" ", "").startswith(TOTAL_ROW_WORDS)


def is_footer_text(first: str | None) -> bool:
    """Whether a row whose first non-empty cell reads `first` (cleaned: NFKC) opens a signature or note line."""
    return first is not None and _FOOTER_ROW.match(first) is not None


def is_total_row(cells: list) -> bool:
    return is_total_text(first_text(cells))


def period_from_file_name(file_name: str) -> dt.date | None:
    """`2024年12月_两个覆盖台账.xlsx`, `202412_xxx.csv`, `2024-12 xxx.xlsx` → 2024-12-01."""
    name = unicodedata.normalize("NFKC", file_name)
    for pattern in (
        r"(20\d{2})\s*年\s*(\d{1,2})\s*月",
        r"(20\d{2})[-_.](\d{1,2})(?!\d)",
        r"(?<!\d)(20\d{2})(\d{2})(?!\d)",
    ):
        if match := re.search(pattern, name):
            year, month = map(int, match.groups())
            if 1 <= month <= 12:
                return dt.date(year, month, 1)
    return None
