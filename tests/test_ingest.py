"""Ingest against the real embedded PostgreSQL: register states, raw rows, feedback, PII."""

import csv
import os
import re
from pathlib import Path

import pytest

from ingest.jobs.pipeline import ingest_landing

from .builders import ORG_HEADER, landing_path, org_row, write_csv, write_xlsx
from .helpers import query

SUGGESTION_HEADER = [
    "建议编号",
    "收集日期",
    "征集渠道",
    "所属区县",
    "建议类别",
    "建议标题",
    "建议内容",
    "建议人",
    "联系电话",
    "身份证号",
    "办理状态",
    "办结日期",
]


def _landing() -> Path:
    return Path(os.environ["SWDW_LANDING_DIR"])


def test_load_then_duplicate_then_supersede(clean_warehouse):
    landing = _landing()
    first = write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账.csv"),
        [ORG_HEADER, org_row(1), org_row(2), org_row(3, form="未组建")],
        mtime=1_700_000_000,
    )
    outcomes = ingest_landing()
    assert [o.status for o in outcomes] == ["loaded"]
    assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == 3
    assert not first.exists()  # moved to the archive
    [(archived,)] = query(clean_warehouse, "select archive_path from audit.submission")
    assert Path(archived).read_bytes() and (Path(archived).stat().st_mode & 0o777) == 0o600

    # the same bytes again, under another name: registered once, loaded once
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "copy.csv"),
        [ORG_HEADER, org_row(1), org_row(2), org_row(3, form="未组建")],
        mtime=1_700_000_100,
    )
    assert [o.status for o in ingest_landing()] == ["duplicate"]
    assert query(clean_warehouse, "select count(*) from audit.submission")[0][0] == 1

    # a corrected snapshot for the same department and period supersedes the first
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账_更正.csv"),
        [ORG_HEADER, org_row(1), org_row(2)],
        mtime=1_700_000_200,
    )
    assert [o.status for o in ingest_landing()] == ["loaded"]
    (old_status, new_status) = query(
        clean_warehouse,
        "select status, row_count, superseded_by, submission_id from audit.submission order by submission_id",
    )
    assert old_status[:3] == ("superseded", 3, new_status[3])
    assert new_status[:3] == ("loaded", 2, None)
    # raw is append-only: the superseded snapshot's rows stay for history
    assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == 5


def test_rejected_file_is_quarantined_whole_with_feedback(clean_warehouse, swdw_home):
    landing = _landing()
    bad_code = org_row(2)
    bad_code[1] = bad_code[1][:-1] + ("0" if bad_code[1][-1] != "0" else "1")
    outside = org_row(3, district="濉溪县")
    formula = org_row(4)
    formula[5] = "-5"  # a cell starting with '-' must not become a formula in the feedback workbook
    rows = [["2024年12月相山区台账"], ORG_HEADER, org_row(1), bad_code, outside, formula]
    write_xlsx(landing_path(landing, "xiangshan", "org_coverage", "bad.xlsx"), rows)
    [outcome] = ingest_landing()
    assert outcome.status == "quarantined" and outcome.error_count == 3
    assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == 0
    sid = outcome.submission_id
    folder = swdw_home / "quarantine" / str(sid)
    assert (folder / "bad.xlsx").exists() and (folder / "feedback.xlsx").exists()
    with open(folder / "feedback.csv", encoding="utf-8-sig") as handle:
        feedback = list(csv.DictReader(handle))
    errors = {(f["source_row"], f["column"], f["rule"]) for f in feedback}
    assert ("4", "统一社会信用代码", "credit_code_check") in errors
    assert ("5", "所属区县", "jurisdiction") in errors
    assert ("6", "从业人员数", "minimum") in errors
    assert [f["value"] for f in feedback if f["rule"] == "minimum"] == ["'-5"]
    assert all(f["message_zh"] and f["message_en"] for f in feedback)
    [(status, path, reason)] = query(
        clean_warehouse, "select status, feedback_path, status_reason from audit.submission"
    )
    assert status == "quarantined" and path.endswith("feedback.xlsx") and "第4行" in reason


def test_unknown_department_and_type_are_rejected_not_guessed(clean_warehouse):
    landing = _landing()
    write_csv(landing_path(landing, "nowhere", "org_coverage", "a.csv"), [ORG_HEADER, org_row(1)])
    write_csv(landing_path(landing, "city_xfj", "org_coverage", "b.csv"), [ORG_HEADER, org_row(2)])
    write_csv(landing_path(landing, "duji", "surveys", "c.csv"), [ORG_HEADER, org_row(3)])
    outcomes = ingest_landing()
    assert {o.file_name: o.status for o in outcomes} == {
        "a.csv": "quarantined",
        "b.csv": "quarantined",
        "c.csv": "quarantined",
    }
    reasons = dict(query(clean_warehouse, "select file_name, status_reason from audit.submission"))
    assert "unknown department" in reasons["a.csv"]
    assert "does not submit" in reasons["b.csv"]
    assert "unknown submission type" in reasons["c.csv"]


