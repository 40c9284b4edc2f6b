"""Data Docs at a flat cost per file, and readable by an auditor without a developer beside them.

GX's own UpdateDataDocsAction lists every stored validation result and re-renders the index
on every checkpoint run, so the thousandth file of a year costs more than the tenth. Here a
run renders only its own page (GX's renderer and view, the same HTML), and the index is a
series of pages of ``PAGE_SIZE`` entries: a new entry rewrites the last page and the small
``index.html`` (newest entries and the list of pages), never the older pages. The entries
themselves are kept one JSON line per validation in ``index/entries-<page>.jsonl``.

GX names a run `submission-86`, its data asset `None` and columns by their code names, and
leaves the Chinese rule names in `meta`, which it does not render. So every page also gets,
above GX's report:
- a facts block (`PageFacts`, from the register): the run named `<department>/<file name>`,
  the department's Chinese name, submission type, report period, landing time, sha256, final
  status and links to the feedback report and the kept original;
- a rules table: every expectation with its column's Chinese label (from the contract), its
  rule's Chinese name and its severity, failed rules first with their source rows.
The final status is known only after the file's transaction commits, and a snapshot may be
superseded later: `publish_facts` rewrites that page's facts block and its entry in the one
index page that holds it (named in the block) — a bounded cost, never the whole site.
The index lists the facts and filters by department, month and status in the browser: each
index page's entries are also a small script (`entries-<page>.js`), which a browser loads
from file:// where it would refuse to fetch JSON.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import html
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.quality.data_docs import SITE_ASSETS, make_offline_page

PAGE_SIZE = 200
SITE_NAME = "local_site"
LATEST_ON_INDEX = 50

FACTS = re.compile(r"<!-- swdw:facts -->.*?<!-- /swdw:facts -->\n?", re.S)
RULES_MARKER = "<!-- swdw:rules -->"
INDEX_PAGE = re.compile(r'data-index-page="(\d+)"')
GX_FIRST_SECTION = re.compile(r'<div id="section-1"')
GX_COLUMN_HEADER = re.compile(r'(<h5 class="m-0" >\s*)([a-z_]+)(\s*</h5>)')
GX_DATA_ASSET = re.compile(r"Data asset: (?:None|<span class=\"swdw-run\">.*?</span>)")
GX_RUN_NAME = re.compile(
    r'(Run Name</div></td><td[^>]*><div class="show-scrollbars">)(?:submission-\d+|<span class="swdw-run">.*?</span>)'
)
GX_TITLE = re.compile(
    r"<title>Data documentation compiled by Great Expectations</title>|<title>[^<]*· 校验结果</title>"
)
SEVERITY_ZH = {"error": "错误 error", "warning": "警告 warning"}
SHOWN_ROWS = 20  # source rows listed per failed rule on the page (all are in audit.validation_result)

STYLE = """<style>
.swdw-facts, .swdw-rules { margin: 1rem 0; }
.swdw-facts th { white-space: nowrap; width: 14em; }
.swdw-facts code { word-break: break-all; }
.swdw-status-quarantined, .swdw-failed { color: #b00020; font-weight: bold; }
.swdw-status-loaded, .swdw-passed { color: #1b5e20; }
.swdw-status-superseded { color: #6d4c00; }
</style>"""


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

    @property
    def run_name(self) -> str:
        """What an auditor calls the run: `<department>/<file name>`."""
        return f"{self.department_code}/{self.file_name or f'submission-{self.submission_id}'}"

    def labelled(self) -> dict:
        """The facts with their Chinese labels, as index entries hold them."""
        from ingest.intake.reference import departments, register_labels

        department = departments().get(self.department_code)
        return {
            **asdict(self),
            "run_name": self.run_name,
            "department_name": department.name if department else None,
            "submission_type_label": register_labels().get(("submission_type", self.submission_type), "未知报送类型"),
            "status_label": register_labels().get(("status", self.status), self.status),
        }


# --- one validation page ------------------------------------------------------------------


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
    if contract is not None:
        page = _with_rules(page, result, contract)
    if facts is not None:
        page = _with_facts(page, facts, _next_index_page(site))
    section.target_store.set(
        SiteSectionIdentifier(site_section_name="validations", resource_identifier=identifier), page
    )
    if not (site / SITE_ASSETS).exists():  # GX's static files, once per site (then made offline, once)
        builder.target_store.copy_static_assets()
    url = builder.get_resource_url(resource_identifier=identifier, only_if_exists=False)
    path = Path(url.removeprefix("file://"))
    make_offline_page(site, path)
    return url


def rule_rows(result, contract) -> list[dict]:
    """Every expectation of a result as an auditor reads it; failed ones first, suite order kept."""
    from ingest.quality.validation import rule_title_zh

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
                "rule_zh": rule_title_zh(contract, rule) if _known_rule(contract, rule) else rule,
                "severity": meta.get("severity", "error"),
                "unexpected_count": item.result.get("unexpected_count") or 0,
                "source_rows": [int(u["source_row"]) for u in unexpected[:SHOWN_ROWS]],
            }
        )
    return sorted(rows, key=lambda r: (r["success"], r["position"]))


def _known_rule(contract, rule: str) -> bool:
    from ingest.quality.validation import RULE_TITLE_ZH

    return rule in RULE_TITLE_ZH or any(r.name == rule for r in contract.rules)


def _rules_html(rows: list[dict], contract) -> str:
    failed = sum(1 for r in rows if not r["success"])
    body = []
    for r in rows:
        verdict = '<span class="swdw-passed">通过</span>' if r["success"] else '<span class="swdw-failed">未通过</span>'
        shown = ", ".join(map(str, r["source_rows"]))
        if r["unexpected_count"] > len(r["source_rows"]):
            shown += " …"
        cells = (
            verdict,
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
        f"<h3>校验规则 rules — {html.escape(contract.label_zh)}：共 {len(rows)} 条，未通过 {failed} 条</h3>"
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


def _link(url: str | None, text: str, kind: str) -> str:
    if not url:
        return "—"
    return f'<a data-swdw-link="{kind}" href="{html.escape(url)}">{html.escape(text)}</a>'


def _facts_html(facts: PageFacts, index_page: int) -> str:
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
        ("反馈报告 feedback report", _link(facts.feedback_url, "feedback.xlsx", "feedback")),
        ("原始文件 kept original", _link(facts.original_url, facts.file_name or "original", "original")),
        ("报送编号 submission", f"#{facts.submission_id}"),
    )
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<!-- swdw:facts -->\n{STYLE}<section class="swdw-facts" id="swdw-facts" '
        f'data-index-page="{index_page:04d}" data-submission-id="{facts.submission_id}">'
        f'<h2 class="swdw-run-name">{html.escape(facts.run_name)}</h2>'
        f'<table class="table table-sm">{table}</table></section>\n<!-- /swdw:facts -->\n'
    )


def _with_facts(page: str, facts: PageFacts, index_page: int) -> str:
    block = _facts_html(facts, index_page)
    if FACTS.search(page):
        page = FACTS.sub(lambda _: block, page, count=1)
    else:
        at = page.find(RULES_MARKER)
        page = page[:at] + block + page[at:] if at >= 0 else _insert_before_report(page, block)
    run = f'<span class="swdw-run">{html.escape(facts.run_name)}</span>'
    page = GX_DATA_ASSET.sub(lambda _: f"Data asset: {run}", page)
    page = GX_RUN_NAME.sub(lambda m: m.group(1) + run, page)
    return GX_TITLE.sub(lambda _: f"<title>{html.escape(facts.run_name)} · 校验结果</title>", page, count=1)


def page_path(site: Path, url: str) -> Path:
    return Path(url.removeprefix("file://")) if url.startswith("file://") else Path(site) / url


def publish_facts(site: Path, url: str, facts: PageFacts) -> bool:
    """Rewrite one page's facts block and its index entry (e.g. once the final status is known).

    Costs one page and one index page, whatever the site's size. False when the page is gone.
    """
    site, path = Path(site), page_path(site, url)
    if not path.exists():
        return False
    page = path.read_text(encoding="utf-8")
    found = INDEX_PAGE.search(page)
    index_page = int(found.group(1)) if found else None
    if index_page is None:  # a page rendered before facts existed: find its entry once
        index_page = _index_page_holding(site, path.relative_to(site).as_posix())
    rewritten = _with_facts(page, facts, index_page or 0)
    if rewritten != page:
        path.write_text(rewritten, encoding="utf-8")
    if index_page:
        with _index_lock(site):
            # a parallel run may have filled the page named at render time: the entry is then on the next
            for number in (index_page, index_page + 1):
                if _update_entries(site, number, path.relative_to(site).as_posix(), facts.labelled()):
                    break
    return True


# --- the paged index ----------------------------------------------------------------------


def _pages(site: Path) -> list[Path]:
    return sorted((site / "index").glob("entries-*.jsonl"))


def _next_index_page(site: Path) -> int:
    """The index page the next entry is appended to."""
    pages = _pages(site)
    if not pages:
        return 1
    number = int(pages[-1].stem.split("-")[1])
    with pages[-1].open(encoding="utf-8") as handle:
        full = sum(1 for _ in handle) >= PAGE_SIZE
    return number + 1 if full else number


def _index_page_holding(site: Path, page: str) -> int | None:
    for entries in reversed(_pages(site)):
        if f'"page": {json.dumps(page, ensure_ascii=False)}' in entries.read_text(encoding="utf-8"):
            return int(entries.stem.split("-")[1])
    return None


INDEX_COLUMNS = (
    "报送编号 submission",
    "文件 file (department/file)",
    "报送部门 department",
    "类型 type",
    "报送期 period",
    "接收时间 landed",
    "SHA-256",
    "最终状态 status",
    "校验 result",
    "反馈报告 feedback",
    "原始文件 original",
)


def _entry_row(entry: dict, prefix: str) -> str:
    def esc(value) -> str:
        return html.escape(str(value)) if value not in (None, "") else "—"

    verdict = "通过 passed" if entry.get("success") else f"未通过 failed ({entry.get('failed_expectations', 0)})"
    if entry.get("department_code"):
        department = f"{entry.get('department_name') or '未知部门'} ({entry['department_code']})"
    else:  # an entry written before the facts existed
        department = entry.get("department")
    sha = entry.get("sha256") or ""
    cells = (
        f"#{esc(entry.get('submission_id'))}",
        f'<a href="{html.escape(prefix + entry["page"])}">{esc(entry.get("run_name"))}</a>',
        esc(department),
        esc(entry.get("submission_type_label") or entry.get("submission_type")),
        esc(entry.get("report_period")),
        esc(entry.get("received_at")),
        f'<code title="{html.escape(sha)}">{esc(sha[:12])}</code>',
        f"{esc(entry.get('status_label'))} {esc(entry.get('status'))}",
        verdict,
        _link(entry.get("feedback_url"), "feedback", "feedback"),
        _link(entry.get("original_url"), "original", "original"),
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _table(entries: list[dict], prefix: str, table_id: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in INDEX_COLUMNS)
    rows = "\n".join(_entry_row(e, prefix) for e in reversed(entries))
    ident = f' id="{table_id}"' if table_id else ""
    return f'<table class="table table-sm"{ident}><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>'


def _write_html(path: Path, title: str, body: str, site: Path) -> None:
    path.write_text(
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><div class="container-fluid"><h1>{title}</h1>\n{body}\n</div></body></html>\n',
        encoding="utf-8",
    )
    make_offline_page(site, path)


# the index's filter: every entry from the entries-*.js scripts, filtered in the browser (offline)
FILTER_SCRIPT = """<script>
(function () {
  var entries = window.swdwEntries || [];
  if (!entries.length) { return; }
  var body = document.querySelector("#swdw-index tbody");
  var pickers = {department_code: "f-department", month: "f-month", status: "f-status"};
  function text(value) { return value === null || value === undefined || value === "" ? "—" : String(value); }
  function cell(row, content) { var td = document.createElement("td"); td.appendChild(content); row.appendChild(td); }
  function plain(value) { return document.createTextNode(text(value)); }
  function link(href, label) {
    if (!href) { return plain(null); }
    var a = document.createElement("a"); a.href = href; a.textContent = label; return a;
  }
  function options(key, label) {
    var select = document.getElementById(pickers[key]), seen = {};
    entries.forEach(function (e) { if (e[key]) { seen[e[key]] = label(e); } });
    Object.keys(seen).sort().forEach(function (value) {
      var option = document.createElement("option"); option.value = value; option.textContent = seen[value];
      select.appendChild(option);
    });
    select.addEventListener("change", render);
  }
  function render() {
    var wanted = {};
    Object.keys(pickers).forEach(function (key) { wanted[key] = document.getElementById(pickers[key]).value; });
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var shown = 0;
    entries.slice().reverse().forEach(function (e) {
      for (var key in wanted) { if (wanted[key] && e[key] !== wanted[key]) { return; } }
      var row = document.createElement("tr"), sha = e.sha256 || "";
      cell(row, plain("#" + e.submission_id));
      cell(row, link(e.page, text(e.run_name)));
      cell(row, plain((e.department_name || "未知部门") + " (" + e.department_code + ")"));
      cell(row, plain(e.submission_type_label || e.submission_type));
      cell(row, plain(e.report_period));
      cell(row, plain(e.received_at));
      var code = document.createElement("code"); code.title = sha; code.textContent = sha.slice(0, 12) || "—";
      cell(row, code);
      cell(row, plain(text(e.status_label) + " " + text(e.status)));
      cell(row, plain(e.success ? "通过 passed" : "未通过 failed (" + e.failed_expectations + ")"));
      cell(row, link(e.feedback_url, "feedback"));
      cell(row, link(e.original_url, "original"));
      body.appendChild(row); shown += 1;
    });
    document.getElementById("f-count").textContent = shown + " / " + entries.length;
  }
  options("department_code", function (e) { return (e.department_name || "未知部门") + " " + e.department_code; });
  options("month", function (e) { return e.month; });
  options("status", function (e) { return (e.status_label || "") + " " + e.status; });
  render();
})();
</script>"""


def _filter_form() -> str:
    def picker(ident: str, label: str) -> str:
        return f'<label>{label} <select id="{ident}"><option value="">全部 all</option></select></label> '

    return (
        '<form class="swdw-filter" onsubmit="return false">'
        + picker("f-department", "报送部门 department")
        + picker("f-month", "报送月份 month")
        + picker("f-status", "最终状态 status")
        + ' <span id="f-count"></span></form>'
    )


def _write_entries_page(site: Path, entries_file: Path) -> list[dict]:
    """page-NNNN.html and entries-NNNN.js from entries-NNNN.jsonl; returns its entries."""
    entries = [json.loads(line) for line in entries_file.read_text(encoding="utf-8").splitlines() if line]
    number = entries_file.stem.split("-")[1]
    (site / "index" / f"entries-{number}.js").write_text(
        "(window.swdwEntries = window.swdwEntries || []).push.apply(window.swdwEntries, "
        + json.dumps(entries, ensure_ascii=False)
        + ");\n",
        encoding="utf-8",
    )
    _write_html(
        site / "index" / f"page-{number}.html",
        f"校验记录 第{int(number)}页 · Validations page {int(number)}",
        _table(entries, "../"),
        site,
    )
    return entries


def _write_index(site: Path, latest: list[dict]) -> None:
    """index.html: the list of pages, the filter over every entry, the latest entries without scripts."""
    pages = _pages(site)
    numbers = [p.stem.split("-")[1] for p in pages]
    links = " · ".join(f'<a href="index/page-{n}.html">第{int(n)}页</a>' for n in numbers)
    scripts = "\n".join(f'<script src="index/entries-{n}.js"></script>' for n in numbers)
    _write_html(
        site / "index.html",
        "swdw 数据校验文档 · Data Docs",
        f"<p>全部校验记录 all validations: {links}</p>{_filter_form()}\n"
        f"<h2>校验记录 validations（无脚本时显示最新 {LATEST_ON_INDEX} 条 latest without scripts）</h2>\n"
        f"{_table(latest[-LATEST_ON_INDEX:], '', 'swdw-index')}\n{scripts}\n{FILTER_SCRIPT}",
        site,
    )


@contextlib.contextmanager
def _index_lock(site: Path):
    """One writer of the index at a time: files validate in parallel (mapped tasks), and a status
    update rewrites an entries file that another process may be appending to."""
    folder = Path(site) / "index"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def append_to_index(site: Path, entry: dict) -> None:
    """Add one validation to the paged index: rewrites the last page and index.html only."""
    with _index_lock(site):
        last = site / "index" / f"entries-{_next_index_page(site):04d}.jsonl"
        with last.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        _write_index(site, _write_entries_page(site, last))


def _update_entries(site: Path, index_page: int, page: str, fields: dict) -> bool:
    """Give the entries of one validation page new facts: rewrites that index page (and index.html).

    False when the index page holds no entry of the validation page."""
    entries_file = site / "index" / f"entries-{index_page:04d}.jsonl"
    if not entries_file.exists():
        return False
    lines = entries_file.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line]
    found = changed = False
    for entry in entries:
        if entry.get("page") == page:
            updated = {**entry, **fields}
            found, changed = True, changed or updated != entry
            entry.update(updated)
    if not changed:
        return found
    entries_file.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    _write_entries_page(site, entries_file)
    pages = _pages(site)
    if pages and pages[-1] == entries_file:  # index.html shows the last page's entries
        _write_index(site, entries)
    return True


def entry_of(site: Path, url: str) -> dict | None:
    """The index entry of a validation page (from the one index page its facts block names)."""
    site, path = Path(site), page_path(site, url)
    if not path.exists():
        return None
    found = INDEX_PAGE.search(path.read_text(encoding="utf-8"))
    entries_file = site / "index" / f"entries-{int(found.group(1)):04d}.jsonl" if found else None
    if entries_file is None or not entries_file.exists():
        return None
    page = path.relative_to(site).as_posix()
    entries = [json.loads(line) for line in entries_file.read_text(encoding="utf-8").splitlines() if line]
    return next((e for e in reversed(entries) if e.get("page") == page), None)


def write_listing(site: Path, title: str, entries: list[dict]) -> Path:
    """A standalone index.html of some entries (e.g. one month's in an audit pack), with the filter."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "index").mkdir(exist_ok=True)
    (site / "index" / "entries-listing.js").write_text(
        "(window.swdwEntries = window.swdwEntries || []).push.apply(window.swdwEntries, "
        + json.dumps(entries, ensure_ascii=False)
        + ");\n",
        encoding="utf-8",
    )
    _write_html(
        site / "index.html",
        title,
        f"{_filter_form()}\n{_table(entries, '', 'swdw-index')}\n"
        f'<script src="index/entries-listing.js"></script>\n{FILTER_SCRIPT}',
        site,
    )
    return site / "index.html"


def index_entry(
    identifier, result, submission_id: int, department, submission_type: str, page_url: str, site: Path
) -> dict:
    page = Path(page_url.removeprefix("file://")).relative_to(site).as_posix()
    facts = PageFacts(submission_id, department.code, submission_type)
    return {
        **facts.labelled(),
        "success": bool(result.success),
        "failed_expectations": sum(1 for r in result.results if not r.success),
        "validated_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "validation_run": identifier.run_id.run_name,
        "page": page,
    }
