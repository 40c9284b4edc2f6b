"""The four dashboards as data: the datasets (the marts, with Chinese labels and metrics), the
charts and where each sits on its dashboard. bi/bundle_writer.py turns this into bi/assets/.

A chart is a few lines here instead of a hundred in the bundle: the chart builders below fill
in Superset's form data for each kind of chart. Edit here, run
`bi/.venv/bin/python bi/bundle_writer.py`, commit both. Rates are ratios of sums
(docs/design.md §7), defined once as dataset metrics, never averaged across rows.
"""

from __future__ import annotations

import json

DATABASE_NAME = "swdw 数据仓库（marts）"

# --- datasets: the marts, with Chinese column names and the rates as ratio-of-sums metrics -----

# the newest month in the mart: a dataset-defined column (not an ad-hoc subquery, which Superset
# refuses from chart requests) so "latest month" queries need no hard-coded date
LATEST = "{col} = (select max({col}) from marts.{table})"

DATASETS = {
    "mart_coverage": {
        "description": "两个覆盖：非公企业和社会组织的党组织、群团组织覆盖（月 × 区 × 组织类型）",
        "dttm": "period_month",
        "columns": {
            "period_month": ("DATE", "月份"),
            "district_code": ("TEXT", "区县代码"),
            "district_name": ("TEXT", "区县"),
            "org_type": ("TEXT", "组织类型代码"),
            "org_type_label": ("TEXT", "组织类型"),
            "orgs_total": ("BIGINT", "组织数"),
            "orgs_with_party_org": ("BIGINT", "已建党组织"),
            "orgs_single": ("BIGINT", "单独组建"),
            "orgs_joint": ("BIGINT", "联合组建"),
            "orgs_industry": ("BIGINT", "行业组建"),
            "orgs_regional": ("BIGINT", "区域组建"),
            "party_org_coverage_rate": ("NUMERIC", "党组织覆盖率（行）"),
            "orgs_with_union": ("BIGINT", "已建工会"),
            "orgs_with_youth_league": ("BIGINT", "已建团组织"),
            "orgs_with_womens_federation": ("BIGINT", "已建妇联组织"),
            "union_coverage_rate": ("NUMERIC", "工会覆盖率（行）"),
            "youth_league_coverage_rate": ("NUMERIC", "团组织覆盖率（行）"),
            "womens_federation_coverage_rate": ("NUMERIC", "妇联覆盖率（行）"),
            "mass_org_avg_coverage_rate": ("NUMERIC", "群团平均覆盖率（行）"),
            "orgs_should_form_party_org": ("BIGINT", "应建未建"),
            "orgs_with_instructor": ("BIGINT", "已派党建指导员"),
            "party_members": ("BIGINT", "党员数"),
            "new_party_orgs": ("BIGINT", "新建党组织"),
        },
        "computed": {},
        "metrics": {
            "orgs_total": ("sum(orgs_total)", "组织数", ",d"),
            "party_org_coverage": (
                "1.0 * sum(orgs_with_party_org) / nullif(sum(orgs_total), 0)",
                "党组织覆盖率",
                ".2%",
            ),
            "mass_org_coverage": (
                "1.0 * (sum(orgs_with_union) + sum(orgs_with_youth_league) + sum(orgs_with_womens_federation))"
                " / nullif(3 * sum(orgs_total), 0)",
                "群团组织平均覆盖率",
                ".2%",
            ),
            "union_coverage": ("1.0 * sum(orgs_with_union) / nullif(sum(orgs_total), 0)", "工会覆盖率", ".2%"),
            "youth_league_coverage": (
                "1.0 * sum(orgs_with_youth_league) / nullif(sum(orgs_total), 0)",
                "团组织覆盖率",
                ".2%",
            ),
            "womens_federation_coverage": (
                "1.0 * sum(orgs_with_womens_federation) / nullif(sum(orgs_total), 0)",
                "妇联组织覆盖率",
                ".2%",
            ),
            "new_party_orgs": ("sum(new_party_orgs)", "新建党组织", ",d"),
            "should_form": ("sum(orgs_should_form_party_org)", "应建未建", ",d"),
            "instructors": ("sum(orgs_with_instructor)", "党建指导员覆盖组织", ",d"),
        },
    },
    "mart_service_counts": {
        "description": "志愿服务：活动、参与人次、志愿者与服务时长（月 × 区 × 类别 × 服务对象）",
        "dttm": "activity_month",
        "columns": {
            "activity_month": ("DATE", "月份"),
            "district_code": ("TEXT", "区县代码"),
            "district_name": ("TEXT", "区县"),
            "category": ("TEXT", "类别代码"),
            "category_label": ("TEXT", "服务类别"),
            "target_group": ("TEXT", "服务对象代码"),
            "target_group_label": ("TEXT", "服务对象"),
            "activities": ("BIGINT", "活动场次"),
            "participants": ("BIGINT", "参与人次"),
            "approximate_records": ("BIGINT", "估算人次记录"),
            "volunteers": ("BIGINT", "志愿者人数"),
            "service_hours": ("NUMERIC", "服务时长（小时）"),
        },
        "computed": {},
        "metrics": {
            "activities": ("sum(activities)", "活动场次", ",d"),
            "participants": ("sum(participants)", "参与人次", ",d"),
            "volunteers": ("sum(volunteers)", "志愿者人数", ",d"),
            "service_hours": ("sum(service_hours)", "服务时长（小时）", ",.1f"),
            "approximate_records": ("sum(approximate_records)", "估算人次记录", ",d"),
        },
    },
    "mart_petition_conversion": {
        "description": "人民建议征集与转化（月 × 区 × 渠道；状态取每条建议的最新版本）",
        "dttm": "received_month",
        "columns": {
            "received_month": ("DATE", "收到月份"),
            "district_code": ("TEXT", "区县代码"),
            "district_name": ("TEXT", "区县"),
            "channel": ("TEXT", "渠道代码"),
            "channel_label": ("TEXT", "征集渠道"),
            "suggestions_received": ("BIGINT", "征集建议"),
            "suggestions_concluded": ("BIGINT", "已办结"),
            "suggestions_adopted": ("BIGINT", "已采纳"),
            "suggestions_converted": ("BIGINT", "建议转化"),
            "suggestions_converted_to_policy": ("BIGINT", "转化为政策"),
            "suggestions_rejected": ("BIGINT", "未采纳"),
            "conversion_rate": ("NUMERIC", "转化率"),
            "median_days_to_conclusion": ("NUMERIC", "办结天数中位数"),
            "p90_days_to_conclusion": ("NUMERIC", "办结天数90分位"),
        },
        "computed": {},
        "metrics": {
            "received": ("sum(suggestions_received)", "征集建议", ",d"),
            "converted": ("sum(suggestions_converted)", "建议转化", ",d"),
            "concluded": ("sum(suggestions_concluded)", "已办结", ",d"),
            "converted_to_policy": ("sum(suggestions_converted_to_policy)", "转化为政策", ",d"),
            "conversion_rate": (
                "1.0 * sum(suggestions_converted) / nullif(sum(suggestions_received), 0)",
                "转化率",
                ".2%",
            ),
            # a median is not additive: at the mart's grain it is exact, above it this is the
            # conclusion-weighted mean of the cells' medians, labelled as such
            "median_days_weighted": (
                "sum(median_days_to_conclusion * suggestions_concluded) / nullif(sum(suggestions_concluded), 0)",
                "办结天数中位数（加权）",
                ",.1f",
            ),
        },
    },
    "mart_submission_quality": {
        "description": "报送质量：各部门每月应报、实报、按时、逾期、缺报、退回、错误与最新状态",
        "dttm": "period_month",
        "columns": {
            "period_month": ("DATE", "报送月份"),
            "department_code": ("TEXT", "部门代码"),
            "department_name": ("TEXT", "部门"),
            "submission_type": ("TEXT", "报表类型代码"),
            "submission_type_label": ("TEXT", "报表类型"),
            "due_date": ("DATE", "截止日期"),
            "submissions_expected": ("BIGINT", "应报"),
            "submissions_received": ("BIGINT", "实报"),
            "submissions_on_time": ("BIGINT", "按时"),
            "submissions_accepted": ("BIGINT", "已入库"),
            "submissions_quarantined": ("BIGINT", "退回（隔离）"),
            "submissions_missing": ("BIGINT", "缺报"),
            "resubmissions": ("BIGINT", "重报"),
            "first_received_at": ("TIMESTAMP WITH TIME ZONE", "首次收到"),
            "last_received_at": ("TIMESTAMP WITH TIME ZONE", "最近收到"),
            "days_late": ("INTEGER", "逾期天数"),
            "rows_received": ("BIGINT", "数据行数"),
            "errors": ("BIGINT", "错误"),
            "warnings": ("BIGINT", "警告"),
            "latest_submission_id": ("BIGINT", "最新报送编号"),
            "latest_status": ("TEXT", "最新状态代码"),
            "latest_status_label": ("TEXT", "最新状态"),
        },
        "computed": {},
        "metrics": {
            "expected": ("sum(submissions_expected)", "应报", ",d"),
            "received": ("sum(submissions_received)", "实报", ",d"),
            "on_time": ("sum(submissions_on_time)", "按时", ",d"),
            "late": ("sum(case when days_late > 0 then 1 else 0 end)", "逾期", ",d"),
            "missing": ("sum(submissions_missing)", "缺报", ",d"),
            "quarantined": ("sum(submissions_quarantined)", "退回（隔离）", ",d"),
            "errors": ("sum(errors)", "错误", ",d"),
            "warnings": ("sum(warnings)", "警告", ",d"),
        },
    },
}

