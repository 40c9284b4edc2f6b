"""Ingest throughput on a 100k-row org_coverage file, xlsx and csv, beside a plain COPY.

    .venv/bin/python benchmarks/ingest_throughput.py [--rows 100000]

Prints rows/s for: parse+normalise+load (GX excluded), the same with checks and GX
(what the pipeline does), and a plain PostgreSQL COPY of the already-typed rows, all in
one run against the same warehouse (embedded unless SWDW_WAREHOUSE_DSN is set). Loads
run in a transaction that is rolled back, so the warehouse is left as it was.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = [
    "统计期",
    "统一社会信用代码",
    "单位名称",
    "单位类型",
    "所属区县",
    "从业人员数",
    "党员人数",
    "党组织组建方式",
    "是否建立工会",
    "是否建立团组织",
    "是否建立妇联组织",
    "是否选派党建指导员",
    "所属行业",
]
FORMS = ["单独组建", "联合组建", "行业共建", "区域联建", "未组建"]


def rows(count: int) -> list[list]:
    from ingest.quality.checks import credit_check_character

    result = []
    for n in range(count):
        body = f"9134060{n:010d}"
        result.append(
            [
                "2024-12",
                body + credit_check_character(body),
                f"企业{n}",
                "非公企业",
                "相山",
                20 + n % 50,
                n % 7,
                FORMS[n % 5],
                "是" if n % 3 else "否",
                "有",
                "√",
                "否",
                "制造业",
            ]
        )
    return result


def write_csv(path: Path, data: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(data)


def write_xlsx(path: Path, data: list[list]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    workbook.save(path)


def timed(label: str, func):
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def measure(path: Path, count: int) -> dict:
    from ingest.intake.contracts import get_contract
    from ingest.intake.landing import LandingFile
    from ingest.intake.normalise import parse_grid
    from ingest.intake.readers import read_grid
    from ingest.quality.evaluation import evaluate
    from ingest.warehouse.connection import connect
    from ingest.warehouse.loading import copy_records

    contract = get_contract("org_coverage")
    data = path.read_bytes()
    parsed, parse_seconds = timed("parse", lambda: parse_grid(read_grid(data, path.name), contract, path.name))
    landing = LandingFile(str(path), "xiangshan", "org_coverage", path.name, 0)
    evaluation, evaluate_seconds = timed("evaluate", lambda: evaluate(landing, data, 0, dt.date.today()))
    assert len(parsed.records) == count and evaluation.accepted, "benchmark rows must be valid"
    with connect() as conn:
        _, load_seconds = timed("load", lambda: copy_records(conn, contract, 0, parsed.records))
        conn.rollback()
        typed = [[0, r["source_row"], *[r.get(c.name) for c in contract.columns]] for r in parsed.records]
        columns = ["submission_id", "source_row", *[c.name for c in contract.columns]]

        def plain_copy():
            with conn.cursor().copy(f"copy raw.org_coverage ({', '.join(columns)}) from stdin") as copy:
                for row in typed:
                    copy.write_row(row)

        _, copy_seconds = timed("copy", plain_copy)
        conn.rollback()
    return {"parse": parse_seconds, "evaluate": evaluate_seconds, "load": load_seconds, "copy": copy_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("SWDW_HOME", str(Path(tempfile.gettempdir()) / "swdw-benchmark"))
    os.environ.setdefault("SWDW_PII_KEY", "benchmark")
    from ingest.warehouse.connection import bootstrap

    bootstrap()
    from ingest.quality.validation import get_context

    _, gx_load = timed("gx", get_context)  # import and context load, paid once per process
    workdir = Path(tempfile.mkdtemp(prefix="swdw-bench-"))
    data = rows(args.rows)
    print(f"ingest throughput, {args.rows:,} org_coverage rows (GX import + context: {gx_load:.1f} s once per process)")
    print(f"{'format':6} {'parse+normalise':>16} {'+load (no GX)':>15} {'+checks+GX+load':>16} {'plain COPY':>12}")
    for suffix, writer in ((".csv", write_csv), (".xlsx", write_xlsx)):
        path = workdir / f"2024年12月台账{suffix}"
        writer(path, data)
        print(f"  ... measuring {path.name} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr, flush=True)
        t = measure(path, args.rows)

        def rate(seconds, rows=args.rows):
            return f"{rows / seconds:,.0f} r/s"

        print(
            f"{suffix[1:]:6} {rate(t['parse']):>16} {rate(t['parse'] + t['load']):>15} "
            f"{rate(t['evaluate'] + t['load']):>16} {rate(t['copy']):>12}"
        )
        print(
            f"{'':6} seconds: parse {t['parse']:.2f}, load {t['load']:.2f}, "
            f"checks+GX {t['evaluate'] - t['parse']:.2f}, plain COPY {t['copy']:.2f}; "
            f"pipeline/COPY time ratio {(t['evaluate'] + t['load']) / t['copy']:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