def test_no_clear_personal_data_reaches_the_database(clean_warehouse):
    landing = _landing()
    phone, id_number, name = "13912345678", "11010519491231002X", "王小明"
    write_csv(
        landing_path(landing, "xiangshan", "suggestion", "2024年5月.csv"),
        [
            SUGGESTION_HEADER,
            [
                "S-1",
                "2024/5/6",
                "征集箱",
                "相山",
                "小区治理",
                "加装电梯",
                f"请回电{phone}，身份证{id_number}",
                name,
                phone,
                id_number,
                "已转化",
                "2024年6月1日",
            ],
            [
                "S-2",
                "2024.5.7",
                "12345热线",
                "相山区",
                "民生服务",
                "路灯",
                "无",
                "李四",
                "12345",
                "110105194912310021",
                "办理中",
                "",
            ],
        ],
        encoding="gb18030",
    )
    [outcome] = ingest_landing()
    assert outcome.status == "loaded" and outcome.warning_count == 2  # bad phone, bad ID check char
    dump = " ".join(
        str(row)
        for table in ("raw.suggestion", "audit.submission_finding", "audit.validation_result")
        for row in query(clean_warehouse, f"select * from {table}")
    )
    for secret in (phone, id_number, name, "110105194912310021"):
        assert secret not in dump
    [(masked, hashed)] = query(
        clean_warehouse,
        "select submitter_phone_masked, submitter_phone_hash from raw.suggestion where suggestion_id = 'S-1'",
    )
    assert masked == "139****5678" and re.fullmatch(r"[0-9a-f]{64}", hashed)


def test_suggestion_rules_concluded_date(clean_warehouse):
    landing = _landing()
    write_csv(
        landing_path(landing, "city_xfj", "suggestion", "s.csv"),
        [
            SUGGESTION_HEADER,
            ["S-1", "2024-05-06", "信访", "340621", "其他", "t", "", "", "", "", "已采纳", ""],
            ["S-2", "2024-05-06", "信访", "340621", "其他", "t", "", "", "", "", "不予采纳", "2024-05-01"],
        ],
    )
    [outcome] = ingest_landing()
    assert outcome.status == "quarantined"
    rules = set(query(clean_warehouse, "select source_row, rule from audit.submission_finding"))
    assert rules == {(2, "concluded_date_required"), (3, "concluded_before_received")}


def test_landing_order_not_processing_order_decides_which_snapshot_wins(clean_warehouse):
    from ingest.intake.landing import discover
    from ingest.jobs.pipeline import process_landing_file

    landing = _landing()
    write_csv(
        landing_path(landing, "duji", "org_coverage", "2024年12月.csv"),
        [ORG_HEADER, org_row(1, district="杜集")],
        mtime=1_700_000_000,
    )
    write_csv(
        landing_path(landing, "duji", "org_coverage", "2024年12月_更正.csv"),
        [ORG_HEADER, org_row(1, district="杜集"), org_row(2, district="杜集")],
        mtime=1_700_000_500,
    )
    older, newer = discover(str(landing))
    # a mapped task may well run the newer file first
    assert process_landing_file(newer)["status"] == "loaded"
    assert process_landing_file(older)["status"] == "loaded"
    rows = query(clean_warehouse, "select file_name, status from audit.submission order by received_at")
    assert rows == [("2024年12月.csv", "superseded"), ("2024年12月_更正.csv", "loaded")]


def test_two_snapshots_of_a_period_loaded_at_once_leave_only_the_newer_loaded(clean_warehouse):
    """Two workers load two snapshots of one period in overlapping transactions: the second one's
    supersede must see the first, so it waits for it (ingest.warehouse.locks.lock_snapshot_period)."""
    import datetime as dt
    import threading
    import types

    import psycopg

    from ingest.warehouse import register
    from ingest.warehouse.loading import load_accepted

    period = dt.date(2024, 12, 1)
    evaluation = types.SimpleNamespace(
        records=[],
        report_period=period,
        register_fields=lambda: {"row_count": 0, "error_count": 0, "warning_count": 0, "report_period": period},
    )
    landed = dt.datetime(2024, 12, 20, tzinfo=dt.UTC)
    ids = {}
    with psycopg.connect(clean_warehouse, autocommit=True) as conn:
        for name, minutes in (("older.csv", 0), ("newer.csv", 5)):
            ids[name], _ = register.register(
                conn,
                department="duji",
                submission_type="org_coverage",
                file_name=name,
                landing_path=name,
                sha256=name * 4,
                size=1,
                received_at=landed + dt.timedelta(minutes=minutes),
            )

    def load(conn, name: str) -> None:
        load_accepted(
            conn,
            submission_id=ids[name],
            department_code="duji",
            submission_type="org_coverage",
            file_name=name,
            data=b"x",
            evaluation=evaluation,
            status_reason=None,
        )

    with psycopg.connect(clean_warehouse) as first, psycopg.connect(clean_warehouse) as second:
        load(first, "newer.csv")  # not committed yet
        worker = threading.Thread(target=lambda: (load(second, "older.csv"), second.commit()))
        worker.start()
        worker.join(timeout=3)
        assert worker.is_alive(), "the second load settled its period while the first was open"
        first.commit()
        worker.join(timeout=30)
    rows = query(clean_warehouse, "select file_name, status from audit.submission order by received_at")
    assert rows == [("older.csv", "superseded"), ("newer.csv", "loaded")]