# --- the period filter: 统计期, one month, on every dashboard ----------------------------------

# Every mart has a month (its dttm): each dataset gets it as text YYYY-MM under one name, so one
# select filter reads the same column on every dashboard and `swdw report --month` sets it by
# the month as typed, and a flag for the newest month, what the filter shows before anyone chose.
PERIOD_COLUMN = "report_month"
PERIOD_FILTER = {
    "name": "统计期",
    "description": "所选月份；默认为最新月份。按月趋势图与本年度指标不受此筛选影响。",
    # one month at a time, the newest first and chosen by default (the values sorted descending)
    "controlValues": {
        "enableEmptyFilter": False,
        "defaultToFirstItem": True,
        "multiSelect": False,
        "searchAllOptions": False,
        "inverseSelection": False,
        "sortAscending": False,
        "creatable": False,
    },
}
# the filter's default where no dashboard applies it: the saved query of a chart in its scope
# (chart-data API, CSV export, thumbnails) reads the newest month, as the dashboard first shows
NEWEST_MONTH_CLAUSE = {"col": "is_latest_month", "op": "IS TRUE"}

for _table, _spec in DATASETS.items():
    _spec["computed"] = {
        PERIOD_COLUMN: ("TEXT", PERIOD_FILTER["name"], f"to_char({_spec['dttm']}, 'YYYY-MM')"),
        "is_latest_month": ("BOOLEAN", "最新月份", LATEST.format(col=_spec["dttm"], table=_table)),
        **_spec["computed"],
    }


