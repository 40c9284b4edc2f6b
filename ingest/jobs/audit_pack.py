"""`swdw audit pack --month YYYY-MM`: one folder an auditor can take away for a reporting month.

It holds the month's register extract, the files behind every mart figure of the month
(marts.mart_provenance), every finding, every validation page (republished from the register
first, so each shows its final status) with a filterable index, every feedback report, the
audit chains' heads, a README in Chinese saying what each file is, and SHA256SUMS over all of
them. The month is the month a file reports for (the register's period month, as the marts
and the Data Docs index use). Kept originals are not copied: suggestion files hold personal
data in clear, readable by the service account alone; register.csv gives their path and sha256.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.artifact_store import artifact_store, read, readable
from ingest.config import calendar_settings, settings
from ingest.intake.reference import departments, register_labels
from ingest.jobs.validation_pages import page_facts, publish_pages
from ingest.quality.docs_index import entry_of, write_listing
from ingest.quality.docs_site import index_session, local_page, working_site
from ingest.warehouse import provenance
from ingest.warehouse.audit_chain import HEADS_KEY, current_heads
from ingest.warehouse.connection import connect, set_time_zone
from ingest.warehouse.provenance import month_provenance
from ingest.warehouse.register import findings_of, register_rows, row_counts

MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

REGISTER_COLUMNS = (
    "submission_id",
    "department_code",
    "department_name",
    "submission_type",
    "submission_type_label",
    "file_name",
    "report_period",
    "period_month",
    "received_at",
    "sha256",
    "status",
    "status_label",
    "status_reason",
    "superseded_by",
    "row_count",
    "error_count",
    "warning_count",
    "archive_path",
    "feedback_path",
    "data_docs_url",
)
# provenance.csv: a mart row's key, its figure and fraction, one file behind it
PROVENANCE_COLUMNS = (
    "mart_name",
    "grain_key",
    "grain_columns",
    *(c for c in provenance.ROW_COLUMNS if c != "rows_counted_as"),
    *provenance.FILE_COLUMNS,
)
FINDING_COLUMNS = (
    "submission_id",
    "file_name",
    "source_row",
    "column_header",
    "value",
    "rule",
    "severity",
    "message_zh",
    "message_en",
)


class AuditPackError(ValueError):
    """A malformed month: the CLI prints it and exits 2."""


@dataclass
class AuditPack:
    folder: Path
    month: str
    submissions: int
    pages: int
    feedback_reports: int
    zip_path: Path | None = None


def parse_month(text: str) -> str:
    if not MONTH.fullmatch(text.strip()):
        raise AuditPackError(f"month must be YYYY-MM (e.g. 2024-12), got {text!r}")
    return text.strip()


def _write_csv(path: Path, columns, rows) -> None:
    # utf-8 with a BOM: Excel on the auditor's desk opens Chinese text correctly
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def _register(conn, month: str) -> list[dict]:
    rows = register_rows(conn, "period_month = %s", (month,))
    extra = row_counts(conn, [r["submission_id"] for r in rows])
    labels, names = register_labels(), departments()
    for row in rows:
        row.update(extra[row["submission_id"]])
        department = names.get(row["department_code"])
        row["department_name"] = department.name if department else None
        row["submission_type_label"] = labels.get(("submission_type", row["submission_type"]), "未知报送类型")
        row["status_label"] = labels.get(("status", row["status"]), row["status"])
    return rows


def _copy_pages(site: Path, pack: Path, register: list[dict]) -> list[dict]:
    """The month's validation pages under data_docs/ (same relative paths, links into the pack)."""
    target_site = pack / "data_docs"
    entries = []
    for row in register:
        url = row["data_docs_url"]
        source = local_page(site, url) if url else None
        if source is None:
            continue
        relative = source.relative_to(site)
        target = target_site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        feedback = _pack_feedback_path(row)
        text = source.read_text(encoding="utf-8")
        if feedback:  # the feedback link points at the copy in the pack
            back = os.path.relpath(pack / feedback, target.parent).replace(os.sep, "/")
            text = re.sub(
                r'(<a data-swdw-link="feedback" href=")[^"]*"', lambda m, back=back: f'{m.group(1)}{back}"', text
            )
        target.write_text(text, encoding="utf-8")
        entry = {**(entry_of(site, url) or {}), **page_facts(row).labelled(), "page": relative.as_posix()}
        entry.setdefault("success", row["error_count"] == 0)
        entry.setdefault("failed_expectations", "?")
        entry["feedback_url"] = f"../{feedback}" if feedback else None
        entries.append(entry)
    write_listing(target_site, f"{register[0]['period_month'] if register else ''} 校验记录 · validations", entries)
    return entries


def _pack_feedback_path(row: dict) -> str | None:
    if row["status"] != "quarantined" or not row["feedback_path"]:
        return None
    return f"feedback/{row['submission_id']}/feedback.xlsx"


def _copy_feedback(pack: Path, register: list[dict]) -> int:
    copied = 0
    for row in register:
        if not _pack_feedback_path(row):
            continue
        source = row["feedback_path"].rsplit("/", 1)[0]  # its folder in the artifact store
        target = pack / "feedback" / str(row["submission_id"])
        target.mkdir(parents=True, exist_ok=True)
        for name in ("feedback.xlsx", "feedback.csv"):
            if readable(f"{source}/{name}"):
                (target / name).write_bytes(read(f"{source}/{name}"))
        copied += (target / "feedback.xlsx").exists()
    return copied


