"""Great Expectations: one suite per submission type, generated from its contract.

The file context lives in expectations/ and is committed; `python -m ingest.validation`
creates or updates its objects (suite ids stay stable when nothing changed). At run time
the checkpoint of the submission type validates the normalised frame, stores the result
under $SWDW_HOME/artifacts and updates the Data Docs there.
"""
from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

from .config import EXPECTATIONS_DIR, settings
from .contracts import Contract, all_contracts
from .findings import Finding
from .reference import districts

DATASOURCE = "submissions"
BATCH_DEFINITION = "whole_file"
RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"],
                 "partial_unexpected_count": 20}
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"

# expectation type -> (rule name, message_zh template, message_en template)
RULE_TEXT = {
    "expect_column_values_to_not_be_null": ("required", "必填项为空", "required value is empty"),
    "expect_column_values_to_be_in_set": ("allowed_values", "“{value}”不是允许的取值", "{value!r} is not an allowed value"),
    "expect_column_values_to_be_between": ("minimum", "数值“{value}”不能为负数", "{value} is below the minimum"),
    "expect_column_values_to_be_unique": ("unique", "“{value}”在文件中重复", "{value!r} is duplicated in the file"),
    "expect_column_values_to_match_regex": ("format", "“{value}”格式不正确", "{value!r} has the wrong format"),
}


def expectation_specs(contract: Contract) -> list[tuple[str, dict]]:
    """(expectation type, kwargs incl. meta) for every column constraint of the contract."""
    specs = []
    for column in contract.columns:
        if column.pii:
            continue  # personal data is checked by contract rules, never handed to GX
        meta = {"severity": "error", "label_zh": column.label_zh}
        name = column.name
        if column.required:
            specs.append(("expect_column_values_to_not_be_null", {"column": name, "meta": meta}))
        if column.type == "enum":
            specs.append(("expect_column_values_to_be_in_set",
                          {"column": name, "value_set": sorted(column.values), "meta": meta}))
        if column.type == "district":
            specs.append(("expect_column_values_to_be_in_set",
                          {"column": name, "value_set": sorted(districts()), "meta": meta}))
        if column.min is not None:
            specs.append(("expect_column_values_to_be_between",
                          {"column": name, "min_value": float(column.min), "meta": meta}))
        if column.unique:
            specs.append(("expect_column_values_to_be_unique", {"column": name, "meta": meta}))
        if column.type == "credit_code":
            specs.append(("expect_column_values_to_match_regex",
                          {"column": name, "regex": CREDIT_CODE_PATTERN, "meta": meta}))
    return specs


def _gx_environment() -> None:
    config = settings()
    os.environ["SWDW_GX_RESULTS_DIR"] = str(config.artifacts_dir / "gx_validations")
    os.environ["SWDW_DATA_DOCS_DIR"] = str(config.data_docs_dir)
    os.environ["GX_ANALYTICS_ENABLED"] = "false"


@functools.cache
def get_context():
    """The file context, loaded once per process (loading it costs about a second)."""
    _gx_environment()
    import great_expectations as gx

    return gx.get_context(mode="file", context_root_dir=str(EXPECTATIONS_DIR))


def _build_expectations(contract: Contract) -> list:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.registry import get_expectation_impl

    return [get_expectation_impl(kind)(**kwargs) for kind, kwargs in expectation_specs(contract)]


def _same(existing: list, wanted: list) -> bool:
    def key(e):
        config = e.configuration
        return json.dumps([config.type, config.kwargs, config.meta], sort_keys=True, default=str)

    return sorted(map(key, existing)) == sorted(map(key, wanted))


def sync_context() -> list[str]:
    """Create or update the datasource, suites, validation definitions and checkpoints."""
    import great_expectations as gx

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
        wanted = _build_expectations(contract)
        try:
            suite = context.suites.get(name)
        except Exception:
            suite = context.suites.add(gx.ExpectationSuite(
                name=name, meta={"contract": f"ingest/contracts/{name}.yml", "label_zh": contract.label_zh}))
        if not _same(suite.expectations, wanted):
            for expectation in list(suite.expectations):
                suite.delete_expectation(expectation)
            for expectation in wanted:
                suite.add_expectation(expectation)
            suite.save()
            suite = context.suites.get(name)
            changed.append(name)
        try:
            definition = context.validation_definitions.get(name)
        except Exception:
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite))
        try:
            context.checkpoints.get(name)
        except Exception:
            context.checkpoints.add(gx.Checkpoint(
                name=name, validation_definitions=[definition], result_format=RESULT_FORMAT,
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")]))
    return changed


@dataclass
class ValidationOutcome:
    findings: list[Finding]
    results: list[dict]  # one per expectation, for audit.validation_result
    data_docs_url: str | None
    success: bool


def _frame(contract: Contract, records: list[dict]):
    import pandas as pd

    columns = ["source_row"] + [c.name for c in contract.columns if not c.pii]
    frame = pd.DataFrame([{k: r.get(k) for k in columns} for r in records], columns=columns)
    for column in contract.columns:
        if column.pii:
            continue
        if column.type == "integer":
            frame[column.name] = frame[column.name].astype("Int64")
        elif column.type == "decimal":
            frame[column.name] = frame[column.name].astype("Float64")
        else:
            frame[column.name] = frame[column.name].astype(object)
    return frame


def _plain(value):
    """JSON-safe form of a GX observed value."""
    if value is None:
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (int, float, str, bool)) else str(value)


def validate(contract: Contract, records: list[dict], headers: dict, submission_id: int) -> ValidationOutcome:
    from great_expectations.core.run_identifier import RunIdentifier

    context = get_context()
    checkpoint = context.checkpoints.get(contract.submission_type)
    result = checkpoint.run(batch_parameters={"dataframe": _frame(contract, records)},
                            run_id=RunIdentifier(run_name=f"submission-{submission_id}"))
    findings, rows = [], []
    docs_url = None
    for identifier, validation in result.run_results.items():
        urls = context.get_docs_sites_urls(resource_identifier=identifier)
        docs_url = urls[0]["site_url"] if urls else None
        for item in validation.results:
            config = item.expectation_config
            column = config.kwargs.get("column")
            severity = (config.meta or {}).get("severity", "error")
            rule, zh, en = RULE_TEXT.get(config.type, (config.type, "不符合规则", "rule failed"))
            unexpected = item.result.get("unexpected_index_list") or []
            rows.append({
                "suite_name": contract.submission_type, "expectation_type": config.type,
                "column_name": column, "rule": rule, "severity": severity, "success": bool(item.success),
                "observed_value": _plain({k: v for k, v in item.result.items()
                                          if k in ("observed_value", "partial_unexpected_list", "element_count")}),
                "unexpected_count": item.result.get("unexpected_count"),
                "unexpected_source_rows": [int(u["source_row"]) for u in unexpected][:1000],
            })
            for entry in unexpected:
                value = _plain(entry.get(column))
                findings.append(Finding(rule, severity, zh.format(value=value), en.format(value=value),
                                        int(entry["source_row"]), column,
                                        headers.get(column, contract.column(column).label_zh),
                                        None if value is None else str(value)))
    return ValidationOutcome(findings, rows, docs_url, bool(result.success))


if __name__ == "__main__":
    print("changed suites:", sync_context() or "none")
