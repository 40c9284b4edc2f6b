"""Validation pages an auditor can read: who sent which file for which month, what became of it, which rule failed.

A quarantined file, a file loaded with a warning and a superseded snapshot go through the real
pipeline (GX checkpoint, page, register, publishing after the final status); the page is checked
in its HTML and rendered once in headless Chromium. The index's filter, the verdicts it and the
pages show (warnings told from errors, in agreement with the register) and the flat cost of a
status change are checked too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import psycopg
import pytest

from ingest.bi.browser import CHROMIUM, CHROMIUM_ARGS
from ingest.intake.contracts import all_contracts, contract_version
from ingest.jobs.pipeline import ingest_landing
from ingest.quality import docs_index, validation_page
from ingest.quality.docs_site import working_site
from ingest.quality.rule_titles import rule_title_zh
from ingest.quality.suites import expectation_specs
from ingest.quality.verdict import verdict
from ingest.warehouse.connection import bootstrap

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import query

JAN_6, JAN_7 = 1736128800.0, 1736215200.0  # 2025-01-06 and 2025-01-07, 10:00 in the city
QUARANTINED, WARNED = "杜集区2024年12月两个覆盖台账.csv", "烈山12月.csv"


def _wrong_check(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


@pytest.fixture(scope="module")
def pages(warehouse, tmp_path_factory) -> dict:
    """An emptied warehouse; a quarantined file from duji, a file with a warning from lieshan and two
    December snapshots from xiangshan."""

    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("drop schema if exists raw, audit, staging, intermediate, marts cascade")
    bootstrap()
    shutil.rmtree(Path(os.environ["SWDW_HOME"]) / "artifacts" / "audit_chain", ignore_errors=True)
    # submission ids restart with the emptied register: pages of earlier tests would carry the same ones
    shutil.rmtree(working_site(), ignore_errors=True)
    landing = tmp_path_factory.mktemp("landing")
    bad = org_row(2, district="杜集")
    bad[1] = _wrong_check(bad[1])
    write_csv(
        landing_path(landing, "duji", "org_coverage", QUARANTINED),
        [ORG_HEADER, org_row(1, district="杜集"), bad],
        mtime=JAN_6,
    )
    write_csv(landing_path(landing, "xiangshan", "org_coverage", "相山12月.csv"), [ORG_HEADER, org_row(3)], mtime=JAN_6)
    # three party members and no party organisation: rule should_form_party_org, a warning
    write_csv(
        landing_path(landing, "lieshan", "org_coverage", WARNED),
        [ORG_HEADER, org_row(5, district="烈山"), org_row(6, district="烈山", form="未组建")],
        mtime=JAN_6,
    )
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "相山12月（更正）.csv"),
        [ORG_HEADER, org_row(3), org_row(4)],
        mtime=JAN_7,
    )
    previous = os.environ.get("SWDW_LANDING_DIR")
    os.environ["SWDW_LANDING_DIR"] = str(landing)
    try:
        outcomes = {o.file_name: o for o in ingest_landing(progress=None)}
    finally:
        if previous is None:
            os.environ.pop("SWDW_LANDING_DIR")
        else:
            os.environ["SWDW_LANDING_DIR"] = previous
    assert {n: o.status for n, o in outcomes.items()} == {
        QUARANTINED: "quarantined",
        WARNED: "loaded",
        "相山12月.csv": "loaded",
        "相山12月（更正）.csv": "loaded",
    }, outcomes
    return outcomes


def _html(outcome) -> str:
    return Path(outcome.data_docs_url.removeprefix("file://")).read_text(encoding="utf-8")


def test_a_quarantined_files_page_names_department_file_period_and_failing_rule(pages):
    outcome = pages[QUARANTINED]
    html = _html(outcome)
    assert "duji/杜集区2024年12月两个覆盖台账.csv" in html  # the run, named as an auditor calls it
    assert "杜集区委社会工作部" in html and "非公企业和社会组织“两个覆盖”台账" in html
    assert "报送期 report period</th><td>2024-12" in html
    assert "已隔离（退回） quarantined" in html
    # the contract that judged it, as the migrations record it (contract:<type>@<hash of the file>)
    assert f"<code>org_coverage@{contract_version('org_coverage')}</code>" in html
    assert outcome.feedback_path and Path(outcome.feedback_path).as_uri() in html
    assert "Data asset: None" not in html
    # the failing rule in Chinese, with the column's Chinese label (from the contract) and its severity
    rules = html.split("<!-- swdw:rules -->", 1)[1].split("</section>", 1)[0]
    first = rules.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert (
        "未通过" in first and "统一社会信用代码校验位错误" in first and "统一社会信用代码" in first and "错误" in first
    )
    assert ">3<" in first or "3</td>" in first  # the source row
    # GX's own column headings carry the Chinese label too
    assert "统一社会信用代码 credit_code" in html


def test_a_superseded_snapshots_page_says_so_and_the_index_follows(pages):
    older, newer = pages["相山12月.csv"], pages["相山12月（更正）.csv"]
    assert f"（被 #{newer.submission_id} 替代）" in _html(older) and "已被替代 superseded" in _html(older)
    assert "已入库 loaded" in _html(newer)
    site = working_site()
    entries = [json.loads(line) for p in sorted((site / "index").glob("entries-*.jsonl")) for line in p.open()]
    latest = {e["page"]: e for e in entries}
    by_id = {e["submission_id"]: e for e in latest.values() if e["page"] in {_page(site, o) for o in pages.values()}}
    assert by_id[older.submission_id]["status"] == "superseded"
    assert by_id[older.submission_id]["run_name"] == "xiangshan/相山12月.csv"
    quarantined = by_id[pages[QUARANTINED].submission_id]
    assert quarantined["month"] == "2024-12" and quarantined["department_name"] == "杜集区委社会工作部"
    assert len(quarantined["sha256"]) == 64 and quarantined["received_at"].startswith("2025-01-06 10:00")


def _register_verdict(dsn: str, submission_id: int):
    """The verdict the register implies: the file's status and its failed rules as stored, by severity."""
    [(status,)] = query(dsn, "select status from audit.submission where submission_id = %s", (submission_id,))
    failed = dict(
        query(
            dsn,
            "select severity, count(*) from audit.validation_result where submission_id = %s and not success "
            "group by severity",
            (submission_id,),
        )
    )
    return verdict(failed.get("error", 0), failed.get("warning", 0), status)


