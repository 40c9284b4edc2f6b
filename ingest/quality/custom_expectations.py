"""Custom GX expectations for the rules GX has no built-in for (docs/design.md §6).

Importing this module registers the metrics and expectations with GX; ingest.quality.suites
imports it before it loads the suites that use them. Both run on the pandas engine and on the
SQL engine (PostgreSQL; the check character through the function of CREDIT_CHECK_SQL).

- expect_column_values_to_have_gb32100_check_character: the 18th character of a unified
  social credit code is the GB 32100 mod-31 check character. Values that do not have the
  credit-code format at all pass here: the format is its own expectation (match_regex).
- expect_column_pair_values_a_to_be_at_most_factor_times_b: A <= factor × max(B, b_floor),
  e.g. service hours <= 24 × max(volunteers, 1). A missing A passes; a missing B counts as 0.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

from ingest.quality.checks import CREDIT_ALPHABET, CREDIT_CHECK_FUNCTION, CREDIT_FORMAT, CREDIT_WEIGHTS

# a character's position in the credit-code alphabet, by its byte (-1: not in it)
_CREDIT_INDEX = np.full(256, -1, dtype=np.int64)
_CREDIT_INDEX[np.frombuffer(CREDIT_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(CREDIT_ALPHABET))


def credit_checks_pass(column: pd.Series) -> pd.Series:
    """ingest.quality.checks.credit_check_passes over a whole column at once: one weighted sum per
    row in numpy instead of a Python call per value (a fifth of the time), the same verdict."""
    texts = column.astype(str)
    formatted = texts.str.match(CREDIT_FORMAT.pattern).to_numpy(dtype=bool)
    passes = ~formatted
    if formatted.any():
        # the format admits alphabet characters only (and, as re.match does, a trailing newline)
        codes = "".join(texts[formatted].str.slice(0, 18)).encode("ascii")
        positions = _CREDIT_INDEX[np.frombuffer(codes, dtype=np.uint8).reshape(-1, 18)]
        expected = (31 - positions[:, :17] @ np.array(CREDIT_WEIGHTS) % 31) % 31
        passes[formatted] = positions[:, 17] == expected
    return pd.Series(passes, index=column.index)


class ColumnValuesGb32100CheckCharacter(ColumnMapMetricProvider):
    condition_metric_name = "column_values.swdw_gb32100_check_character"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return credit_checks_pass(column)

    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column, **kwargs):
        schema, name = CREDIT_CHECK_FUNCTION.split(".")
        return getattr(getattr(sa.func, schema), name)(column)


class ColumnPairValuesAAtMostFactorTimesB(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.swdw_a_at_most_factor_times_b"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_A",
        "column_B",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("factor", "b_floor")

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, factor, b_floor, **kwargs):
        a = column_A.astype("Float64")
        capacity = column_B.astype("Float64").fillna(0).clip(lower=b_floor) * factor
        return (a.isna() | (a <= capacity)).fillna(True).astype(bool)

    @column_pair_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_A, column_B, factor, b_floor, **kwargs):
        capacity = sa.func.greatest(sa.func.coalesce(column_B, 0), b_floor) * factor
        return sa.or_(column_A.is_(None), column_A <= capacity)


def _template(template: str, params: dict, configuration) -> list:
    kwargs = configuration.kwargs if configuration else {}
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={
                "template": template,
                "params": {k: kwargs.get(k) for k in params},
                "styling": {"default": {"classes": ["badge", "badge-secondary"]}},
            },
        )
    ]


class ExpectColumnValuesToHaveGb32100CheckCharacter(ColumnMapExpectation):
    """Unified social credit codes (GB 32100-2015) must end in their mod-31 check character."""

    map_metric: ClassVar[str] = "column_values.swdw_gb32100_check_character"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    library_metadata: ClassVar[dict] = {"maturity": "production", "tags": ["swdw"], "contributors": ["swdw"]}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return _template(
            "$column values must end in a valid GB 32100 check character (18th character, weighted mod 31).",
            {"column"},
            configuration,
        )


class ExpectColumnPairValuesAToBeAtMostFactorTimesB(ColumnPairMapExpectation):
    """Values in column A must not exceed factor × max(column B, b_floor)."""

    factor: float
    b_floor: float
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = "neither"
    map_metric: ClassVar[str] = "column_pair_values.swdw_a_at_most_factor_times_b"
    success_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "factor", "b_floor", "ignore_row_if", "mostly")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B", "factor", "b_floor")
    library_metadata: ClassVar[dict] = {"maturity": "production", "tags": ["swdw"], "contributors": ["swdw"]}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return _template(
            "Values in $column_A must be at most $factor × max($column_B, $b_floor).",
            {"column_A", "column_B", "factor", "b_floor"},
            configuration,
        )


CUSTOM_EXPECTATIONS = (ExpectColumnValuesToHaveGb32100CheckCharacter, ExpectColumnPairValuesAToBeAtMostFactorTimesB)