def _chain_heads(pack: Path) -> None:
    folder = pack / "audit_chain"
    folder.mkdir()
    store = artifact_store()
    if store.exists(HEADS_KEY):
        (folder / "heads.jsonl").write_bytes(store.get(HEADS_KEY))
    with connect() as conn:  # a snapshot of its own (read-only, repeatable read)
        heads = current_heads(conn)
    now = {"read_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "heads": heads}
    (folder / "current_heads.json").write_text(json.dumps(now, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _readme(month: str, register: list[dict], pages: int, feedback: int, has_heads: bool) -> str:
    statuses: dict[str, int] = {}
    for row in register:
        statuses[row["status_label"]] = statuses.get(row["status_label"], 0) + 1
    counts = "，".join(f"{label} {n} 个" for label, n in sorted(statuses.items())) or "无"
    heads = (
        "audit_chain/heads.jsonl      审计表哈希链的历次链头记录（每次入库运行后追加一行），与 `swdw audit verify` 核对。\n"
        if has_heads
        else "audit_chain/heads.jsonl      （本系统尚未记录链头，故无此文件）\n"
    )
    return f"""swdw 审计资料包 · {month}
生成时间：{dt.datetime.now(ZoneInfo(calendar_settings()[1])):%Y-%m-%d %H:%M:%S %z}

本资料包收录报送期为 {month} 的全部报送文件的登记、校验与数据来源信息。
本月登记文件 {len(register)} 个（{counts}）；校验页面 {pages} 个；退回反馈报告 {feedback} 份。

文件说明
README.txt                   本说明。
register.csv                 报送登记簿摘录：本月每个报送文件一行——报送编号、报送部门（代码与名称）、报送类型、
                             文件名、报送期、接收时间、SHA-256、最终状态及原因（退回原因即在此列）、被哪次报送替代、
                             数据行数、错误数、警告数、原始文件存放路径、反馈报告路径、校验页面地址。
provenance.csv               数据来源：本月各数据集市（marts）每一行指标（figure，及其分子 numerator、分母 denominator）
                             由哪些报送文件计算得出，每个文件使用了多少行（rows_used）、其中计入分子多少行
                             （rows_in_numerator）。与 `swdw explain 数据表 行键…` 的输出一致。
findings.csv                 本月全部文件的校验问题明细：行号、列名（按报送表头）、取值、规则、严重程度、中文与英文说明。
                             个人信息（电话、身份证号）在此均已脱敏。
data_docs/index.html         本月校验页面索引：可按报送部门、月份、最终状态筛选（离线可用）。
data_docs/validations/…      每个文件的校验页面（Great Expectations 数据文档）：页首写明 部门/文件名、报送类型、报送期、
                             接收时间、SHA-256、最终状态及反馈报告链接；校验规则表列出每条规则的中文列名、规则与严重程度。
feedback/<报送编号>/         被退回文件的反馈报告（feedback.xlsx 与 feedback.csv），即发给报送单位的整改清单。
{heads}audit_chain/current_heads.json 生成本资料包时各审计表哈希链的当前链头。
SHA256SUMS                   本资料包内每个文件的 SHA-256，用于核对资料包未被改动。

说明
- 原始报送文件未复制进资料包：人民建议征集台账含明文个人信息，仅服务账号可读。register.csv 给出其存放路径与
  SHA-256，可在服务器上核对原件。
- 某项指标来自哪些文件：在 provenance.csv 中按 mart_name 与 grain_key（如 mart_coverage、2024-12|340603|enterprise）
  查找；本月被退回的文件及原因：在 register.csv 中筛选 status = quarantined，并查看 feedback/ 与 findings.csv。
"""


def _sha256sums(pack: Path) -> None:
    lines = []
    for path in sorted(p for p in pack.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(pack).as_posix()}\n")
    (pack / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def build_pack(month: str, out: Path | None = None, make_zip: bool = False) -> AuditPack:
    """Write the audit pack of one month (replacing an earlier pack of it in the same place)."""
    month = parse_month(month)
    config = settings()
    folder = Path(out) if out else config.artifacts_dir / "audit_packs" / f"audit-pack-{month}"
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with connect() as conn:
        set_time_zone(conn, calendar_settings()[1])  # times as the city reads them
        register = _register(conn, month)
        publish_pages(conn, [r["submission_id"] for r in register])  # every page shows its final status
        _write_csv(staging / "register.csv", REGISTER_COLUMNS, [[r[c] for c in REGISTER_COLUMNS] for r in register])
        _write_csv(staging / "provenance.csv", PROVENANCE_COLUMNS, month_provenance(conn, month, PROVENANCE_COLUMNS))
        findings = findings_of(conn, [r["submission_id"] for r in register], FINDING_COLUMNS)
        _write_csv(staging / "findings.csv", FINDING_COLUMNS, findings)
    _chain_heads(staging)
    site = working_site()
    with index_session(site, set):  # every index page: the entries the pages are listed with, as they stand
        pages = _copy_pages(site, staging, register)
    feedback = _copy_feedback(staging, register)
    readme = _readme(month, register, len(pages), feedback, (staging / "audit_chain" / "heads.jsonl").exists())
    (staging / "README.txt").write_text(readme, encoding="utf-8")
    _sha256sums(staging)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    pack = AuditPack(folder, month, len(register), len(pages), feedback)
    if make_zip:
        pack.zip_path = Path(shutil.make_archive(str(folder), "zip", folder.parent, folder.name))
    return pack


def print_pack(month: str, out: str | None, make_zip: bool) -> None:
    pack = build_pack(month, Path(out) if out else None, make_zip)
    print(
        f"audit pack {pack.month}: {pack.submissions} submissions, {pack.pages} validation pages, "
        f"{pack.feedback_reports} feedback reports\n  {pack.folder}" + (f"\n  {pack.zip_path}" if pack.zip_path else "")
    )
