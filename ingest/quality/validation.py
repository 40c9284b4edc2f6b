"""Great Expectations: one suite per submission type, generated from its contract.

Every rule of DESIGN §6 is an expectation: column constraints come from the column
definitions (required, enum, district, min, unique, credit_code, not_after_received),
cross-column and personal-data rules from the contract's `rules:` (RULE_BUILDERS). Each
expectation carries its rule name, severity (error|warning) and reported column in
`meta`, and GX's own `severity` (critical|warning). Run-time facts are suite parameters:
`allowed_districts` (the submitting department's jurisdiction) and `received_on`.

The file context lives in expectations/ and is committed; `python -m ingest.quality.validation`
creates or updates its objects (ids stay stable when nothing changed). At run time the
checkpoint of the submission type validates a frame holding only the columns the suite
reads (never personal data: phone and ID numbers become `<column>_check` = valid|malformed),
stores the result under $SWDW_HOME/artifacts, updates the Data Docs there and makes them
render offline. The findings of the feedback report are read from the GX result.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from dataclasses import dataclass

from ingest.config import EXPECTATIONS_DIR, settings
from ingest.findings import Finding
from ingest.intake.contracts import Contract, Rule, all_contracts
from ingest.intake.reference import Department, districts
from ingest.quality.checks import CREDIT_FORMAT, VALID, check_column, pii_check_columns

DATASOURCE = "submissions"
BATCH_DEFINITION = "whole_file"
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["source_row"],
    "partial_unexpected_count": 20,
}
GX_SEVERITY = {"error": "critical", "warning": "warning"}
MAX_STORED_ROWS = 1000  # source rows kept per expectation in audit.validation_result

# the suggestion statuses that need a concluded_date: the contract's status group
CONCLUDED_STATUSES = all_contracts()["suggestion"].group("status", "concluded")
# rule parameters that are domain knowledge, not contract fields
SHOULD_FORM_PARTY_ORG_MIN_MEMBERS = 3
MAX_HOURS_PER_VOLUNTEER = 24

# messages of the column-constraint rules; contract `rules:` carry their own
RULE_TEXT = {
    "required": ("必填项为空", "required value is empty"),
    "allowed_values": ("“{value}”不是允许的取值", "{value!r} is not an allowed value"),
    "minimum": ("数值“{value}”不能为负数", "{value} is below the minimum"),
    "unique": ("“{value}”在文件中重复", "{value!r} is duplicated in the file"),
    "format": ("“{value}”格式不正确", "{value!r} has the wrong format"),
    "credit_code_check": ("统一社会信用代码校验位错误", "credit_code fails the GB 32100 check character"),
    "jurisdiction": (
        "{department_name}无权报送{district_name}的记录",
        "department {department_code} may not report for district {value}",
    ),
    "date_in_future": ("{label}晚于报送日期", "{column} is after the day the file was received"),
}

# the Chinese name of each column-constraint rule, as validation pages show it: what breaks the
# rule, in the same voice as a contract rule's message_zh, which names a contract rule (rule_title_zh)
RULE_TITLE_ZH = {
    "required": "必填项为空",
    "allowed_values": "取值不在允许范围内",
    "minimum": "数值为负数",
    "unique": "在文件中重复",
    "format": "格式不正确",
    "credit_code_check": "统一社会信用代码校验位错误",
    "jurisdiction": "记录的区县不在本部门辖区内",
    "date_in_future": "日期晚于报送日期",
}


def rule_title_zh(contract: Contract, rule: str) -> str:
    """The Chinese name of a rule of this contract's suite."""
    if rule in RULE_TITLE_ZH:
        return RULE_TITLE_ZH[rule]
    return contract.rule(rule).message_zh


# --- suite generation -----------------------------------------------------------------


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


def _gx_environment() -> None:
    config = settings()
    os.environ["SWDW_GX_RESULTS_DIR"] = str(config.artifacts_dir / "gx_validations")
    os.environ["SWDW_DATA_DOCS_DIR"] = str(config.data_docs_dir)
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


@functools.cache
def get_context():
    """The file context, loaded once per process (loading it costs about a second).

    The custom expectations are registered first: the suites refer to them by type.
    """
    _gx_environment()
    import great_expectations as gx

    from ingest.quality import custom_expectations  # noqa: F401  (registers the custom expectations)

    return gx.get_context(mode="file", context_root_dir=str(EXPECTATIONS_DIR))


def _build_expectation(spec: dict):
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
            suite.add_expectation(_build_expectation(spec))
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
                    # Data Docs are written per run by ingest.quality.docs_pages at a flat cost
                    actions=[],
                )
            )
    return changed


# --- validation at run time ------------------------------------------------------------


@dataclass
class ValidationOutcome:
    findings: list[Finding]
    results: list[dict]  # one per expectation, for audit.validation_result
    data_docs_url: str | None
    success: bool


def _columns_read(specs: list[dict]) -> list[str]:
    """Every column the suite reads (checked columns and row-condition columns), in order."""
    seen = {}
    for spec in specs:
        kwargs = spec["kwargs"]
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                seen[kwargs[key]] = None
        if condition := kwargs.get("row_condition"):
            seen[condition["column"]["name"]] = None
    return list(seen)


