"""`swdw audit pack --month 2024-12` on the sample: the pack holds what its README promises."""

from __future__ import annotations

import csv
import hashlib
import json
import re

from .helpers import query, run_cli

MONTH = "2024-12"


def _csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_pack_holds_register_pages_feedback_provenance_and_chain_heads(sample_run, warehouse, tmp_path):
    out = tmp_path / "pack"
    result = run_cli("audit", "pack", "--month", MONTH, "--out", str(out), "--zip")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "pack.zip").exists()

    # the register extract: every file reporting for the month, and nothing else
    month_ids = {
        sid
        for (sid,) in query(
            warehouse,
            "select submission_id from audit.submission "
            "where to_char(audit.submission_period_month(report_period, period_start, period_end, received_at, "
            "'Asia/Shanghai'), 'YYYY-MM') = %s",
            (MONTH,),
        )
    }
    register = _csv(out / "register.csv")
    assert {int(r["submission_id"]) for r in register} == month_ids and month_ids
    registered = dict(query(warehouse, "select submission_id, sha256 from audit.submission"))
    assert all(registered[int(r["submission_id"])] == r["sha256"] for r in register)
    quarantined = [r for r in register if r["status"] == "quarantined"]
    assert quarantined and all(r["status_reason"] and r["status_label"] == "已隔离（退回）" for r in quarantined)

    # every validation page of the month, showing its file and final status; every feedback report
    with_pages = [r for r in register if r["data_docs_url"]]
    for row in with_pages:
        copied = out / "data_docs" / row["data_docs_url"].split("/artifacts/data_docs/", 1)[1]
        html = copied.read_text(encoding="utf-8")
        assert f"{row['department_code']}/{row['file_name']}" in html and row["sha256"] in html
        assert row["status_label"] in html
        if row["status"] == "quarantined":  # the feedback link leads to the copy in the pack
            [href] = re.findall(r'<a data-swdw-link="feedback" href="([^"]*)"', html)
            assert (copied.parent / href).resolve() == (out / "feedback" / row["submission_id"] / "feedback.xlsx")
    index = (out / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr>") - 1 == len(with_pages) and "static/offline/offline.css" in index
    assert (out / "data_docs" / "static" / "offline" / "offline.js").exists()
    for row in quarantined:
        assert (out / "feedback" / row["submission_id"] / "feedback.xlsx").exists()
        assert (out / "feedback" / row["submission_id"] / "feedback.csv").exists()

    # the files behind every figure of the month, as mart_provenance has them
    provenance = _csv(out / "provenance.csv")
    [(rows,)] = query(
        warehouse, "select count(*) from marts.mart_provenance where to_char(period_month, 'YYYY-MM') = %s", (MONTH,)
    )
    assert len(provenance) == rows > 0
    assert {r["mart_name"] for r in provenance} >= {"mart_coverage", "mart_petition_conversion"}

    # findings, chain heads, the README in Chinese naming every file, checksums over everything
    findings = _csv(out / "findings.csv")
    assert {int(f["submission_id"]) for f in findings} <= month_ids
    assert any(f["message_zh"] for f in findings)
    heads = json.loads((out / "audit_chain" / "current_heads.json").read_text(encoding="utf-8"))["heads"]
    assert "audit.submission" in heads and (out / "audit_chain" / "heads.jsonl").exists()
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert re.search(r"[\u4e00-\u9fff]{10}", readme)
    for name in ("register.csv", "provenance.csv", "findings.csv", "data_docs/index.html", "feedback/", "heads.jsonl"):
        assert name in readme, name
    sums = dict(line.split("  ", 1)[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(sums) == files
    assert all(hashlib.sha256((out / name).read_bytes()).hexdigest() == digest for name, digest in sums.items())
    # no kept original is copied: suggestion files hold personal data in clear
    assert not set(sums.values()) & set(registered.values())
    assert not {name.rsplit("/", 1)[-1] for name in sums} & {r["file_name"] for r in register}


def test_a_malformed_month_is_a_clear_error(sample_run):
    for month in ("2024-13", "2024/12", "12-2024", ""):
        result = run_cli("audit", "pack", "--month", month)
        assert result.returncode == 2, (month, result.stdout, result.stderr)
        assert "YYYY-MM" in result.stderr and "Traceback" not in result.stderr
