import datetime as dt
from decimal import Decimal

import pytest

from ingest.intake.contracts import header_key
from ingest.intake.values import (
    OutOfRange,
    is_total_row,
    parse_boolean,
    parse_date,
    parse_integer,
    parse_month,
    parse_number,
    period_from_file_name,
)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-05-06",
        "2024/5/6",
        "2024.5.6",
        "2024年5月6日",
        "２０２４－０５－０６",
        dt.datetime(2024, 5, 6, 0, 0),
        45418,
        "45418",
        "20240506",
    ],
)
def test_dates_in_every_documented_form(raw):
    assert parse_date(raw) == dt.date(2024, 5, 6)


@pytest.mark.parametrize("raw", ["2024-12", "2024年12月", "202412", "2024.12", dt.date(2024, 12, 15)])
def test_months(raw):
    assert parse_month(raw) == dt.date(2024, 12, 1)


@pytest.mark.parametrize("raw", ["2024-13-01", "昨天", "12/31"])
def test_bad_dates_raise(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("是", True),
        ("否", False),
        ("有", True),
        ("无", False),
        ("已建", True),
        ("未建", False),
        ("√", True),
        ("×", False),
        ("Y", True),
        ("n", False),
        (1, True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        ("", None),
    ],
)
def test_booleans(raw, expected):
    assert parse_boolean(raw) is expected if expected is not None else parse_boolean(raw) is None


def test_unknown_boolean_raises():
    with pytest.raises(ValueError):
        parse_boolean("也许")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1000余", (1000, True)),
        ("约50", (50, True)),
        ("50多", (50, True)),
        ("１２", (12, False)),
        (12.0, (12, False)),
        ("1,200", (1200, False)),
        ("30人次", (30, False)),
    ],
)
def test_integers_and_approximations(raw, expected):
    assert parse_integer(raw) == expected


def test_hours_with_unit_and_fraction():
    assert parse_number("3小时") == (Decimal("3"), False)
    assert parse_number("2.5") == (Decimal("2.5"), False)
    with pytest.raises(ValueError):
        parse_integer("2.5")


def test_header_key_folds_width_space_and_units():
    assert header_key("从业人员数（人）") == header_key("从业人员数")
    assert header_key("服务时长 (小时)") == header_key("服务时长")
    assert header_key("　统计期　") == header_key("统计期")


@pytest.mark.parametrize(
    "cells,expected",
    [(["合计", "", 12], True), (["", "总计"], True), (["全市", 3], True), (["91340600MA", "合计"], False)],
)
def test_total_rows(cells, expected):
    assert is_total_row(cells) is expected


@pytest.mark.parametrize(
    "name,expected",
    [
        ("2024年12月_两个覆盖台账.xlsx", dt.date(2024, 12, 1)),
        ("202411相山.csv", dt.date(2024, 11, 1)),
        ("台账.xlsx", None),
    ],
)
def test_period_from_file_name(name, expected):
    assert period_from_file_name(name) == expected


@pytest.mark.parametrize(
    "raw", ["1" + "0" * 30, "1e999999999", 2**31, -(2**31) - 1, pytest.param(10**5000, id="5001-digits"), "1e-2000"]
)
def test_integers_the_raw_column_cannot_hold_are_out_of_range(raw):
    with pytest.raises(OutOfRange):
        parse_integer(raw)


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-inf", float("nan"), float("inf")])
def test_nan_and_infinity_are_not_numbers(raw):
    with pytest.raises(ValueError) as excinfo:
        parse_number(raw)
    assert not isinstance(excinfo.value, OutOfRange)


def test_number_bounds():
    assert parse_integer(2**31 - 1) == (2**31 - 1, False)
    assert parse_integer(str(-(2**31))) == (-(2**31), False)
    assert parse_number("999999999999999.5") == (Decimal("999999999999999.5"), False)
    assert parse_number(0.1 + 0.2)[0] == Decimal("0.30000000000000004")  # a float cell's digits fit
    for raw in ("1e15", "1e-21", "0e-2000"):
        with pytest.raises(OutOfRange):
            parse_number(raw)
