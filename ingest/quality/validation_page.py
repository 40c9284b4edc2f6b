"""One validation page per file, readable by an auditor without a developer beside them.

A run renders only its own page (GX's renderer and view, the same HTML) and appends its entry to
the paged index (ingest.quality.docs_index). GX names a run `submission-86`, its data asset
`None` and columns by their code names, leaves the Chinese rule names in `meta`, which it does
not render, and calls a file whose only failed rules are warnings "Failed". So every page also
gets, above GX's report:
- a facts block (`PageFacts`, from the register): the run named `<department>/<file name>`,
  the department's Chinese name, submission type, report period, landing time, sha256, final
  status, the validation's verdict and links to the feedback report and the kept original;
- a rules table: every expectation with its column's Chinese label (from the contract), its
  rule's Chinese name and its severity, failed rules first with their source rows;
and GX's own overview status is the verdict (ingest.quality.verdict): error rules decide, and
once the register has a final status, that status.
The final status is known only after the file's transaction commits, and a snapshot may be
superseded later: `publish_facts` rewrites that page's facts block and status and its entry in
the one index page that holds it (named in the block) — a bounded cost, never the whole site.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.intake.reference import departments, register_labels
from ingest.quality.data_docs import SITE_ASSETS, asset_text, make_offline_page
from ingest.quality.docs_index import index_page_of, link, next_index_page, update_entry
from ingest.quality.docs_site import local_page, page_path, publish_page
from ingest.quality.rule_titles import shown_title
from ingest.quality.verdict import Verdict, failed_rules, verdict

SITE_NAME = "local_site"
STYLESHEET = "validation_page.css"

FACTS = re.compile(r"<!-- swdw:facts -->.*?<!-- /swdw:facts -->\n?", re.S)
RULES_MARKER = "<!-- swdw:rules -->"
GX_FIRST_SECTION = re.compile(r'<div id="section-1"')
GX_COLUMN_HEADER = re.compile(r'(<h5 class="m-0" >\s*)([a-z_]+)(\s*</h5>)')
GX_DATA_ASSET = re.compile(r"Data asset: (?:None|<span class=\"swdw-run\">.*?</span>)")
GX_RUN_NAME = re.compile(
    r'(Run Name</div></td><td[^>]*><div class="show-scrollbars">)(?:submission-\d+|<span class="swdw-run">.*?</span>)'
)
GX_TITLE = re.compile(
    r"<title>Data documentation compiled by Great Expectations</title>|<title>[^<]*· 校验结果</title>"
)
# GX's overview status (its icon and Succeeded|Failed), or ours once rewritten, which keeps the counts
GX_STATUS = re.compile(
    r'(<span class="h6" >Status:</span> )'
    r'(?:<i class="fas fa-[\w-]+ text-\w+" aria-hidden="true"></i> (?:Succeeded|Failed)|<span class="swdw-gx-status.*?</span>)',
    re.S,
)
FAILED_COUNTS = re.compile(r'data-failed-errors="(\d+)" data-failed-warnings="(\d+)"')
SEVERITY_ZH = {"error": "错误 error", "warning": "警告 warning"}
SHOWN_ROWS = 20  # source rows listed per failed rule on the page (all are in audit.validation_result)


@dataclass(frozen=True)
class PageFacts:
    """What the register knows of the submission a validation page belongs to (labels are looked up here)."""

    submission_id: int
    department_code: str
    submission_type: str
    file_name: str | None = None
    report_period: str | None = None  # 2024-12, or the covered dates of an event file
    month: str | None = None  # YYYY-MM, the month the file reports for (index filter, audit pack)
    received_at: str | None = None
    sha256: str | None = None
    status: str = "validating"
    status_reason: str | None = None
    superseded_by: int | None = None
    feedback_url: str | None = None
    original_url: str | None = None
    contract_version: str | None = None  # the contract file's hash that judged it (null before it was recorded)

    @property
    def run_name(self) -> str:
        """What an auditor calls the run: `<department>/<file name>`."""
        return f"{self.department_code}/{self.file_name or f'submission-{self.submission_id}'}"

    def labelled(self) -> dict:
        """The facts with their Chinese labels, as index entries hold them."""
        department = departments().get(self.department_code)
        return {
            **asdict(self),
            "run_name": self.run_name,
            "department_name": department.name if department else None,
            "submission_type_label": register_labels().get(("submission_type", self.submission_type), "未知报送类型"),
            "status_label": register_labels().get(("status", self.status), self.status),
        }


def _site_builder(context):
    """GX's SiteBuilder for the file site, built once per context (it holds the stores and the renderer)."""
    builder = getattr(context, "_swdw_site_builder", None)
    if builder is None:
        config = dict(context.variables.data_docs_sites[SITE_NAME])
        builder = context._init_site_builder_for_data_docs_site_creation(SITE_NAME, config)
        context._swdw_site_builder = builder
    return builder


