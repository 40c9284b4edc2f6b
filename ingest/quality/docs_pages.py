"""Data Docs at a flat cost per file: one validation page rendered, one paged index appended.

GX's own UpdateDataDocsAction lists every stored validation result and re-renders the index
on every checkpoint run, so the thousandth file of a year costs more than the tenth. Here a
run renders only its own page (GX's renderer and view, the same HTML), and the index is a
series of pages of ``PAGE_SIZE`` entries: a new entry rewrites the last page and the small
``index.html`` (newest entries and the list of pages), never the older pages. The entries
themselves are kept one JSON line per validation in ``index/entries-<page>.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from ingest.quality.data_docs import SITE_ASSETS, make_offline_page

PAGE_SIZE = 200
SITE_NAME = "local_site"


def _site_builder(context):
    """GX's SiteBuilder for the file site, built once per context (it holds the stores and the renderer)."""
    builder = getattr(context, "_swdw_site_builder", None)
    if builder is None:
        config = dict(context.variables.data_docs_sites[SITE_NAME])
        builder = context._init_site_builder_for_data_docs_site_creation(SITE_NAME, config)
        context._swdw_site_builder = builder
    return builder


def render_validation_page(context, identifier, result, site: Path) -> str:
    """Write the validation page of one result; returns its file URL."""
    from great_expectations.data_context.types.resource_identifiers import SiteSectionIdentifier

    builder = _site_builder(context)
    section = builder.site_section_builders["validations"]
    page = section.view_class.render(
        section.renderer_class.render(result),
        data_context_id=section.data_context_id,
        show_how_to_buttons=False,
    )
    section.target_store.set(
        SiteSectionIdentifier(site_section_name="validations", resource_identifier=identifier), page
    )
    if not (site / SITE_ASSETS).exists():  # GX's static files, once per site (then made offline, once)
        builder.target_store.copy_static_assets()
    url = builder.get_resource_url(resource_identifier=identifier, only_if_exists=False)
    path = Path(url.removeprefix("file://"))
    make_offline_page(site, path)
    return url


def _pages(site: Path) -> list[Path]:
    return sorted((site / "index").glob("entries-*.jsonl"))


def _entry_row(entry: dict, prefix: str) -> str:
    link = html.escape(prefix + entry["page"])
    verdict = "通过 passed" if entry["success"] else "未通过 failed"
    cells = (
        f"#{entry['submission_id']}",
        html.escape(entry["department"]),
        html.escape(entry["submission_type"]),
        verdict,
        str(entry["failed_expectations"]),
        html.escape(entry["validated_at"]),
    )
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f'<td><a href="{link}">page</a></td></tr>'


def _table(entries: list[dict], prefix: str) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "报送编号 submission",
            "报送单位 department",
            "类型 type",
            "结果 result",
            "未通过规则 failed rules",
            "校验时间 validated",
            "",
        )
    )
    rows = "\n".join(_entry_row(e, prefix) for e in reversed(entries))
    return f'<table class="table table-sm"><thead><tr>{head}</tr></thead><tbody>\n{rows}\n</tbody></table>'


def _write_html(path: Path, title: str, body: str, site: Path) -> None:
    path.write_text(
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body><div class="container"><h1>{title}</h1>\n{body}\n</div></body></html>\n',
        encoding="utf-8",
    )
    make_offline_page(site, path)


def append_to_index(site: Path, entry: dict) -> None:
    """Add one validation to the paged index: rewrites the last page and index.html only."""
    folder = site / "index"
    folder.mkdir(parents=True, exist_ok=True)
    pages = _pages(site)
    last = pages[-1] if pages else folder / "entries-0001.jsonl"
    if pages and sum(1 for _ in last.open(encoding="utf-8")) >= PAGE_SIZE:
        last = folder / f"entries-{len(pages) + 1:04d}.jsonl"
    with last.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    pages = _pages(site)
    entries = [json.loads(line) for line in last.read_text(encoding="utf-8").splitlines()]
    number = last.stem.split("-")[1]
    _write_html(
        folder / f"page-{number}.html",
        f"校验记录 第{int(number)}页 · Validations page {int(number)}",
        _table(entries, "../"),
        site,
    )
    links = " · ".join(
        f'<a href="index/page-{p.stem.split("-")[1]}.html">第{int(p.stem.split("-")[1])}页</a>' for p in pages
    )
    _write_html(
        site / "index.html",
        "swdw 数据校验文档 · Data Docs",
        f"<p>全部校验记录 all validations: {links}</p><h2>最新 latest</h2>\n{_table(entries[-50:], '')}",
        site,
    )


def index_entry(
    identifier, result, submission_id: int, department, submission_type: str, page_url: str, site: Path
) -> dict:
    page = Path(page_url.removeprefix("file://")).relative_to(site).as_posix()
    return {
        "submission_id": submission_id,
        "department": f"{department.name} ({department.code})",
        "submission_type": submission_type,
        "success": bool(result.success),
        "failed_expectations": sum(1 for r in result.results if not r.success),
        "validated_at": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "run_name": identifier.run_id.run_name,
        "page": page,
    }