def reads_period(params: dict) -> bool:
    """Whether a chart shows one month, and so is in the scope of the period filter.

    A trend over the months (its x axis is the month) shows every month: that is the point of
    it, and filtered to one month it would be one dot. The year's big numbers (grain P1Y) show a
    year under a 本年度 title: filtered to a month they would show a month's figure under it.
    Both stay out of scope. Everything else reads the filter: the newest-month big numbers, the
    bars over districts, departments or target groups, the pies and the tables, which show the
    chosen month (the newest by default, as the "latest month" charts did before)."""
    dttm = DATASETS[params["datasource"].split("__")[0]]["dttm"]
    if params["viz_type"] == "big_number":
        return params["time_grain_sqla"] == "P1M"
    return params.get("x_axis") != dttm


# --- charts --------------------------------------------------------------------------------


def _common(dataset: str, viz_type: str) -> dict:
    return {
        "datasource": f"{dataset}__table",  # rewritten to the real id at import
        "viz_type": viz_type,
        "adhoc_filters": [],
        "extra_form_data": {},
        "row_limit": 10000,
        "color_scheme": "supersetColors",
    }


def big_number(dataset: str, metric: str, grain: str, fmt: str, subheader: str) -> dict:
    """The last period's value with its trend: the headline figure of the newest month or year."""
    return {
        **_common(dataset, "big_number"),
        "metric": metric,
        "x_axis": DATASETS[dataset]["dttm"],
        "time_grain_sqla": grain,
        "show_trend_line": True,
        "start_y_axis_at_zero": True,
        "y_axis_format": fmt,
        "time_format": "%Y-%m" if grain == "P1M" else "%Y",
        "subheader": subheader,
        "header_font_size": 0.4,
        "subheader_font_size": 0.15,
    }


def timeseries(dataset: str, metrics: list[str], kind: str, fmt: str, groupby=(), stack=False, x_title="") -> dict:
    return {
        **_common(dataset, f"echarts_timeseries_{kind}"),
        "metrics": metrics,
        "groupby": list(groupby),
        "x_axis": DATASETS[dataset]["dttm"],
        "time_grain_sqla": "P1M",
        "x_axis_time_format": "%Y-%m",
        "y_axis_format": fmt,
        "stack": "Stack" if stack else None,
        "show_legend": True,
        "legendOrientation": "top",
        "rich_tooltip": True,
        "x_axis_title": x_title,
        "x_axis_title_margin": 15,
        "markerEnabled": kind == "line",
    }


