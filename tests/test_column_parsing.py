"""Column-wise normalisation agrees with parsing every cell on its own.

parse_column parses each distinct cell of a column once and looks the rest up; a wrong cache
key (True == 1 == 1.0, -0.0 == 0.0, Decimal('1.0') == Decimal('1.00')) would hand one cell
another's value or finding. The property tests hold the column path and parse_grid to a plain
per-cell reference on generated messy columns and sheets. Bounded for `make test` (a few
seconds); SWDW_FUZZ_EXAMPLES scales them like `make fuzz-readers`.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.intake.column_parsing import cell_key, parse_cell, parse_column
from ingest.intake.contracts import get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import _header_candidates, _screen, parse_grid
from ingest.intake.values import clean_text, clean_texts

from .test_fuzz_readers import CONTRACTS, cells, sheets, typed_values

EXAMPLES = min(int(os.environ.get("SWDW_FUZZ_EXAMPLES", "150")), 5000)
COLUMNS = [(contract, column) for contract in CONTRACTS for column in contract.columns]
# cells equal in Python that parse differently: the cache key must keep them apart
LOOKALIKES = [True, 1, 1.0, "1", False, 0, 0.0, -0.0, "0", Decimal("1.0"), Decimal("1.00"), Decimal("-0")]


def _bounded(examples: int = EXAMPLES):
    return settings(
        max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )


@st.composite
def messy_columns(draw):
    """A contract column and its cells: typed values, hostile cells and look-alikes, repeated."""
    contract, column = draw(st.sampled_from(COLUMNS))
    pool = draw(st.lists(st.one_of(typed_values(column), cells, st.sampled_from(LOOKALIKES)), min_size=1, max_size=8))
    return column, draw(st.lists(st.sampled_from(pool), max_size=30))


@_bounded()
@given(messy_columns())
def test_parse_column_agrees_with_parsing_each_cell(case):
    column, raws = case
    parsed = parse_column(column, raws)
    reference = [parse_cell(column, raw) for raw in raws]
    assert [repr(v) for v in parsed.values] == [repr(cell.value) for cell in reference]
    assert (parsed.approximate or [False] * len(raws)) == [cell.approximate for cell in reference]
    assert parsed.problems == [(i, cell.problem) for i, cell in enumerate(reference) if cell.problem]


def _reference_cells(grid: list[list], contract, parsed) -> tuple[dict, list]:
    """Per-cell reference for the data rows parse_grid kept: each cell parsed on its own."""
    header = _header_candidates(grid, parsed.header_row - 1)
    positions = {name: header.index(text) for name, text in parsed.headers.items()}  # first column so named
    values, problems = {}, []
    for record in parsed.records:
        cells = grid[record["source_row"] - 1]
        for column in contract.columns:
            if column.name in positions:
                col = positions[column.name]
                cell = parse_cell(column, cells[col] if col < len(cells) else None)
                values[(record["source_row"], column.name)] = repr(cell.value)
                if cell.problem:
                    problems.append((record["source_row"], column.name, *cell.problem))
    return values, problems


@_bounded(max(EXAMPLES // 2, 10))
@given(st.data())
def test_parse_grid_matches_a_per_cell_reference(data):
    contract = data.draw(st.sampled_from(CONTRACTS))
    grid = [list(row) for row in data.draw(sheets(contract))]
    try:
        parsed = parse_grid([list(row) for row in grid], contract, "2024年12月.csv")
    except SubmissionError:
        return
    values, problems = _reference_cells(_screen(grid)[0], contract, parsed)
    assert {(r["source_row"], name): repr(r[name]) for r in parsed.records for name in parsed.headers} == values
    cell_rules = ("approximate_not_allowed", "type_", "_out_of_range")
    found = [
        (f.source_row, f.column, f.rule, f.message_zh, f.message_en, f.value)
        for f in parsed.findings
        if f.rule.startswith(cell_rules) or f.rule.endswith(cell_rules)
    ]
    assert found == problems


def test_lookalike_cells_keep_their_own_values():
    """True, 1, 1.0 and "1" are one dict key in Python; as cells they are a boolean, counts and text."""
    amounts = get_contract("service_activity").column("service_hours")
    parsed = parse_column(amounts, [1, True, 1.0, -0.0, 0.0, "1"])
    assert [repr(v) for v in parsed.values[:1]] == ["Decimal('1')"]
    assert [p.rule for _, p in parsed.problems] == ["type_decimal"]  # True is no number
    assert [repr(v) for v in parsed.values[2:5]] == ["Decimal('1.0')", "Decimal('-0.0')", "Decimal('0.0')"]
    assert len({cell_key(c) for c in [1, True, 1.0, "1", -0.0, 0.0]}) == 6
    assert cell_key(dt.datetime(2024, 1, 1)) != cell_key(dt.date(2024, 1, 1))


def test_each_distinct_cell_is_parsed_once(monkeypatch):
    from ingest.intake import column_parsing

    calls = []
    real = column_parsing.parse_cell
    monkeypatch.setattr(column_parsing, "parse_cell", lambda column, raw: calls.append(raw) or real(column, raw))
    months = get_contract("org_coverage").column("report_period")
    parsed = column_parsing.parse_column(months, ["2024-12"] * 1000 + ["2024年11月"] * 1000 + [None])
    assert sorted(calls, key=str) == ["2024-12", "2024年11月", None]
    assert parsed.values[0] == dt.date(2024, 12, 1) and parsed.values[1500] == dt.date(2024, 11, 1)


@_bounded(EXAMPLES * 2)
@given(
    st.lists(
        st.one_of(st.text(max_size=6), st.sampled_from(["e\u0301", "\u0301", "\u1100", "\u1161", "\ufdfa"])),
        max_size=12,
    )
)
def test_clean_texts_is_clean_text_per_string(texts):
    """One NFKC pass over NUL-joined strings equals cleaning each (combining marks and jamo at the seams)."""
    assert clean_texts(texts) == [clean_text(text) for text in texts]
