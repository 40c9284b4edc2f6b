"""Reference data shared with dbt: the seeds under dbt_project/seeds are the one source.

Districts and departments are read from their seeds (the city edits them there); the
enum-label and status-group seeds are generated from the contracts (`write_enum_seed`)
and a test keeps the committed copies in step.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass

from ingest.config import SEEDS_DIR
from ingest.intake.contracts import all_contracts

ENUM_SEED = SEEDS_DIR / "enum_labels.csv"
STATUS_GROUP_SEED = SEEDS_DIR / "status_groups.csv"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    reports_for: frozenset[str] | None  # None: any district
    submission_types: frozenset[str]

    def may_report_for(self, district_code: str) -> bool:
        return self.reports_for is None or district_code in self.reports_for


def _rows(name: str) -> list[dict]:
    with open(SEEDS_DIR / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@functools.cache
def districts() -> dict[str, str]:
    """district_code -> official name."""
    return {row["district_code"]: row["district_name"] for row in _rows("districts.csv")}


@functools.cache
def district_lookup() -> dict[str, str]:
    """Every accepted spelling (code, name, short name) -> district_code."""
    lookup = {}
    for row in _rows("districts.csv"):
        code = row["district_code"]
        for spelling in [code, row["district_name"], *row["short_names"].split("|")]:
            if spelling:
                lookup[spelling] = code
    return lookup


@functools.cache
def departments() -> dict[str, Department]:
    result = {}
    for row in _rows("departments.csv"):
        reports_for = None if row["reports_for"] == "*" else frozenset(row["reports_for"].split("|"))
        result[row["department_code"]] = Department(
            code=row["department_code"],
            name=row["department_name"],
            reports_for=reports_for,
            submission_types=frozenset(row["submission_types"].split("|")),
        )
    return result


@functools.cache
def register_labels() -> dict[tuple[str, str], str]:
    """(column, code) -> Chinese label of a register code (status, submission_type), from the seed dbt reads."""
    return {(row["column_name"], row["code"]): row["label_zh"] for row in _rows("submission_labels.csv")}


def enum_seed_csv() -> str:
    """submission_type, column_name, code, label_zh for every enum of every contract."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission_type", "column_name", "code", "label_zh"])
    for contract in all_contracts().values():
        for column in contract.columns:
            for code in column.values:
                writer.writerow([contract.submission_type, column.name, code, column.labels[code]])
    return out.getvalue()


def status_group_seed_csv() -> str:
    """submission_type, column_name, group_name, code for every code of every enum group
    (suggestion status: concluded, converted, converted_to_policy); dbt reads it through
    the macro status_in_group."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission_type", "column_name", "group_name", "code"])
    for contract in all_contracts().values():
        for column in contract.columns:
            for group_name, codes in column.groups.items():
                for code in codes:
                    writer.writerow([contract.submission_type, column.name, group_name, code])
    return out.getvalue()


def write_enum_seed() -> None:
    """Regenerate every seed derived from the contracts: enum labels and status groups."""
    ENUM_SEED.write_text(enum_seed_csv(), encoding="utf-8")
    STATUS_GROUP_SEED.write_text(status_group_seed_csv(), encoding="utf-8")