def _index_row(html: str, submission_id: int) -> str:
    return next(row for row in html.split("<tr>") if f"<td>#{submission_id}</td>" in row)


@pytest.mark.parametrize("name", [QUARANTINED, WARNED, "相山12月（更正）.csv"], ids=["errors", "warning", "clean"])
def test_the_page_and_the_index_tell_warnings_from_errors_as_the_register_does(pages, warehouse, name):
    outcome = pages[name]
    expected = _register_verdict(warehouse, outcome.submission_id)
    # each kind of file, whatever the wording: errors fail it, a warning does not, a clean file is clean
    kinds = {QUARANTINED: (False, 0), WARNED: (True, 1), "相山12月（更正）.csv": (True, 0)}
    assert (expected.passed, expected.failed_warnings) == kinds[name]
    html = _html(outcome)
    facts = html.split('id="swdw-facts"', 1)[1].split("</section>", 1)[0]
    gx_status = validation_page.GX_STATUS.search(html).group(0)  # GX's overview "Status:"
    assert expected.label in facts and expected.label in gx_status
    assert ("Failed" in gx_status) is False and ("✓" in gx_status) is expected.passed
    site = working_site()
    index = (site / "index.html").read_text(encoding="utf-8")
    assert expected.label in _index_row(index, outcome.submission_id)
    page = (site / "index" / "page-0001.html").read_text(encoding="utf-8")
    assert expected.label in _index_row(page, outcome.submission_id)
    script = (site / "index" / "entries-0001.js").read_text(encoding="utf-8")
    shown = json.loads(script.split("swdwEntries, ", 1)[1].rsplit(");", 1)[0])
    assert [e["verdict_label"] for e in shown if e["submission_id"] == outcome.submission_id] == [expected.label]


