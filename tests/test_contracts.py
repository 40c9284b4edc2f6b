"""The contracts are the one source: committed GX suites and the enum seed must agree with them."""

import json

from ingest.config import EXPECTATIONS_DIR
from ingest.intake.contracts import all_contracts
from ingest.intake.reference import ENUM_SEED, STATUS_GROUP_SEED, enum_seed_csv, status_group_seed_csv
from ingest.quality.suites import expectation_specs, spec_key


def _suite(name: str) -> list[dict]:
    suite = json.loads((EXPECTATIONS_DIR / "expectations" / f"{name}.json").read_text(encoding="utf-8"))
    return suite["expectations"]


def test_committed_suites_match_the_contracts():
    for name, contract in all_contracts().items():
        wanted = sorted(map(spec_key, expectation_specs(contract)))
        assert sorted(map(spec_key, _suite(name))) == wanted, (
            f"run `python -m ingest.quality.suites` to regenerate {name}"
        )


def test_every_required_and_enum_column_and_every_rule_is_covered_by_the_suite():
    for name, contract in all_contracts().items():
        suite = _suite(name)
        covered = {e["meta"]["column"] for e in suite}
        for column in contract.columns:
            if (column.required or column.type == "enum") and not column.pii:
                assert column.name in covered, (name, column.name)
        rules = {e["meta"]["rule"] for e in suite}
        assert {rule.name for rule in contract.rules} <= rules, name


def test_every_expectation_carries_its_severity_twice():
    for name in all_contracts():
        for e in _suite(name):
            assert (e["meta"]["severity"], e["severity"]) in {("error", "critical"), ("warning", "warning")}, e


def test_no_personal_column_is_handed_to_gx():
    for name, contract in all_contracts().items():
        personal = {c.name for c in contract.columns if c.pii}
        for e in _suite(name):
            kwargs = e["kwargs"]
            read = {kwargs.get(k) for k in ("column", "column_A", "column_B")}
            read.add((kwargs.get("row_condition") or {}).get("column", {}).get("name"))
            assert not read & personal, e


def test_enum_seed_matches_the_contracts():
    assert ENUM_SEED.read_text(encoding="utf-8") == enum_seed_csv(), "run ingest.intake.reference.write_enum_seed()"


def test_status_group_seed_matches_the_contracts():
    assert STATUS_GROUP_SEED.read_text(encoding="utf-8") == status_group_seed_csv(), (
        "run ingest.intake.reference.write_enum_seed()"
    )


def test_status_groups_are_declared_once_in_the_suggestion_contract():
    from ingest import samples
    from ingest.quality import suites

    groups = all_contracts()["suggestion"].status_groups
    assert groups["converted"] == ("adopted", "partially_adopted", "converted")
    assert groups["converted_to_policy"] == ("converted",)
    assert set(groups["concluded"]) == {*groups["converted"], "for_reference", "rejected"}
    # the Python readers take them from the contract, not from a copy
    assert groups["concluded"] == suites.CONCLUDED_STATUSES
    assert groups["converted"] == samples.CONVERTED_STATUSES
    assert groups["concluded"] == samples.CONCLUDED_STATUSES


def test_every_enum_has_a_chinese_label():
    for contract in all_contracts().values():
        for column in contract.columns:
            assert set(column.values) == set(column.labels), (contract.submission_type, column.name)
