"""The saved query context of a chart, built from its form data (the `params` of bi/bundle_spec.py).

Superset's browser builds a chart's query from its form data on every render (the plugin's
buildQuery), but the chart-data API (`GET /api/v1/chart/<id>/data/`), CSV export through the
API, thumbnails and reports read the query context saved with the chart: without one they
answer 400 until somebody re-saves the chart by hand. These builders produce what the
frontend's buildQuery of Superset 6.1 sends for each kind of chart in the bundle, so the API
returns what the dashboard shows.

The dataset id is known only at import: the importer (update_chart_config_dataset) rewrites
`datasource` and `form_data.datasource` to the real dataset, as it does for `params`.
"""

from __future__ import annotations

import json


def query_context(params: dict, default_filters: tuple[dict, ...] = ()) -> dict:
    """`default_filters`: filter clauses the dashboard's native filters apply by default, which the
    saved query has to carry itself (no dashboard applies them to an API request)."""
    viz_type = params["viz_type"]
    if viz_type == "big_number":
        queries = [_big_number(params)]
    elif viz_type.startswith("echarts_timeseries_"):
        queries = [_timeseries(params)]
    elif viz_type == "pie":
        queries = [_pie(params)]
    elif viz_type == "table":
        queries = [_table(params)]
    else:
        raise ValueError(f"no query context builder for viz type {viz_type!r}")
    for query in queries:
        query["filters"] += default_filters
    return {
        "datasource": {"id": None, "type": "table"},  # the real id is set at import
        "force": False,
        "queries": queries,
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }


# --- what every query carries (buildQueryObject) -------------------------------------------------


def _filters(params: dict) -> list[dict]:
    """Simple WHERE filters as filter clauses; a unary operator carries no value."""
    clauses = []
    for adhoc in params["adhoc_filters"]:
        if adhoc["expressionType"] != "SIMPLE" or adhoc["clause"] != "WHERE":
            raise ValueError(f"only simple WHERE filters are translated: {adhoc}")
        clause = {"col": adhoc["subject"], "op": adhoc["operator"]}
        if adhoc["comparator"] is not None:
            clause["val"] = adhoc["comparator"]
        clauses.append(clause)
    return clauses


def _base(params: dict) -> dict:
    extras = {"having": "", "where": ""}
    if params.get("time_grain_sqla"):
        extras["time_grain_sqla"] = params["time_grain_sqla"]
    return {
        "filters": _filters(params),
        "extras": extras,
        "applied_time_extras": {},
        "columns": [],
        "orderby": [],
        "annotation_layers": [],
        "row_limit": params["row_limit"],
        "series_limit": 0,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "post_processing": [],
    }


def _x_axis(params: dict) -> dict:
    """The x axis as Superset's BASE_AXIS column: truncated to the time grain when it is temporal."""
    column = {
        "columnType": "BASE_AXIS",
        "sqlExpression": params["x_axis"],
        "label": params["x_axis"],
        "expressionType": "SQL",
        "isColumnReference": True,
    }
    if params.get("time_grain_sqla"):
        column["timeGrain"] = params["time_grain_sqla"]
    return column


def _pivot(params: dict, metrics: list[str], columns: list[str]) -> dict:
    """One row per x value, one column per metric (× series): what the ECharts plugins plot."""
    return {
        "operation": "pivot",
        "options": {
            "index": [params["x_axis"]],
            "columns": columns,
            # 'mean' of a single value is the value; it keeps empty cells as NaN, not 0
            "aggregates": {metric: {"operator": "mean"} for metric in metrics},
            "drop_missing_columns": False,
        },
    }


# --- one builder per kind of chart ----------------------------------------------------------


def _big_number(params: dict) -> dict:
    """The trend line's series, one row per period; the big number is its last row."""
    metric = params["metric"]
    return {
        **_base(params),
        "columns": [_x_axis(params)],
        "metrics": [metric],
        "post_processing": [_pivot(params, [metric], []), {"operation": "flatten"}],
    }


def _timeseries(params: dict) -> dict:
    """Line and bar charts, over time or over a label column: x axis, then the series."""
    metrics = params["metrics"]
    groupby = params["groupby"]
    return {
        **_base(params),
        "columns": [_x_axis(params), *groupby],
        "series_columns": groupby,
        "metrics": metrics,
        "orderby": [[metrics[0], False]],
        "time_offsets": [],
        "post_processing": [_pivot(params, metrics, groupby), {"operation": "flatten"}],
    }


def _pie(params: dict) -> dict:
    return {
        **_base(params),
        "columns": params["groupby"],
        "metrics": [params["metric"]],
        "orderby": [[params["metric"], False]],
    }


def _table(params: dict) -> dict:
    """Aggregate mode groups and orders by the first metric, largest first (as the frontend does
    when no sort metric is set); raw mode lists rows in the order the spec gives."""
    if params["query_mode"] == "aggregate":
        return {
            **_base(params),
            "columns": params["groupby"],
            "metrics": params["metrics"],
            "orderby": [[params["metrics"][0], False]],
            "time_offsets": [],
        }
    return {
        **_base(params),
        "columns": params["all_columns"],
        # no metrics at all (not an empty list, which would group by every column)
        "orderby": [_order_by(column) for column in params["order_by_cols"]],
        "time_offsets": [],
    }


def _order_by(encoded: str) -> list:
    """A raw table's order_by_cols entry, '["column", ascending]', as an orderby pair."""
    column, ascending = json.loads(encoded)
    return [column, ascending]
