"""Great Expectations suites: one per submission type, generated from its contract.

Every rule of docs/design.md §6 is an expectation: column constraints come from the column
definitions (required, enum, district, min, unique, credit_code, not_after_received),
cross-column and personal-data rules from the contract's `rules:` (RULE_BUILDERS). Each
expectation carries its rule name, severity (error|warning) and reported column in
`meta`, and GX's own `severity` (critical|warning). Run-time facts are suite parameters:
`allowed_districts` (the submitting department's jurisdiction) and `received_on`.

The file context lives in expectations/ and is committed; `python -m ingest.quality.suites`
creates or updates its objects (ids stay stable when nothing changed). Running a suite on a
file is ingest.quality.validation.
"""

from __future__ import annotations

import functools
import json
import os

from ingest.config import EXPECTATIONS_DIR
from ingest.intake.contracts import Contract, Rule, all_contracts
from ingest.intake.reference import districts
from ingest.quality.checks import CREDIT_FORMAT, VALID, check_column
from ingest.quality.docs_site import working_site

DATASOURCE = "submissions"
BATCH_DEFINITION = "whole_file"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["source_row"],
    "partial_unexpected_count": 20,
}
GX_SEVERITY = {"error": "critical", "warning": "warning"}

# the suggestion statuses that need a concluded_date: the contract's status group
CONCLUDED_STATUSES = all_contracts()["suggestion"].group("status", "concluded")
# rule parameters that are domain knowledge, not contract fields
SHOULD_FORM_PARTY_ORG_MIN_MEMBERS = 3
MAX_HOURS_PER_VOLUNTEER = 24


def _is_in(column: str, values) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": "IN", "parameter": list(values)}


def _at_least(column: str, value) -> dict:
    return {"type": "comparison", "column": {"name": column}, "operator": ">=", "parameter": value}


def _spec(contract: Contract, kind: str, rule: str, severity: str, reported: str, **kwargs) -> dict:
    """One expectation as stored in the suite JSON (without its id); findings name `reported`."""
    meta = {"rule": rule, "severity": severity, "column": reported, "label_zh": contract.column(reported).label_zh}
    return {"type": kind, "kwargs": kwargs, "meta": meta, "severity": GX_SEVERITY[severity]}


def _rule_spec(contract: Contract, rule: Rule, kind: str, reported: str | None = None, **kwargs) -> dict:
    return _spec(contract, kind, rule.name, rule.severity, reported or rule.columns[0], **kwargs)


def _a_not_below_b(a: str, b: str):
    """Builder for `a >= b` rules (both present); findings name the rule's first column."""

    def build(contract: Contract, rule: Rule) -> dict:
        return _rule_spec(
            contract,
            rule,
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A=a,
            column_B=b,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )

    return build


def _pii_valid(contract: Contract, rule: Rule) -> dict:
    """A personal-data rule checks the derived `<column>_check` column, never the value."""
    [column] = rule.columns
    return _rule_spec(
        contract, rule, "expect_column_values_to_be_in_set", column, column=check_column(column), value_set=[VALID]
    )


# contract rule name -> expectation; a rule without a builder fails suite generation
RULE_BUILDERS = {
    "party_members_exceed_employees": _a_not_below_b("employee_count", "party_member_count"),
    "should_form_party_org": lambda contract, rule: _rule_spec(
        contract,
        rule,
        "expect_column_values_to_not_be_in_set",
        "party_org_form",
        column="party_org_form",
        value_set=["none"],
        row_condition=_at_least("party_member_count", SHOULD_FORM_PARTY_ORG_MIN_MEMBERS),
    ),
    "service_hours_implausible": lambda contract, rule: _rule_spec(
        contract,
        rule,
        "expect_column_pair_values_a_to_be_at_most_factor_times_b",
        column_A="service_hours",
        column_B="volunteers",
        factor=float(MAX_HOURS_PER_VOLUNTEER),
        b_floor=1.0,
    ),
    "concluded_date_required": lambda contract, rule: _rule_spec(
        contract,
        rule,
        "expect_column_values_to_not_be_null",
        "concluded_date",
        column="concluded_date",
        row_condition=_is_in("status", CONCLUDED_STATUSES),
    ),
    "concluded_before_received": _a_not_below_b("concluded_date", "received_date"),
    "phone_malformed": _pii_valid,
    "id_number_invalid": _pii_valid,
}