def _page(site: Path, outcome) -> str:
    return Path(outcome.data_docs_url.removeprefix("file://")).relative_to(site).as_posix()


@pytest.mark.browser
def test_the_page_and_the_index_filter_render_in_headless_chromium(pages, warehouse):
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    outcome = pages[QUARANTINED]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(outcome.data_docs_url)
            facts = page.inner_text("#swdw-facts")
            assert "duji/杜集区2024年12月两个覆盖台账.csv" in facts and "杜集区委社会工作部" in facts
            assert "2024-12" in facts and "已隔离（退回）" in facts
            assert "统一社会信用代码校验位错误" in page.inner_text("#swdw-rules")
            assert all(url.startswith("file://") for url in requests), requests  # offline
            page.goto((working_site() / "index.html").as_uri())
            total = page.locator("#swdw-index tbody tr").count()
            page.select_option("#f-status", "quarantined")
            shown = page.locator("#swdw-index tbody tr")
            assert 1 <= shown.count() < total
            assert all("quarantined" in text for text in shown.all_inner_texts())
            page.select_option("#f-department", "duji")
            assert "duji/杜集区2024年12月两个覆盖台账.csv" in page.inner_text("#swdw-index tbody")
            # the filter's rows (drawn by the script) read a file loaded with a warning as the register does
            page.select_option("#f-status", "")
            page.select_option("#f-department", "lieshan")
            warned = pages[WARNED]
            [row] = page.locator("#swdw-index tbody tr").all_inner_texts()
            assert f"lieshan/{WARNED}" in row
            assert _register_verdict(warehouse, warned.submission_id).label in row
            page.goto(warned.data_docs_url)
            assert _register_verdict(warehouse, warned.submission_id).label in page.inner_text("#swdw-facts")
        finally:
            browser.close()


def _fake_page(site: Path, n: int) -> str:
    page = site / "validations" / f"p{n}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    facts = validation_page.PageFacts(n, "xiangshan", "org_coverage")
    index_page = docs_index.next_index_page(site)
    page.write_text(validation_page._with_facts("<html><body>GX</body></html>", facts, index_page), encoding="utf-8")
    return page.relative_to(site).as_posix()


def test_a_status_change_rewrites_one_page_and_one_index_page(tmp_path, monkeypatch):
    monkeypatch.setattr(docs_index, "PAGE_SIZE", 3)
    site = tmp_path / "site"
    for n in range(1, 8):
        relative = _fake_page(site, n)
        docs_index.append_to_index(site, {"submission_id": n, "page": relative, "success": True})
    index = site / "index"
    before = {p.name: p.stat().st_mtime_ns for p in [*index.iterdir(), *(site / "validations").iterdir()]}
    facts = validation_page.PageFacts(
        5, "xiangshan", "org_coverage", "f5.csv", "2024-12", "2024-12", status="superseded"
    )
    assert validation_page.publish_facts(site, "validations/p5.html", facts)
    after = {p.name: p.stat().st_mtime_ns for p in [*index.iterdir(), *(site / "validations").iterdir()]}
    changed = sorted(name for name in before if after[name] != before[name])
    assert changed == ["entries-0002.js", "entries-0002.jsonl", "p5.html", "page-0002.html"]
    entries = [json.loads(line) for line in (index / "entries-0002.jsonl").open()]
    [entry] = [e for e in entries if e["page"] == "validations/p5.html"]
    assert entry["status"] == "superseded" and entry["run_name"] == "xiangshan/f5.csv"
    assert "xiangshan/f5.csv" in (site / "validations" / "p5.html").read_text(encoding="utf-8")


def test_every_rule_of_every_suite_has_a_chinese_name_and_label():
    for contract in all_contracts().values():
        for spec in expectation_specs(contract):
            meta = spec["meta"]
            assert re.search(r"[\u4e00-\u9fff]{2}", rule_title_zh(contract, meta["rule"])), meta
            assert meta["label_zh"] == contract.column(meta["column"]).label_zh
