"""Property-based fuzzing of the readers and the normaliser (hypothesis).

Messy grids and bytes — real-looking values beside control characters, huge numbers, odd
unicode and random bytes — go through read_grid → parse_grid for every contract. Whatever
comes in: nothing but a SubmissionError escapes, every record value fits its raw column,
and every finding has a rule and both messages that PostgreSQL and the feedback workbook can
store.

`make test` runs a short derandomised run; `make fuzz EXAMPLES=20000 SEED=1` a long one
(SWDW_FUZZ_EXAMPLES, SWDW_FUZZ_SEED). A failing input found by a long run becomes a test
in the regression section at the end of this file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, example, given, seed, settings
from hypothesis import strategies as st

from ingest.intake.contracts import SQL_TYPES, Contract, all_contracts
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import parse_grid
from ingest.intake.readers import read_grid
from ingest.intake.values import DECIMAL_MAX_INTEGER_DIGITS, DECIMAL_MAX_PLACES, INT_MAX, INT_MIN, INVALID_CHARACTERS

from .builders import credit_code, raw_xlsx, sheet_rows_xml

EXAMPLES = int(os.environ.get("SWDW_FUZZ_EXAMPLES", "200"))
SEED = os.environ.get("SWDW_FUZZ_SEED")
CONTRACTS = tuple(all_contracts().values())


def fuzz(examples: int = EXAMPLES):
    """Derandomised in `make test`; seeded and as long as asked under `make fuzz`."""

    def wrap(test):
        test = settings(
            max_examples=examples,
            derandomize=SEED is None,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(test)
        return seed(int(SEED))(test) if SEED is not None else test

    return wrap


# --- what comes in ---------------------------------------------------------------------------------

HEADERS = sorted(
    {
        text
        for contract in CONTRACTS
        for column in contract.columns
        for text in (column.name, column.label_zh, *column.aliases)
    }
)
SPELLINGS = sorted(
    {
        s
        for contract in CONTRACTS
        for column in contract.columns
        for spellings in column.values.values()
        for s in spellings
    }
)
REAL = [
    *SPELLINGS,
    "2024-05-06",
    "2024/5/6",
    "2024.5.6",
    "2024年5月6日",
    "２０２４－０５－０６",
    "20240506",
    "45418",
    "2024-12",
    "2024年12月",
    "202412",
    "2024-13-01",
    "是",
    "否",
    "√",
    "×",
    "Y",
    "n",
    "1000余",
    "约50",
    "50多",
    "3小时",
    "2.5",
    "１２",
    "1,200",
    "30人次",
    "-5",
    "相山",
    "杜集区",
    "340603",
    "淮北",
    "市本级",
    "91340600MA2TEST01X",
    "913406000000000012",
    "测试企业",
    "合计",
    "小计",
    "全市",
    "13912345678",
    "11010519491231002X",
    "王小明",
    "=1+1",
    "@SUM(A1)",
    '"; drop table raw.org_coverage; --',
]
NUMBERS_AS_TEXT = [
    "1" + "0" * 30,
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "0e-5000",
    "NaN",
    "sNaN",
    "-Infinity",
    "inf",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "999999999999999.9",
    "1000000000000000",
    "0.000000000000000000001",
    "1e9999999999999999999999",
    "9" * 5000,
]
ODD = [
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x1f",
    "\x7f",
    "\x85",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\u3000",
    "\ufdfa",  # NFKC expands it to 18 characters
    "\u2460",
    "ｆｕｌｌ",
    "e\u0301",
    "𠀀",
    "😀",
    "\t",
    "\r\n",
    "\n",
    '"',
    ",",
    "\\",
]

texts = st.one_of(
    st.sampled_from(REAL),
    st.sampled_from(NUMBERS_AS_TEXT),
    st.sampled_from(ODD),
    st.text(max_size=12),
    st.text(st.characters(codec=None, categories=("Cc", "Cs", "Co", "Cn", "Zs", "Mn", "Nd", "Lo")), max_size=8),
    st.builds(lambda a, b: a + b, st.sampled_from(REAL + NUMBERS_AS_TEXT), st.sampled_from(ODD)),
    st.builds(lambda a, b: a + b, st.sampled_from(ODD), st.sampled_from(REAL)),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["企", "a", "\x00", "\ufdfa", "1"]), st.integers(32_700, 33_000)),
)
cells = st.one_of(
    texts,
    texts,
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**5000]),
    st.floats(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.dictionaries(st.text(max_size=3), st.one_of(texts, st.integers()), max_size=2),
    st.lists(texts, max_size=2),
)
headers = st.one_of(st.sampled_from(HEADERS), st.sampled_from(HEADERS), texts)


@st.composite
def grids(draw, text_only: bool = False):
    """Anything shaped like a sheet: a few title rows, a header of real and odd names, messy rows."""
    cell = texts if text_only else cells
    header = draw(st.lists(headers, min_size=2, max_size=16))
    titles = draw(st.lists(st.lists(cell, max_size=3), max_size=3))
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=6))
    return titles + [header] + rows


def typed_values(column) -> st.SearchStrategy:
    """Values a clerk writes in this column, in the documented forms and the usual mistakes."""
    if column.type == "month":
        return st.one_of(st.sampled_from(["2024-12", "2024年12月", "202412", "2024.11", "2024-13"]), st.dates())
    if column.type == "date":
        dates = ["2024-05-06", "2024/5/6", "2024.5.6", "2024年5月6日", "20240506", "45418", "昨天", "2024-02-30"]
        return st.one_of(st.sampled_from(dates), st.dates(), st.datetimes(), st.integers(0, 3_000_000), st.floats())
    if column.type == "boolean":
        return st.sampled_from(["是", "否", "有", "无", "√", "×", "Y", "n", "1", "0", "true", "也许", 1, 0, True])
    if column.type in ("integer", "decimal"):
        words = ["1000余", "约50", "50多", "3小时", "2.5", "１２", "1,200", "30人次", "-5", "二十", ""]
        return st.one_of(
            st.integers(-10, 10**6),
            st.floats(),
            st.sampled_from(words + NUMBERS_AS_TEXT),
            st.decimals().map(str),
        )
    if column.values:
        return st.sampled_from(
            sorted({s for spellings in column.values.values() for s in spellings} | set(column.values))
        )
    if column.type == "district":
        return st.sampled_from(["相山", "杜集区", "340603", "340604", "淮北", "市本级", "某某县", "濉溪"])
    if column.type == "credit_code":
        return st.one_of(st.integers(0, 10**9).map(credit_code), st.sampled_from(["91340600MA2TEST01X", "x"]))
    return st.sampled_from(REAL)


@st.composite
def sheets(draw, contract: Contract):
    """A sheet for one contract that mostly parses: its columns under any of their names (a few
    dropped, repeated or unknown), rows of typed values with hostile cells mixed in."""
    columns = [c for c in contract.columns if draw(st.integers(0, 19))]  # now and then one is missing
    columns += draw(st.lists(st.sampled_from(contract.columns), max_size=1))  # now and then one twice
    columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from([c.name, c.label_zh, *c.aliases])) for c in columns]
    unknown = draw(st.lists(headers, max_size=2))
    titles = draw(st.lists(st.lists(cells, max_size=2), max_size=2))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [draw(st.one_of(typed_values(c), typed_values(c), typed_values(c), cells)) for c in columns]
        rows.append(row + [draw(cells) for _ in unknown])
    total = draw(st.lists(st.just(["合计"] + [draw(cells) for _ in columns]), max_size=1))
    return titles + [header + unknown] + rows + total


contract_sheets = st.sampled_from(CONTRACTS).flatmap(lambda c: st.tuples(st.just(c), sheets(c)))


# --- what must hold ----------------------------------------------------------------------------------


def storable_text(text) -> bool:
    return isinstance(text, str) and not INVALID_CHARACTERS.search(text)


def fits(sql_type: str, value) -> bool:
    """A value the raw column of this PostgreSQL type takes as loaded by COPY."""
    if value is None:
        return True
    if sql_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and INT_MIN <= value <= INT_MAX
    if sql_type == "numeric":
        if isinstance(value, int) and not isinstance(value, bool):  # a contract default such as 0
            value = Decimal(value)
        return (
            isinstance(value, Decimal)
            and value.is_finite()
            and value.adjusted() < DECIMAL_MAX_INTEGER_DIGITS
            and value.as_tuple().exponent >= -DECIMAL_MAX_PLACES
        )
    if sql_type == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if sql_type == "boolean":
        return isinstance(value, bool)
    return storable_text(value)


def check_parsed(grid: list[list], contract: Contract, file_name: str = "x.csv") -> None:
    try:
        parsed = parse_grid(grid, contract, file_name)
    except SubmissionError as exc:
        assert exc.rule and exc.message_zh and exc.message_en
        event(f"rejected: {exc.rule}")
        return
    event("records" if parsed.records else "no records")
    for rule in {f.rule for f in parsed.findings}:
        event(f"finding: {rule}")  # what the run reached, in --hypothesis-show-statistics
    for record in parsed.records:
        assert isinstance(record["source_row"], int) and record["source_row"] >= 1
        for column in contract.columns:
            value = record[column.name]
            assert fits(SQL_TYPES[column.type], value), (column.name, value)
        extra = record["extra"]
        if extra is not None:
            assert all(storable_text(k) and storable_text(v) for k, v in extra.items()), extra
            json.dumps(extra)  # becomes jsonb
    for finding in parsed.findings:
        assert finding.rule and finding.severity in ("error", "warning")
        assert finding.message_zh and finding.message_en
        for text in (finding.message_zh, finding.message_en, finding.value, finding.header, finding.column):
            assert text is None or storable_text(text), finding
        assert finding.source_row is None or finding.source_row >= 1


def check_file(data: bytes, file_name: str) -> None:
    try:
        grid = read_grid(data, file_name)
    except SubmissionError as exc:
        assert exc.rule and exc.message_zh and exc.message_en
        event(f"rejected: {exc.rule}")
        return
    for contract in CONTRACTS:
        check_parsed(grid, contract, file_name)


# --- the fuzz targets ---------------------------------------------------------------------------------


@pytest.mark.slow
@fuzz()
@given(grid=grids(), contract=st.sampled_from(CONTRACTS))
def test_normaliser_on_messy_grids(grid, contract):
    check_parsed(grid, contract)


@pytest.mark.slow
@fuzz()
@given(sheet=contract_sheets)
def test_normaliser_on_sheets_that_mostly_parse(sheet):
    contract, grid = sheet
    check_parsed(grid, contract)


def as_text(cell) -> str:
    """A cell as an export writes it (str() of an int refuses more than 4,300 digits; Decimal's does not)."""
    if cell is None:
        return ""
    return str(Decimal(cell)) if isinstance(cell, int) and not isinstance(cell, bool) else str(cell)


def as_csv(grid: list[list], delimiter: str) -> str:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([[as_text(c) for c in row] for row in grid])
    return buffer.getvalue()


@fuzz()
@given(
    grid=st.one_of(grids(text_only=True), contract_sheets.map(lambda sheet: sheet[1])),
    delimiter=st.sampled_from([",", "\t", ";"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-32"]),
    cut=st.one_of(st.none(), st.integers(0, 400)),
)
@pytest.mark.slow
def test_csv_bytes(grid, delimiter, encoding, cut):
    data = as_csv(grid, delimiter).encode(encoding, errors="surrogatepass" if "utf" in encoding else "replace")
    check_file(data if cut is None else data[:cut], "x.csv")


@pytest.mark.slow
@fuzz()
@given(data=st.binary(max_size=3000), name=st.sampled_from(["x.csv", "x.json", "x.xlsx", "x.xls"]))
@example(data=b"[" * 200_000 + b"]" * 200_000, name="x.json")
@example(data=b"\x00" * 64, name="x.csv")
@example(data=b'[{"\xe5\x91\x98\xe5\xb7\xa5\xe4\xba\xba\xe6\x95\xb0": 1' + b"0" * 5000 + b"}]", name="x.json")
@example(data=b"\xff\xfe" + "统计期\t单位名称\n".encode("utf-16-le"), name="x.csv")
def test_random_bytes(data, name):
    check_file(data, name)


@fuzz()
@given(
    grid=st.one_of(grids(), contract_sheets.map(lambda sheet: sheet[1])),
    ascii_only=st.booleans(),
    wrap=st.sampled_from(["{}", "{}", "{}", '{{"records": {}}}', "[{}]"]),
    depth=st.one_of(st.just(0), st.just(0), st.just(0), st.integers(1, 40)),
)
@pytest.mark.slow
def test_json_bytes(grid, ascii_only, wrap, depth):
    def jsonable(cell):  # json.dumps writes no int beyond 4,300 digits; its text stands in
        return as_text(cell) if isinstance(cell, int) and cell.bit_length() > 14_000 else cell

    header, *rows = [[jsonable(c) for c in r] for r in grid if r] or [["a"]]
    keys = [str(h) for h in header]
    records = [dict(zip(keys, row)) for row in rows]
    text = json.dumps(records, ensure_ascii=ascii_only, default=str)
    text = "[" * depth + wrap.format(text) + "]" * depth
    check_file(text.encode("utf-8", errors="surrogatepass"), "x.json")


@fuzz(max(EXAMPLES // 10, 10))  # each workbook is read in a child process: slower per example
@given(
    grid=st.one_of(grids(), contract_sheets.map(lambda sheet: sheet[1])),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=2),
)
@pytest.mark.slow
def test_xlsx_bytes(grid, flips):
    def written(cell):  # numbers as number cells, the rest as text; a lone surrogate cannot be UTF-8 XML
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            return as_text(cell) if isinstance(cell, int) and cell.bit_length() > 14_000 else cell
        return as_text(cell).encode("utf-8", "surrogatepass").decode("utf-8", "replace")

    grid = [[written(c) for c in row] for row in grid]
    data = bytearray(raw_xlsx(sheet_rows_xml(grid)))
    for position, value in flips:
        data[position % len(data)] = value
    check_file(bytes(data), "x.xlsx")


# --- regressions: inputs the fuzzer found, kept as plain tests ----------------------------------------


def test_regression_corrupt_deflate_stream_in_an_xlsx_is_unreadable_not_zlib_error():
    # found by test_xlsx_bytes: one byte of a member's compressed data zeroed made zlib.error escape
    data = bytearray(raw_xlsx(sheet_rows_xml([["activity_date", "activity_date"]])))
    data[49] = 0
    with pytest.raises(SubmissionError) as excinfo:
        read_grid(bytes(data), "x.xlsx")
    assert excinfo.value.rule == "unreadable_file"