def expectation_specs(contract: Contract) -> list[dict]:
    """Every expectation of the contract's suite, in suite order, as JSON-able dicts."""
    specs = []
    known = sorted(districts())
    for column in contract.columns:
        if column.pii:
            continue  # personal data only through contract rules on derived columns
        name = column.name

        def add(kind, rule, name=name, **kwargs):
            specs.append(_spec(contract, kind, rule, "error", name, column=name, **kwargs))

        if column.required:
            add("expect_column_values_to_not_be_null", "required")
        if column.type == "enum":
            add("expect_column_values_to_be_in_set", "allowed_values", value_set=sorted(column.values))
        if column.type == "district":
            add("expect_column_values_to_be_in_set", "allowed_values", value_set=known)
            add(
                "expect_column_values_to_be_in_set",
                "jurisdiction",
                value_set={"$PARAMETER": "allowed_districts"},
                row_condition=_is_in(name, known),
            )
        if column.min is not None:
            add("expect_column_values_to_be_between", "minimum", min_value=float(column.min))
        if column.not_after_received:
            add("expect_column_values_to_be_between", "date_in_future", max_value={"$PARAMETER": "received_on"})
        if column.unique:
            add("expect_column_values_to_be_unique", "unique")
        if column.type == "credit_code":
            add("expect_column_values_to_match_regex", "format", regex=CREDIT_FORMAT.pattern)
            add("expect_column_values_to_have_gb32100_check_character", "credit_code_check")
    for rule in contract.rules:
        specs.append(RULE_BUILDERS[rule.name](contract, rule))
    return specs


def spec_key(spec: dict) -> str:
    return json.dumps(
        {k: spec.get(k) for k in ("type", "kwargs", "meta", "severity")},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def columns_read(contract: Contract) -> list[str]:
    """Every column the contract's suite reads (checked columns and row-condition columns), in order."""
    seen = {}
    for spec in expectation_specs(contract):
        kwargs = spec["kwargs"]
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                seen[kwargs[key]] = None
        if condition := kwargs.get("row_condition"):
            seen[condition["column"]["name"]] = None
    return list(seen)


def _gx_environment() -> None:
    os.environ["SWDW_DATA_DOCS_DIR"] = str(working_site())
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


@functools.cache
def get_context():
    """The file context, loaded once per process (loading it costs about a second).

    The custom expectations are registered first: the suites refer to them by type.
    """
    _gx_environment()
    import great_expectations as gx

    # GX-heavy like great_expectations itself (it subclasses GX's expectations): lazy for that reason
    from ingest.quality import custom_expectations  # noqa: F401  (registers the custom expectations)

    context = gx.get_context(mode="file", context_root_dir=str(EXPECTATIONS_DIR))
    context.validation_results_store.store_validation_results = _keep_no_result
    return context


def _keep_no_result(*args, **kwargs) -> bool:
    """GX's ValidationDefinition.run stores each result as indented JSON (every unexpected row of every
    expectation: about a third of the validate stage at 100,000 rows). Nothing reads a stored result:
    ingest.quality.validation makes the page, the audit rows and the findings from the run's return value.
    """
    return True


def build_expectation(spec: dict):
    from great_expectations.expectations.registry import get_expectation_impl

    return get_expectation_impl(spec["type"])(**spec["kwargs"], meta=spec["meta"], severity=spec["severity"])


def _stored_key(expectation) -> str:
    return spec_key(expectation.configuration.to_json_dict())


def _update_suite(suite, specs: list[dict]) -> bool:
    """Make the suite hold exactly `specs`; unchanged expectations keep their ids."""
    wanted = {}
    for spec in specs:
        wanted.setdefault(spec_key(spec), []).append(spec)
    changed = False
    for expectation in list(suite.expectations):
        if wanted.get(_stored_key(expectation)):
            wanted[_stored_key(expectation)].pop()
        else:
            suite.delete_expectation(expectation)
            changed = True
    for remaining in wanted.values():
        for spec in remaining:
            suite.add_expectation(build_expectation(spec))
            changed = True
    return changed


def sync_context() -> list[str]:
    """Create or update the datasource, suites, validation definitions and checkpoints."""
    import warnings

    import great_expectations as gx

    warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
    context = get_context()
    changed = []
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_pandas(DATASOURCE)
    for contract in all_contracts().values():
        name = contract.submission_type
        try:
            asset = datasource.get_asset(name)
        except LookupError:
            asset = datasource.add_dataframe_asset(name)
        try:
            batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        specs = expectation_specs(contract)
        try:
            suite = context.suites.get(name)
        except Exception:
            suite = context.suites.add(
                gx.ExpectationSuite(
                    name=name, meta={"contract": f"ingest/intake/contracts/{name}.yml", "label_zh": contract.label_zh}
                )
            )
        if _update_suite(suite, specs):
            suite.save()
            suite = context.suites.get(name)
            changed.append(name)
        try:
            definition = context.validation_definitions.get(name)
        except Exception:
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
        try:
            context.checkpoints.get(name)
        except Exception:
            context.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[definition],
                    result_format=RESULT_FORMAT,
                    # Data Docs are written per run by ingest.quality.validation_page at a flat cost
                    actions=[],
                )
            )
    return changed


if __name__ == "__main__":
    print("changed suites:", sync_context() or "none")