def _ingest_subprocess(env_extra: dict):

    from .helpers import run_cli

    return run_cli("ingest", env=env_extra)


@pytest.mark.slow
def test_a_kill_at_any_point_leaves_nothing_half_loaded_and_the_rerun_finishes(clean_warehouse):
    from ingest.faults import CRASH_POINTS

    landing = _landing()
    for number, point in enumerate(CRASH_POINTS):
        name = f"2024年1{number}月.csv"
        write_csv(
            landing_path(landing, "suixi", "org_coverage", name),
            [ORG_HEADER] + [org_row(100 * number + i, district="濉溪", period=f"2024-1{number}") for i in range(40)],
        )
        killed = _ingest_subprocess({"SWDW_CRASH_AT": point})
        assert killed.returncode in (-9, 137), (point, killed.stderr[-2000:])
        expected_rows = 40 * number + (40 if point == "after_commit" else 0)
        assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == expected_rows, point
        rerun = _ingest_subprocess({})
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == 40 * (number + 1), point
        assert not (landing / "suixi" / "org_coverage" / name).exists()
    assert query(clean_warehouse, "select status, count(*) from audit.submission group by status") == [("loaded", 3)]


@pytest.mark.slow
def test_two_runs_at_once_process_each_file_once(clean_warehouse):
    import subprocess

    from .helpers import REPO, VENV_BIN

    landing = _landing()
    for number in range(6):
        write_csv(
            landing_path(landing, "lieshan", "org_coverage", f"2024年{number + 1}月.csv"),
            [ORG_HEADER]
            + [org_row(1000 * number + i, district="烈山", period=f"2024-{number + 1:02d}") for i in range(30)],
        )
    runs = [
        subprocess.Popen(
            [str(VENV_BIN / "swdw"), "ingest"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=600) + (run.returncode,) for run in runs]
    assert all(code == 0 for _, _, code in results), results
    assert query(clean_warehouse, "select count(*), count(distinct sha256) from audit.submission") == [(6, 6)]
    assert query(clean_warehouse, "select count(*) from raw.org_coverage")[0][0] == 6 * 30
    assert query(clean_warehouse, "select count(*) from audit.submission where status = 'loaded'")[0][0] == 6


def test_limits_give_clear_reasons(clean_warehouse, monkeypatch):
    import io
    import zipfile

    landing = _landing()
    monkeypatch.setenv("SWDW_MAX_ROWS", "5")
    write_csv(
        landing_path(landing, "duji", "org_coverage", "big.csv"),
        [ORG_HEADER] + [org_row(i, district="杜集") for i in range(10)],
    )
    # a zip that expands enormously, named like a workbook
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    path = landing_path(landing, "duji", "org_coverage", "bomb.xlsx")
    path.write_bytes(bomb.getvalue())
    outcomes = {o.file_name: o for o in ingest_landing()}
    assert outcomes["big.csv"].status == "quarantined" and "limit" in outcomes["big.csv"].reason
    assert outcomes["bomb.xlsx"].status == "quarantined" and "decompression bomb" in outcomes["bomb.xlsx"].reason
    monkeypatch.setenv("SWDW_MAX_ROWS", "500000")
    monkeypatch.setenv("SWDW_MAX_FILE_BYTES", "100")
    write_csv(landing_path(landing, "duji", "org_coverage", "large.csv"), [ORG_HEADER, org_row(1, district="杜集")])
    [outcome] = ingest_landing()
    assert outcome.status == "quarantined" and "100 limit" in outcome.reason


def test_json_and_legacy_xls_are_read(clean_warehouse):
    import json

    import xlwt

    landing = _landing()
    records = [dict(zip(ORG_HEADER, org_row(i, district="杜集"))) for i in range(3)]
    path = landing_path(landing, "duji", "org_coverage", "2024年12月.json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    book = xlwt.Workbook()
    sheet = book.add_sheet("台账")
    sheet.write(0, 0, "2024年11月杜集区台账")
    for r, row in enumerate([ORG_HEADER] + [org_row(10 + i, district="杜集", period="2024年11月") for i in range(4)]):
        for c, value in enumerate(row):
            sheet.write(r + 1, c, value)
    book.save(str(landing_path(landing, "duji", "org_coverage", "2024年11月.xls")))
    outcomes = {o.file_name: (o.status, o.row_count) for o in ingest_landing()}
    assert outcomes == {"2024年12月.json": ("loaded", 3), "2024年11月.xls": ("loaded", 4)}
    rows = query(
        clean_warehouse,
        "select min(source_row), max(source_row) from raw.org_coverage r "
        "join audit.submission s using (submission_id) where right(s.file_name, 4) = '.xls'",
    )
    assert rows == [(3, 6)]  # title row, header row, then data from spreadsheet row 3