def render_validation_page(
    context, identifier, result, site: Path, contract=None, facts: PageFacts | None = None
) -> str:
    """Write the validation page of one result; returns its file URL.

    With a contract, the page gets the rules table and Chinese column labels; with facts, the
    facts block (its index page is the one the next entry goes to: `append_to_index` follows).
    """
    from great_expectations.data_context.types.resource_identifiers import SiteSectionIdentifier

    builder = _site_builder(context)
    section = builder.site_section_builders["validations"]
    page = section.view_class.render(
        section.renderer_class.render(result),
        data_context_id=section.data_context_id,
        show_how_to_buttons=False,
    )
    page = _with_status(page, verdict(*failed_rules(result)))
    if contract is not None:
        page = _with_rules(page, result, contract)
    if facts is not None:
        page = _with_facts(page, facts, next_index_page(site))
    section.target_store.set(
        SiteSectionIdentifier(site_section_name="validations", resource_identifier=identifier), page
    )
    if not (site / SITE_ASSETS).exists():  # GX's static files, once per site (then made offline, once)
        builder.target_store.copy_static_assets()
    url = builder.get_resource_url(resource_identifier=identifier, only_if_exists=False)
    path = Path(url.removeprefix("file://"))
    make_offline_page(site, path)
    return publish_page(site, path, url)


def index_entry(
    identifier, result, submission_id: int, department, submission_type: str, page_url: str, site: Path
) -> dict:
    """The index entry of a validation page just rendered (its facts are published later)."""
    page = page_path(site, page_url).relative_to(site).as_posix()
    facts = PageFacts(submission_id, department.code, submission_type)
    errors, warnings = failed_rules(result)
    return {
        **facts.labelled(),
        "success": bool(result.success),
        "failed_expectations": sum(1 for r in result.results if not r.success),
        "failed_errors": errors,
        "failed_warnings": warnings,
        "validated_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "validation_run": identifier.run_id.run_name,
        "page": page,
    }


# --- the status: GX's overview, as the verdict ------------------------------------------------


def _status_html(outcome: Verdict) -> str:
    return (
        f'<span class="swdw-gx-status {outcome.css_class}" data-failed-errors="{outcome.failed_errors}" '
        f'data-failed-warnings="{outcome.failed_warnings}">{outcome.mark} {html.escape(outcome.label)}</span>'
    )


def _with_status(page: str, outcome: Verdict) -> str:
    return GX_STATUS.sub(lambda m: m.group(1) + _status_html(outcome), page, count=1)


def page_verdict(page: str, status: str | None = None) -> Verdict:
    """The verdict of a rendered page for a file in this register status (failed rules as rendered)."""
    found = FAILED_COUNTS.search(page)
    errors, warnings = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    return verdict(errors, warnings, status)


# --- the rules table ----------------------------------------------------------------------


def rule_rows(result, contract) -> list[dict]:
    """Every expectation of a result as an auditor reads it; failed ones first, suite order kept."""
    rows = []
    for position, item in enumerate(result.results):
        meta = item.expectation_config.meta or {}
        rule, column = meta.get("rule", item.expectation_config.type), meta.get("column")
        unexpected = item.result.get("unexpected_index_list") or []
        rows.append(
            {
                "position": position,
                "success": bool(item.success),
                "column": column,
                "label_zh": next((c.label_zh for c in contract.columns if c.name == column), column),
                "rule": rule,
                "rule_zh": shown_title(contract, rule),
                "severity": meta.get("severity", "error"),
                "unexpected_count": item.result.get("unexpected_count") or 0,
                "source_rows": [int(u["source_row"]) for u in unexpected[:SHOWN_ROWS]],
            }
        )
    return sorted(rows, key=lambda r: (r["success"], r["position"]))


def _rules_html(rows: list[dict], contract) -> str:
    failed = sum(1 for r in rows if not r["success"])
    warned = sum(1 for r in rows if not r["success"] and r["severity"] == "warning")
    body = []
    for r in rows:
        if r["success"]:
            verdict_cell = '<span class="swdw-passed">通过</span>'
        else:  # a failed warning rule does not stop the file: not shown as an error
            style = "swdw-warned" if r["severity"] == "warning" else "swdw-failed"
            verdict_cell = f'<span class="{style}">未通过</span>'
        shown = ", ".join(map(str, r["source_rows"]))
        if r["unexpected_count"] > len(r["source_rows"]):
            shown += " …"
        cells = (
            verdict_cell,
            f"{html.escape(r['label_zh'] or '')} <small>{html.escape(r['column'] or '')}</small>",
            f"{html.escape(r['rule_zh'])} <small>{html.escape(r['rule'])}</small>",
            SEVERITY_ZH.get(r["severity"], html.escape(r["severity"])),
            str(r["unexpected_count"]),
            shown,
        )
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "结果 result",
            "列 column",
            "规则（违反情形） rule broken when",
            "严重程度 severity",
            "不符合行数 rows",
            "行号 source rows",
        )
    )
    return (
        f'{RULES_MARKER}\n<section class="swdw-rules" id="swdw-rules">'
        f"<h3>校验规则 rules — {html.escape(contract.label_zh)}：共 {len(rows)} 条，未通过 {failed} 条"
        f"（其中警告 {warned} 条）</h3>"
        f'<table class="table table-sm"><thead><tr>{head}</tr></thead><tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></section>\n"
    )


