"""Data Docs at a flat cost: a new validation rewrites only its own page, the last index page and index.html."""

from __future__ import annotations

import json

from ingest.quality import docs_pages


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
    monkeypatch.setattr(docs_pages, "PAGE_SIZE", 3)
    site = tmp_path / "site"
    for n in range(1, 4):
        docs_pages.append_to_index(site, _entry(n))
    first = (site / "index" / "page-0001.html").read_bytes()
    first_mtime = (site / "index" / "page-0001.html").stat().st_mtime_ns
    for n in range(4, 8):
        docs_pages.append_to_index(site, _entry(n))
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