def frame_for(contract: Contract, records: list[dict]):
    """The frame GX validates: source_row and the columns the suite reads, typed; no personal data."""
    import pandas as pd

    derived = pii_check_columns(contract, records)
    data = {"source_row": [r["source_row"] for r in records]}
    for name in _columns_read(expectation_specs(contract)):
        if name in derived:
            data[name] = pd.Series(derived[name], dtype=object)
            continue
        column = contract.column(name)
        assert not column.pii, f"personal column {name} must not reach GX"
        values = [r.get(name) for r in records]
        if column.type == "integer":
            data[name] = pd.Series(values, dtype="Int64")
        elif column.type == "decimal":
            data[name] = pd.Series([None if v is None else float(v) for v in values], dtype="Float64")
        elif column.type in ("date", "month"):
            data[name] = pd.to_datetime(pd.Series(values, dtype=object))  # compared with pd.Timestamp
        else:
            data[name] = pd.Series(values, dtype=object)  # pandas 3 `str` dtype trips GX type checks
    return pd.DataFrame(data)


def run_parameters(department: Department, received_on: dt.date) -> dict:
    import pandas as pd

    allowed = sorted(districts() if department.reports_for is None else department.reports_for)
    return {"allowed_districts": allowed, "received_on": pd.Timestamp(received_on)}


def _plain(value):
    """JSON-safe form of a GX observed value."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def _display(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _exception(info: dict | None) -> str | None:
    """The message of an exception GX caught while running an expectation (flat or per metric)."""
    info = info or {}
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    messages = [e.get("exception_message") or "exception" for e in entries if e.get("raised_exception")]
    return "; ".join(messages) or None


def _messages(contract: Contract, rule: str, column: str, value, department: Department) -> tuple[str, str]:
    if rule in RULE_TEXT:
        zh, en = RULE_TEXT[rule]
        names = districts()
        context = dict(
            value=value,
            column=column,
            label=contract.column(column).label_zh,
            department_name=department.name,
            department_code=department.code,
            district_name=names.get(str(value), value),
        )
        return zh.format(**context), en.format(**context)
    contract_rule = contract.rule(rule)
    return contract_rule.message_zh, contract_rule.message_en


def validate(
    contract: Contract,
    records: list[dict],
    headers: dict,
    submission_id: int,
    department: Department,
    received_on: dt.date,
) -> ValidationOutcome:
    """Run the checkpoint of the submission type; findings and audit rows come from its result."""
    import warnings

    from great_expectations.core.run_identifier import RunIdentifier

    from ingest.intake.pii import mask_personal
    from ingest.quality.docs_pages import PageFacts, append_to_index, index_entry, render_validation_page

    warnings.filterwarnings("ignore", category=DeprecationWarning, module="great_expectations")
    context = get_context()
    checkpoint = context.checkpoints.get(contract.submission_type)
    result = checkpoint.run(
        batch_parameters={"dataframe": frame_for(contract, records)},
        expectation_parameters=run_parameters(department, received_on),
        run_id=RunIdentifier(run_name=f"submission-{submission_id}"),
    )

    by_row = {r["source_row"]: r for r in records}
    findings: list[tuple[int, int, Finding]] = []
    rows, docs_url = [], None
    site = settings().data_docs_dir
    for identifier, validation in result.run_results.items():
        # the facts known now; the pipeline publishes the rest (file, sha256, final status) after its commit
        facts = PageFacts(submission_id, department.code, contract.submission_type)
        docs_url = render_validation_page(context, identifier, validation, site, contract, facts)
        append_to_index(
            site,
            index_entry(identifier, validation, submission_id, department, contract.submission_type, docs_url, site),
        )
        for position, item in enumerate(validation.results):
            config = item.expectation_config
            meta = config.meta or {}
            rule, severity, column = meta.get("rule", config.type), meta.get("severity", "error"), meta.get("column")
            unexpected = item.result.get("unexpected_index_list") or []
            source_rows = [int(u["source_row"]) for u in unexpected]
            exception = _exception(item.exception_info)
            rows.append(
                {
                    "suite_name": contract.submission_type,
                    "expectation_type": config.type,
                    "column_name": column,
                    "rule": rule,
                    "severity": severity,
                    "success": bool(item.success),
                    "observed_value": _plain(
                        {
                            **{
                                k: v
                                for k, v in item.result.items()
                                if k
                                in ("observed_value", "element_count", "unexpected_percent", "partial_unexpected_list")
                            },
                            "expectation_id": config.id,
                            "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                            **({"exception": exception} if exception else {}),
                        }
                    ),
                    "unexpected_count": item.result.get("unexpected_count"),
                    "unexpected_source_rows": source_rows[:MAX_STORED_ROWS],
                }
            )
            if exception:  # fail closed: an expectation that could not run is an error of the file
                findings.append(
                    (
                        0,
                        position,
                        Finding(
                            "validation_failed",
                            "error",
                            f"校验规则“{rule}”无法执行：{exception}",
                            f"expectation for rule {rule} could not run: {exception}",
                            None,
                            column,
                        ),
                    )
                )
            for source_row in source_rows:
                value = by_row[source_row].get(column)
                if value is not None and contract.column(column).pii:
                    value = mask_personal(str(value))  # findings are stored: never a clear phone or ID
                value = _display(value)
                zh, en = _messages(contract, rule, column, value, department)
                findings.append(
                    (
                        source_row,
                        position,
                        Finding(
                            rule,
                            severity,
                            zh,
                            en,
                            source_row,
                            column,
                            headers.get(column, contract.column(column).label_zh),
                            value,
                        ),
                    )
                )
    findings.sort(key=lambda entry: entry[:2])
    return ValidationOutcome([f for *_, f in findings], rows, docs_url, bool(result.success))


if __name__ == "__main__":
    print("changed suites:", sync_context() or "none")