def _with_rules(page: str, result, contract) -> str:
    """The rules table above GX's report, and GX's column headings with their Chinese labels."""
    labels = {c.name: c.label_zh for c in contract.columns}
    page = GX_COLUMN_HEADER.sub(
        lambda m: f"{m.group(1)}{labels[m.group(2)]} {m.group(2)}{m.group(3)}" if m.group(2) in labels else m.group(0),
        page,
    )
    return _insert_before_report(page, _rules_html(rule_rows(result, contract), contract))


def _insert_before_report(page: str, block: str) -> str:
    match = GX_FIRST_SECTION.search(page)
    if match:
        return page[: match.start()] + block + page[match.start() :]
    return re.sub(r"<body>", lambda m: m.group(0) + block, page, count=1)


# --- the facts block ----------------------------------------------------------------------


def _facts_html(facts: PageFacts, index_page: int, outcome: Verdict) -> str:
    f = facts.labelled()
    status = f"{html.escape(f['status_label'])} {html.escape(facts.status)}"
    if facts.superseded_by:
        status += f"（被 #{facts.superseded_by} 替代）"
    if facts.status_reason:
        status += f"<br><small>{html.escape(facts.status_reason)}</small>"
    rows = (
        (
            "报送部门 department",
            f"{html.escape(f['department_name'] or '未知部门')} ({html.escape(facts.department_code)})",
        ),
        (
            "报送类型 submission type",
            f"{html.escape(f['submission_type_label'])} ({html.escape(facts.submission_type)})",
        ),
        ("报送期 report period", html.escape(facts.report_period or "—")),
        ("接收时间 landed", html.escape(facts.received_at or "—")),
        ("SHA-256", f"<code>{html.escape(facts.sha256 or '—')}</code>"),
        ("最终状态 final status", f'<span class="swdw-status-{html.escape(facts.status)}">{status}</span>'),
        (
            "校验 result",
            f'<span class="swdw-verdict {outcome.css_class}">{html.escape(outcome.label)}</span>',
        ),
        ("反馈报告 feedback report", link(facts.feedback_url, "feedback.xlsx", "feedback")),
        ("原始文件 kept original", link(facts.original_url, facts.file_name or "original", "original")),
        ("报送编号 submission", f"#{facts.submission_id}"),
        (
            "校验契约版本 contract version",
            f"<code>{html.escape(facts.submission_type)}@{html.escape(facts.contract_version)}</code>"
            if facts.contract_version
            else "—",
        ),
    )
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f"<!-- swdw:facts -->\n<style>\n{asset_text(STYLESHEET)}</style>"
        f'<section class="swdw-facts" id="swdw-facts" '
        f'data-index-page="{index_page:04d}" data-submission-id="{facts.submission_id}">'
        f'<h2 class="swdw-run-name">{html.escape(facts.run_name)}</h2>'
        f'<table class="table table-sm">{table}</table></section>\n<!-- /swdw:facts -->\n'
    )


def _with_facts(page: str, facts: PageFacts, index_page: int) -> str:
    """The facts block, and GX's overview and title, for a file in the register's status."""
    outcome = page_verdict(page, facts.status)
    block = _facts_html(facts, index_page, outcome)
    if FACTS.search(page):
        page = FACTS.sub(lambda _: block, page, count=1)
    else:
        at = page.find(RULES_MARKER)
        page = page[:at] + block + page[at:] if at >= 0 else _insert_before_report(page, block)
    page = _with_status(page, outcome)
    run = f'<span class="swdw-run">{html.escape(facts.run_name)}</span>'
    page = GX_DATA_ASSET.sub(lambda _: f"Data asset: {run}", page)
    page = GX_RUN_NAME.sub(lambda m: m.group(1) + run, page)
    return GX_TITLE.sub(lambda _: f"<title>{html.escape(facts.run_name)} · 校验结果</title>", page, count=1)


def publish_facts(site: Path, url: str, facts: PageFacts) -> bool:
    """Rewrite one page's facts block and status, and its index entry (e.g. once the final status is known).

    Costs one page and one index page, whatever the site's size. False when the page is gone.
    """
    site = Path(site)
    path = local_page(site, url)
    if path is None:
        return False
    page = path.read_text(encoding="utf-8")
    relative = path.relative_to(site).as_posix()
    index_page = index_page_of(site, relative, page)
    rewritten = _with_facts(page, facts, index_page or 0)
    if rewritten != page:
        path.write_text(rewritten, encoding="utf-8")
        publish_page(site, path)
    if index_page:
        update_entry(site, index_page, relative, facts.labelled())
    return True
