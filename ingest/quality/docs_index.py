"""The paged index of the validation pages, at a flat cost per file.

GX's own UpdateDataDocsAction lists every stored validation result and re-renders the index on
every checkpoint run, so the thousandth file of a year costs more than the tenth. Here the index
is a series of pages of ``PAGE_SIZE`` entries: a new entry rewrites the last page and the small
``index.html`` (newest entries and the list of pages), never the older pages. The entries
themselves are kept one JSON line per validation in ``index/entries-<page>.jsonl``; a status
change rewrites the one index page that holds the entry (named in the validation page).
The index lists the facts and filters by department, month and status in the browser: each
index page's entries are also a small script (`entries-<page>.js`), which a browser loads from
file:// where it would refuse to fetch JSON; the filter itself is a static file inlined here.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from ingest.quality.data_docs import asset_text, make_offline_page
from ingest.quality.docs_site import index_session, last_page, page_path
from ingest.quality.verdict import verdict_of_entry

PAGE_SIZE = 200
LATEST_ON_INDEX = 50
FILTER_SCRIPT = "index_filter.js"

# a validation page names the index page holding its entry: data-index-page="0003"
INDEX_PAGE = re.compile(r'data-index-page="(\d+)"')

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


def link(url: str | None, text: str, kind: str) -> str:
    """A link to a file of the register (feedback report, kept original), or a dash."""
    if not url:
        return "—"
    return f'<a data-swdw-link="{kind}" href="{html.escape(url)}">{html.escape(text)}</a>'


def _pages(site: Path) -> list[Path]:
    return sorted((site / "index").glob("entries-*.jsonl"))


def next_index_page(site: Path) -> int:
    """The index page the next entry is appended to."""
    pages = _pages(site)
    if not pages:
        return 1
    number = int(pages[-1].stem.split("-")[1])
    with pages[-1].open(encoding="utf-8") as handle:
        full = sum(1 for _ in handle) >= PAGE_SIZE
    return number + 1 if full else number


def index_page_of(site: Path, page: str, page_html: str) -> int | None:
    """The index page holding a validation page's entry: named in the page, or (a page rendered
    before it named one) found once by reading the entries."""
    found = INDEX_PAGE.search(page_html)
    if found:
        return int(found.group(1))
    for entries in reversed(_pages(site)):
        if f'"page": {json.dumps(page, ensure_ascii=False)}' in entries.read_text(encoding="utf-8"):
            return int(entries.stem.split("-")[1])
    return None


def _entry_row(entry: dict, prefix: str) -> str:
    def esc(value) -> str:
        return html.escape(str(value)) if value not in (None, "") else "—"

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
        esc(verdict_of_entry(entry).label),
        link(entry.get("feedback_url"), "feedback", "feedback"),
        link(entry.get("original_url"), "original", "original"),
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


def _filter_script() -> str:
    return f"<script>\n{asset_text(FILTER_SCRIPT)}</script>"


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


def _entries_script(entries: list[dict]) -> str:
    """The entries as a script the filter reads, each with its verdict as the index shows it."""
    shown = [{**e, "verdict_label": verdict_of_entry(e).label} for e in entries]
    return (
        "(window.swdwEntries = window.swdwEntries || []).push.apply(window.swdwEntries, "
        + json.dumps(shown, ensure_ascii=False)
        + ");\n"
    )


def _write_entries_page(site: Path, entries_file: Path) -> list[dict]:
    """page-NNNN.html and entries-NNNN.js from entries-NNNN.jsonl; returns its entries."""
    entries = [json.loads(line) for line in entries_file.read_text(encoding="utf-8").splitlines() if line]
    number = entries_file.stem.split("-")[1]
    (site / "index" / f"entries-{number}.js").write_text(_entries_script(entries), encoding="utf-8")
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
        f"{_table(latest[-LATEST_ON_INDEX:], '', 'swdw-index')}\n{scripts}\n{_filter_script()}",
        site,
    )


def append_to_index(site: Path, entry: dict) -> None:
    """Add one validation to the paged index: rewrites the last page and index.html only."""
    with index_session(site):
        last = site / "index" / f"entries-{next_index_page(site):04d}.jsonl"
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


def update_entry(site: Path, index_page: int, page: str, fields: dict) -> None:
    """Give a validation page's entry new facts; costs the one index page holding it."""
    with index_session(site, lambda numbers: {index_page, index_page + 1} | last_page(numbers)):
        # a parallel run may have filled the page named at render time: the entry is then on the next
        for number in (index_page, index_page + 1):
            if _update_entries(site, number, page, fields):
                break


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
    (site / "index" / "entries-listing.js").write_text(_entries_script(entries), encoding="utf-8")
    _write_html(
        site / "index.html",
        title,
        f"{_filter_form()}\n{_table(entries, '', 'swdw-index')}\n"
        f'<script src="index/entries-listing.js"></script>\n{_filter_script()}',
        site,
    )
    return site / "index.html"
