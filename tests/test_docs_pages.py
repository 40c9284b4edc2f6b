"""Data Docs at a flat cost: a new validation rewrites only its own page, the last index page and index.html.

And the verdict an index shows: a file whose only failed rules are warnings passed.
"""

from __future__ import annotations

import json

from ingest.quality import docs_index
from ingest.quality.verdict import verdict


def _entry(n: int) -> dict:
    return {
        "submission_id": n,
        "department": "相山区委社会工作部 (xiangshan)",
        "submission_type": "org_coverage",
        "success": n % 2 == 0,
        "failed_expectations": n % 2,
        "validated_at": "2024-12-01T09:00:00+08:00",
        "run_name": f"submission-{n}",
        "page": f"validations/org_coverage/submission-{n}/x.html",
    }


def test_the_index_is_paged_and_older_pages_are_never_rewritten(tmp_path, monkeypatch):
    monkeypatch.setattr(docs_index, "PAGE_SIZE", 3)
    site = tmp_path / "site"
    for n in range(1, 4):
        docs_index.append_to_index(site, _entry(n))
    first = (site / "index" / "page-0001.html").read_bytes()
    first_mtime = (site / "index" / "page-0001.html").stat().st_mtime_ns
    for n in range(4, 8):
        docs_index.append_to_index(site, _entry(n))
    assert sorted(p.name for p in (site / "index").glob("page-*.html")) == [
        "page-0001.html",
        "page-0002.html",
        "page-0003.html",
    ]
    assert (site / "index" / "page-0001.html").read_bytes() == first
    assert (site / "index" / "page-0001.html").stat().st_mtime_ns == first_mtime
    entries = [json.loads(line) for p in sorted((site / "index").glob("entries-*.jsonl")) for line in p.open()]
    assert [e["submission_id"] for e in entries] == list(range(1, 8))
    index = (site / "index.html").read_text(encoding="utf-8")
    assert all(f"index/page-000{n}.html" in index for n in (1, 2, 3)) and "#7" in index
    assert "static/offline/offline.css" in index  # rendered offline like every other page


def test_a_verdict_tells_warnings_from_errors_and_follows_the_register():
    clean, warned, warned_more, failed = verdict(0, 0), verdict(0, 1), verdict(0, 3), verdict(1, 2)
    assert clean.passed and warned.passed and warned_more.passed and not failed.passed
    assert len({clean.label, warned.label, warned_more.label, failed.label}) == 4
    assert "1 条警告" in warned.label and "passed with 1 warning" in warned.label
    assert "3 条警告" in warned_more.label and "passed with 3 warnings" in warned_more.label
    assert "3" in failed.label  # the failed rules, errors and warnings
    # a final status decides: a quarantined file failed even where every rule held (it failed on reading)
    assert not verdict(0, 0, "quarantined").passed
    assert verdict(0, 1, "loaded") == warned and verdict(0, 1, "superseded") == warned
    assert verdict(0, 1, "validating") == warned


def test_the_index_shows_each_entrys_verdict_in_its_rows_and_its_script(tmp_path):
    site = tmp_path / "site"
    counts = {1: (0, 0, "loaded"), 2: (0, 2, "loaded"), 3: (1, 1, "quarantined")}
    for n, (errors, warnings, status) in counts.items():
        docs_index.append_to_index(
            site, {**_entry(n), "failed_errors": errors, "failed_warnings": warnings, "status": status}
        )
    index = (site / "index.html").read_text(encoding="utf-8")
    script = (site / "index" / "entries-0001.js").read_text(encoding="utf-8")
    shown = {
        e["submission_id"]: e["verdict_label"]
        for e in json.loads(script.split("swdwEntries, ", 1)[1].rsplit(");", 1)[0])
    }
    for n, (errors, warnings, status) in counts.items():
        label = verdict(errors, warnings, status).label
        assert label in next(row for row in index.split("<tr>") if f"<td>#{n}</td>" in row)
        assert shown[n] == label