def category_bar(dataset: str, x_axis: str, metrics: list[str], fmt: str, groupby=()) -> dict:
    """Bars over a label column (district, department, target group) rather than over time."""
    return {
        **_common(dataset, "echarts_timeseries_bar"),
        "x_axis": x_axis,
        "metrics": metrics,
        "groupby": list(groupby),
        "y_axis_format": fmt,
        "x_axis_sort_asc": True,
        "show_legend": True,
        "legendOrientation": "top",
        "rich_tooltip": True,
        "orientation": "vertical",
        "x_axis_title": DATASETS[dataset]["columns"][x_axis][1],
        "x_axis_title_margin": 30,
        "xAxisLabelRotation": 45,
    }


def pie(dataset: str, groupby: str, metric: str) -> dict:
    return {
        **_common(dataset, "pie"),
        "groupby": [groupby],
        "metric": metric,
        "sort_by_metric": True,
        "show_labels": True,
        "label_type": "key_percent",
        "number_format": ",d",
        "show_legend": True,
        "legendOrientation": "right",
    }


def summary_table(dataset: str, groupby: list[str], metrics: list[str]) -> dict:
    return {
        **_common(dataset, "table"),
        "query_mode": "aggregate",
        "groupby": groupby,
        "metrics": metrics,
        "all_columns": [],
        "percent_metrics": [],
        "order_desc": True,
        "table_timestamp_format": "%Y-%m",
        "show_cell_bars": True,
        "server_page_length": 50,
    }


def detail_table(dataset: str, columns: list[str], order_by: list[tuple[str, bool]]) -> dict:
    """Rows at the mart's own grain (exact medians, per-department status)."""
    return {
        **_common(dataset, "table"),
        "query_mode": "raw",
        "all_columns": columns,
        "groupby": [],
        "metrics": [],
        "order_by_cols": [json.dumps([column, ascending]) for column, ascending in order_by],
        "table_timestamp_format": "%Y-%m",
        "server_page_length": 50,
        "row_limit": 1000,
    }


