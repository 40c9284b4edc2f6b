"""The contracts are the one source: committed GX suites and the enum seed must agree with them."""
import json

from ingest.config import EXPECTATIONS_DIR
from ingest.contracts import all_contracts
from ingest.reference import ENUM_SEED, enum_seed_csv
from ingest.validation import expectation_specs


def _suite_specs(name: str) -> list:
    suite = json.loads((EXPECTATIONS_DIR / "expectations" / f"{name}.json").read_text(encoding="utf-8"))
    return sorted(json.dumps([e["type"], {**e["kwargs"], "meta": e["meta"]}], sort_keys=True)
                  for e in suite["expectations"])


def test_committed_suites_match_the_contracts():
    for name, contract in all_contracts().items():
        wanted = sorted(json.dumps([kind, kwargs], sort_keys=True) for kind, kwargs in expectation_specs(contract))
        assert _suite_specs(name) == wanted, f"run `python -m ingest.validation` to regenerate {name}"


def test_every_required_and_enum_column_is_covered_by_the_suite():
    for name, contract in all_contracts().items():
        covered = {json.loads(spec)[1]["column"] for spec in _suite_specs(name)}
        for column in contract.columns:
            if (column.required or column.type == "enum") and not column.pii:
                assert column.name in covered, (name, column.name)


def test_enum_seed_matches_the_contracts():
    assert ENUM_SEED.read_text(encoding="utf-8") == enum_seed_csv(), "run ingest.reference.write_enum_seed()"


def test_every_enum_has_a_chinese_label():
    for contract in all_contracts().values():
        for column in contract.columns:
            assert set(column.values) == set(column.labels), (contract.submission_type, column.name)
