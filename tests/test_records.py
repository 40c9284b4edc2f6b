"""Records held column by column read as the list of dicts they stand for (ingest.intake.records)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.intake.records import Records

DICTS = [
    {"source_row": 2, "org_name": "甲", "employee_count": 20, "report_period": dt.date(2024, 12, 1)},
    {"source_row": 3, "org_name": None, "employee_count": 0, "report_period": dt.date(2024, 12, 1)},
    {"source_row": 5, "org_name": "丙", "employee_count": None, "report_period": None},
]


def test_records_read_as_the_dicts_they_hold():
    records = Records.of(DICTS)
    assert len(records) == 3 and bool(records) and not Records()
    assert records == DICTS and list(records) == DICTS and records[1] == DICTS[1] and records[-1] == DICTS[-1]
    assert records[1:] == DICTS[1:] and records[::2] == DICTS[::2]
    assert records.names == ["source_row", "org_name", "employee_count", "report_period"]
    assert records.column("source_row") == [2, 3, 5]
    assert records.column("not_a_column") == [None, None, None]
    assert list(records.rows(["employee_count", "source_row"])) == [(20, 2), (0, 3), (None, 5)]
    assert Records.of(records) is records
    assert records != DICTS[:2] and records != [*DICTS[:2], {**DICTS[2], "org_name": "丁"}]
    with pytest.raises(IndexError):
        records[3]


def test_a_record_is_a_copy_and_the_columns_are_not_changed_by_it():
    records = Records.of(DICTS)
    record = records[0]
    record["org_name"] = "改"
    assert records.column("org_name")[0] == "甲"


def test_dicts_with_different_keys_fill_the_missing_ones_with_none():
    records = Records.of([{"a": 1}, {"b": 2}])
    assert list(records) == [{"a": 1, "b": None}, {"a": None, "b": 2}]


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(AssertionError):
        Records({"a": [1, 2], "b": [1]})


@given(st.lists(st.fixed_dictionaries({"source_row": st.integers(), "value": st.none() | st.text()}), max_size=20))
def test_any_list_of_records_round_trips(rows):
    records = Records.of(rows)
    assert records == rows and len(records) == len(rows) and [records[i] for i in range(len(rows))] == rows
