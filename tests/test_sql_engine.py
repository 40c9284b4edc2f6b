"""The suites on GX's SQL engine (ingest.quality.sql_engine) judge every row as the pandas checkpoint does.

Real PostgreSQL (the session's embedded warehouse). Compared per expectation: success, every
unexpected source_row, whether it raised; over the hostile corpus, the sample landing zone and
hypothesis sheets. The GB 32100 check character is compared function against function.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given

from ingest.intake.contracts import all_contracts, get_contract
from ingest.intake.errors import SubmissionError
from ingest.intake.normalise import parse_grid
from ingest.intake.readers import read_grid
from ingest.intake.reference import departments
from ingest.quality.checks import CREDIT_CHECK_FUNCTION, credit_check_character, credit_check_passes
from ingest.quality.sql_engine import SCHEMA, SqlSuites, create_stage, install, stage_records
from ingest.quality.suites import RESULT_FORMAT, get_context
from ingest.quality.validation import frame_for, run_parameters
from ingest.samples.render import write_samples

from .builders import credit_code
from .test_fuzz_readers import contract_sheets, fuzz
from .test_hostile_files import CORPUS, VALID

RECEIVED_ON = dt.date(2025, 1, 10)


@pytest.fixture(scope="module")
def engines(warehouse):
    with psycopg.connect(warehouse, autocommit=True) as conn:
        install(conn)
        for contract in all_contracts().values():
            create_stage(conn, f"cmp_{contract.submission_type}", contract)
    suites = SqlSuites(warehouse)
    yield warehouse, suites
    suites.source.get_engine().dispose()
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(f"drop schema {SCHEMA} cascade")  # not part of the warehouse schema


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> list:
    return write_samples(tmp_path_factory.mktemp("sample"))


def _judged(result) -> list[tuple]:
    return [
        (
            item.expectation_config.type,
            item.expectation_config.meta.get("rule"),
            bool(item.success),
            sorted(int(u["source_row"]) for u in item.result.get("unexpected_index_list") or []),
            bool((item.exception_info or {}).get("raised_exception"))
            or any(v.get("raised_exception") for v in (item.exception_info or {}).values() if isinstance(v, dict)),
        )
        for item in result.results
    ]


def both_engines(engines, contract, records: list[dict], department_code: str = "xiangshan"):
    dsn, suites = engines
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
    parameters = run_parameters(departments()[department_code], RECEIVED_ON)
    definition = get_context().validation_definitions.get(contract.submission_type)
    pandas = definition.run(
        batch_parameters={"dataframe": frame_for(contract, records)},
        expectation_parameters=parameters,
        result_format=RESULT_FORMAT,
    )
    table = f"cmp_{contract.submission_type}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        stage_records(conn, table, contract, records)
    sql = suites.run(contract, table, parameters, len(records))
    return _judged(pandas), _judged(sql)


def _parsed(data: bytes, name: str, kind: str):
    try:
        return parse_grid(read_grid(data, name), get_contract(kind), name).records
    except SubmissionError:
        return []


def test_the_check_character_function_is_the_python_rule(engines):
    dsn, _ = engines
    codes = [credit_code(n) for n in range(0, 10**9, 7_777_777)]
    wrong = [c[:17] + ("0" if c[17] != "0" else "1") for c in codes]
    odd = ["", "x", "91340600MA2TEST01X", "91340600ma2n0abc1x", "91340600MA2N0ABCI0", codes[0] + "\n", " " + codes[1]]
    body = "91340600MA2N0ABC1"
    values = codes + wrong + odd + [body + credit_check_character(body)]
    with psycopg.connect(dsn) as conn:
        install(conn)
        got = [conn.execute(f"select {CREDIT_CHECK_FUNCTION}(%s)", (v,)).fetchone()[0] for v in values]
    assert got == [credit_check_passes(v) for v in values]
    assert sum(got[: len(codes)]) == len(codes) and not any(got[len(codes) : 2 * len(codes)])


def test_hostile_files_judged_alike(engines):
    """Every csv/json case of the hostile corpus that reaches validation (the others are refused by the reader)."""
    compared = 0
    for case in [c for c in CORPUS + VALID if c.name.endswith((".csv", ".json"))]:
        records = _parsed(case.build(), case.name, case.kind)
        if records:
            pandas, sql = both_engines(engines, get_contract(case.kind), records, case.department)
            assert sql == pandas, case.id
            compared += 1
    assert compared >= 10


def test_sample_landing_zone_judged_alike(engines, sample_files):
    """Every fourth file of the sample (about 0.5 s a file for both engines), all types among them."""
    compared, kinds = 0, set()
    for path in sample_files[::4]:
        department_code, kind = path.parent.parent.name, path.parent.name
        if kind not in all_contracts() or department_code not in departments():
            continue
        records = _parsed(path.read_bytes(), path.name, kind)
        if records:
            pandas, sql = both_engines(engines, get_contract(kind), records, department_code)
            assert sql == pandas, path.name
            compared += 1
            kinds.add(kind)
    assert compared >= 10 and kinds == set(all_contracts())


@fuzz(examples=15)
@given(sheet=contract_sheets)
def test_generated_sheets_judged_alike(engines, sheet):
    contract, grid = sheet
    try:
        records = parse_grid(grid, contract, "x.csv").records
    except SubmissionError:
        return
    if records:
        pandas, sql = both_engines(engines, contract, records)
        assert sql == pandas


def _boundary_values(column) -> list:
    day = RECEIVED_ON
    by_type = {
        "integer": [None, -1, 0, 1, 2, 3, 4, 24, 10**6],
        "decimal": [None, *map(Decimal, ("0", "0.5", "23.9", "24", "24.5", "48", "48.5", "1000000"))],
        "date": [None, day - dt.timedelta(days=400), day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)],
        "month": [None, dt.date(2024, 12, 1), dt.date(2025, 2, 1)],
        "boolean": [None, True, False],
        "enum": [None, "bogus", *sorted(column.values)],
        "district": [None, "999999", "340600", "340602", "340603", "340604", "340621"],
        "text": [None, "", "x"],
        "credit_code": [None, "x", credit_code(7), credit_code(7).lower(), credit_code(8)[:17] + "0", credit_code(9)],
    }
    if column.pii == "phone":
        return [None, "13912345678", "12345", "0561-1234567"]
    if column.pii == "id_number":
        return [None, "11010519491231002X", "110105194912310021", "x"]
    return by_type.get(column.type, [None, "x"])


@pytest.mark.parametrize("kind", sorted(all_contracts()))
def test_rows_at_every_boundary_judged_alike(engines, kind, sample_files):
    """Seeded rows that each move the cells of one contract rule, or one to three cells, to a rule's
    boundary (both sides) or beyond."""
    contract = get_contract(kind)
    base = next(
        records
        for path in sample_files
        if path.parent.name == kind and (records := _parsed(path.read_bytes(), path.name, kind))
    )[0]
    rng = random.Random(25)
    records = []
    for n in range(1500):
        record = {**base, "source_row": n + 2}
        if contract.rules and rng.random() < 0.5:
            touched = [contract.column(name) for name in rng.choice(contract.rules).columns]
        else:
            touched = rng.sample(contract.columns, rng.randint(1, 3))
        for column in touched:
            record[column.name] = rng.choice(_boundary_values(column))
        records.append(record)
    pandas, sql = both_engines(engines, contract, records)
    assert sql == pandas
    assert sum(not success for _, _, success, _, _ in pandas) >= 5  # the rows break rules
