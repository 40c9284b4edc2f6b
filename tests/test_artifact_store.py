"""The shared artifact store on an S3-compatible server (moto's server mode on loopback).

Every file one process writes and another reads goes through ``SWDW_ARTIFACTS_URL``: here
``s3://…``, so nothing of a run may depend on the local $SWDW_HOME. Checked: a whole `swdw run`
keeps its originals, feedback reports, validation pages and their index, chain heads, lineage
events and dbt docs in the bucket, each readable from there; and workers appending to the paged
index at once lose no entry.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
from pathlib import Path

from openpyxl import load_workbook

from ingest.artifact_store import ARTIFACTS_URL_ENV, DATA_DOCS_KEY, DBT_DOCS_KEY, artifact_store, read, readable
from ingest.quality import docs_index
from ingest.quality.docs_site import working_site
from ingest.quality.validation_page import PageFacts
from ingest.warehouse.audit_chain import HEADS_KEY

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import new_home, query, run_cli
from .object_store import BUCKET


def test_the_store_keeps_whole_files_and_names_them_by_uri(s3_env, tmp_path):
    store = artifact_store()
    assert not store.is_local and store.url == f"s3://{BUCKET}/city"
    uri = store.put("archive/340603/1_台账.csv", b"a,b\n1,2\n")
    assert uri == f"s3://{BUCKET}/city/archive/340603/1_台账.csv"
    assert read(uri) == b"a,b\n1,2\n" and readable(uri) and not readable(uri + ".missing")
    local = tmp_path / "report.xlsx"
    local.write_bytes(b"xlsx")
    moved = store.adopt(local, "quarantine/7/report.xlsx")
    assert read(moved) == b"xlsx" and not local.exists()
    assert store.keys("quarantine") == ["quarantine/7/report.xlsx"]
    assert store.keys("nothing-here") == []


def _append_entries(worker: int, count: int, site: str) -> None:
    """One worker process appending ``count`` index entries (as after each validation)."""
    for n in range(count):
        facts = PageFacts(1000 * worker + n, "340603", "org_coverage", status="validating")
        docs_index.append_to_index(Path(site), {**facts.labelled(), "page": f"validations/w{worker}-{n}.html"})


def test_workers_appending_to_the_paged_index_at_once_lose_no_entry(s3_env, warehouse, monkeypatch):
    monkeypatch.setattr(docs_index, "PAGE_SIZE", 10)  # inherited by the forked workers: several pages
    workers, each = 3, 12
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_append_entries, args=(w, each, str(working_site()) + f"-{w}")) for w in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * workers

    store = artifact_store()
    entry_files = [k for k in store.keys(f"{DATA_DOCS_KEY}/index") if k.endswith(".jsonl")]
    entries = [json.loads(line) for key in entry_files for line in store.get_text(key).splitlines() if line]
    pages = sorted(e["page"] for e in entries)
    assert pages == sorted(f"validations/w{w}-{n}.html" for w in range(workers) for n in range(each))
    assert len(entry_files) == workers * each // 10 + 1  # full pages of 10, then the last
    index = store.get_text(f"{DATA_DOCS_KEY}/index.html")
    assert all(f"index/page-{i:04d}.html" in index for i in range(1, len(entry_files) + 1))


def _local_kept_files(home: Path) -> set[Path]:
    return {p for folder in ("archive", "quarantine", "artifacts/lineage") for p in (home / folder).rglob("*")}


def test_a_run_keeps_every_file_in_the_object_store(s3_env, clean_warehouse, tmp_path):
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账.csv"), [ORG_HEADER, *map(org_row, (1, 2))]
    )
    bad = org_row(3)
    bad[1] = bad[1][:-1] + ("0" if bad[1][-1] != "0" else "1")  # a wrong check character
    write_csv(landing_path(landing, "duji", "org_coverage", "2024年12月.csv"), [ORG_HEADER, bad])

    home = Path(os.environ["SWDW_HOME"])
    local_before = _local_kept_files(home)
    result = run_cli("run", env={"SWDW_LANDING_DIR": str(landing)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    rows = query(
        clean_warehouse,
        "select status, sha256, archive_path, feedback_path, data_docs_url from audit.submission order by submission_id",
    )
    assert sorted(r[0] for r in rows) == ["loaded", "quarantined"]
    prefix = f"s3://{BUCKET}/city/"
    for status, sha256, original, feedback, page in rows:
        assert original.startswith(prefix) and hashlib.sha256(read(original)).hexdigest() == sha256
        assert page.startswith(prefix + DATA_DOCS_KEY), page
        facts = read(page).decode()  # the register's facts published on the page, links to the store included
        assert sha256 in facts and f"swdw-status-{status}" in facts and f'href="{original}"' in facts
        if status == "quarantined":
            sheet = load_workbook(io.BytesIO(read(feedback))).active
            assert any("credit_code_check" in str(cell.value) for row in sheet.iter_rows() for cell in row)
    store = artifact_store()
    index_entries = "".join(
        store.get_text(k) for k in store.keys(f"{DATA_DOCS_KEY}/index") if k.endswith(".jsonl")
    ).splitlines()
    assert len(index_entries) == 2
    assert store.exists(HEADS_KEY) and json.loads(store.get_text(HEADS_KEY).splitlines()[-1])["heads"]
    assert any(k.rsplit("/", 1)[-1].startswith("dbt") for k in store.keys("artifacts/lineage"))
    assert store.exists(f"{DBT_DOCS_KEY}/index.html") and store.exists(f"{DBT_DOCS_KEY}/manifest.json")
    assert _local_kept_files(home) == local_before  # nothing of it in the local folder the store replaces

    # a reprocess reads its original from the bucket and keeps its feedback there
    [(quarantined,)] = query(clean_warehouse, "select submission_id from audit.submission where status = 'quarantined'")
    again = run_cli("reprocess", str(quarantined))
    assert again.returncode == 0, again.stdout + again.stderr
    [(reprocess_feedback,)] = query(clean_warehouse, "select feedback_path from audit.reprocess_run")
    assert reprocess_feedback.startswith(prefix) and read(reprocess_feedback)[:2] == b"PK"

    # restore from nothing: a new home and an empty place in the store get the record back
    made = run_cli("backup", "--out", str(tmp_path / "backup"))
    assert made.returncode == 0, made.stdout + made.stderr
    elsewhere = f"s3://{BUCKET}/restored"
    with new_home() as (_, env):
        restored = run_cli("restore", str(tmp_path / "backup"), env={**env, ARTIFACTS_URL_ENV: elsewhere})
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "every chain holds" in restored.stdout
        dsn = run_cli("dsn", env=env).stdout.strip()
        again = query(dsn, "select sha256, archive_path, feedback_path from audit.submission order by submission_id")
        assert [r[0] for r in again] == [r[1] for r in rows]
        for sha256, original, feedback in again:
            assert original.startswith(elsewhere + "/") and hashlib.sha256(read(original)).hexdigest() == sha256
            assert feedback is None or (feedback.startswith(elsewhere + "/") and read(feedback))