# (slug, title, exposure name, [(chart name, params, width, height)…] in rows)
DASHBOARDS = [
    (
        "two-coverages",
        "两个覆盖",
        "dashboard_two_coverages",
        [
            [
                (
                    "党组织覆盖率（统计期）",
                    big_number("mart_coverage", "party_org_coverage", "P1M", ".2%", "已建党组织 ÷ 组织总数"),
                    4,
                    40,
                ),
                (
                    "群团组织平均覆盖率（统计期）",
                    big_number("mart_coverage", "mass_org_coverage", "P1M", ".2%", "工会、团组织、妇联覆盖率之平均"),
                    4,
                    40,
                ),
                (
                    "组织总数（统计期）",
                    big_number("mart_coverage", "orgs_total", "P1M", ",d", "纳入统计的非公企业和社会组织"),
                    4,
                    40,
                ),
            ],
            [
                (
                    "覆盖率月度趋势",
                    timeseries(
                        "mart_coverage",
                        [
                            "party_org_coverage",
                            "mass_org_coverage",
                            "union_coverage",
                            "youth_league_coverage",
                            "womens_federation_coverage",
                        ],
                        "line",
                        ".1%",
                        x_title="月份",
                    ),
                    6,
                    55,
                ),
                (
                    "新建党组织（按月）",
                    timeseries(
                        "mart_coverage",
                        ["new_party_orgs"],
                        "bar",
                        ",d",
                        groupby=["org_type_label"],
                        stack=True,
                        x_title="月份",
                    ),
                    6,
                    55,
                ),
            ],
            [
                (
                    "各区党组织覆盖率（统计期，按组织类型）",
                    category_bar(
                        "mart_coverage",
                        "district_name",
                        ["party_org_coverage"],
                        ".0%",
                        groupby=["org_type_label"],
                    ),
                    6,
                    60,
                ),
                (
                    "应建未建与党建指导员（统计期）",
                    category_bar("mart_coverage", "district_name", ["should_form", "instructors"], ",d"),
                    6,
                    60,
                ),
            ],
            [
                (
                    "各区、各类组织覆盖明细（统计期）",
                    summary_table(
                        "mart_coverage",
                        ["district_name", "org_type_label"],
                        [
                            "orgs_total",
                            "party_org_coverage",
                            "mass_org_coverage",
                            "new_party_orgs",
                            "should_form",
                            "instructors",
                        ],
                    ),
                    12,
                    70,
                ),
            ],
        ],
    ),
    (
        "volunteer-services",
        "志愿服务",
        "dashboard_service_activities",
        [
            [
                (
                    "活动场次与参与人次（按月）",
                    timeseries("mart_service_counts", ["activities", "participants"], "bar", ",d", x_title="月份"),
                    6,
                    55,
                ),
                (
                    "志愿者人数与服务时长（按月）",
                    timeseries("mart_service_counts", ["volunteers", "service_hours"], "line", ",d", x_title="月份"),
                    6,
                    55,
                ),
            ],
            [
                ("服务类别（活动场次）", pie("mart_service_counts", "category_label", "activities"), 4, 60),
                (
                    "服务对象（参与人次，按类别）",
                    category_bar(
                        "mart_service_counts", "target_group_label", ["participants"], ",d", groupby=["category_label"]
                    ),
                    8,
                    60,
                ),
            ],
            [
                (
                    "类别 × 服务对象明细",
                    summary_table(
                        "mart_service_counts",
                        ["category_label", "target_group_label"],
                        ["activities", "participants", "volunteers", "service_hours", "approximate_records"],
                    ),
                    12,
                    70,
                ),
            ],
        ],
    ),
    (
        "peoples-suggestions",
        "人民建议征集与转化",
        "dashboard_peoples_suggestions",
        [
            [
                (
                    "征集建议（本年度）",
                    big_number("mart_petition_conversion", "received", "P1Y", ",d", "条人民建议"),
                    4,
                    40,
                ),
                (
                    "建议转化（本年度）",
                    big_number("mart_petition_conversion", "converted", "P1Y", ",d", "采纳、部分采纳与转化为政策"),
                    4,
                    40,
                ),
                (
                    "转化率（本年度）",
                    big_number("mart_petition_conversion", "conversion_rate", "P1Y", ".2%", "建议转化 ÷ 征集建议"),
                    4,
                    40,
                ),
            ],
            [
                (
                    "征集与转化（按月）",
                    timeseries("mart_petition_conversion", ["received", "converted"], "bar", ",d", x_title="收到月份"),
                    4,
                    55,
                ),
                # a rate and a number of days on one axis would flatten the rate: two charts
                (
                    "转化率（按月）",
                    timeseries("mart_petition_conversion", ["conversion_rate"], "line", ".0%", x_title="收到月份"),
                    4,
                    55,
                ),
                (
                    "办结天数中位数（按月）",
                    timeseries(
                        "mart_petition_conversion", ["median_days_weighted"], "line", ",.1f", x_title="收到月份"
                    ),
                    4,
                    55,
                ),
            ],
            [
                (
                    "各区征集与转化",
                    category_bar("mart_petition_conversion", "district_name", ["received", "converted"], ",d"),
                    8,
                    60,
                ),
                ("征集渠道", pie("mart_petition_conversion", "channel_label", "received"), 4, 60),
            ],
            [
                (
                    "月 × 区 × 渠道明细（中位数为精确值）",
                    detail_table(
                        "mart_petition_conversion",
                        [
                            "received_month",
                            "district_name",
                            "channel_label",
                            "suggestions_received",
                            "suggestions_converted",
                            "conversion_rate",
                            "median_days_to_conclusion",
                        ],
                        [("received_month", False)],
                    ),
                    12,
                    70,
                ),
            ],
        ],
    ),
    (
        "submission-quality",
        "报送质量",
        "dashboard_submission_quality",
        [
            [
                (
                    "按时、逾期、缺报、退回（按月）",
                    timeseries(
                        "mart_submission_quality",
                        ["on_time", "late", "missing", "quarantined"],
                        "bar",
                        ",d",
                        x_title="报送月份",
                    ),
                    6,
                    55,
                ),
                (
                    "各部门错误与警告",
                    category_bar("mart_submission_quality", "department_name", ["errors", "warnings"], ",d"),
                    6,
                    55,
                ),
            ],
            [
                (
                    "各部门报送情况（统计期）",
                    detail_table(
                        "mart_submission_quality",
                        [
                            "department_name",
                            "submission_type_label",
                            "period_month",
                            "submissions_expected",
                            "submissions_received",
                            "submissions_on_time",
                            "days_late",
                            "submissions_missing",
                            "submissions_quarantined",
                            "errors",
                            "warnings",
                            "latest_status_label",
                        ],
                        [("department_name", True)],
                    ),
                    12,
                    80,
                ),
            ],
        ],
    ),
]
