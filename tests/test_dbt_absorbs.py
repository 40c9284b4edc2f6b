"""Whatever ingest accepts or registers, the models absorb: `swdw run` exits 0 and the marts are right.

The two everyday sequences the marts must absorb, with fixture files built here: a document dropped
into a folder named for no submission type (and one from an unknown department), and a
status-update workbook that resends some suggestions unchanged.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from .builders import ORG_HEADER, landing_path, org_row, write_csv, write_xlsx
from .helpers import query, run_cli

pytestmark = [pytest.mark.slow]

SUGGESTION_HEADER = ["建议编号", "收集日期", "征集渠道", "所属区县", "建议类别", "建议标题", "办理状态", "办结日期"]
CHINA = dt.timezone(dt.timedelta(hours=8))


def _landing() -> Path:
    return Path(os.environ["SWDW_LANDING_DIR"])


def _landed(year: int, month: int, day: int) -> float:
    """A landing time (file modification time) in the city's local time."""
    return dt.datetime(year, month, day, 9, 30, tzinfo=CHINA).timestamp()


def _run_ok() -> str:
    result = run_cli("run")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def _marts_snapshot(dsn: str) -> dict[str, list[tuple]]:
    marts = ("mart_coverage", "mart_service_counts", "mart_petition_conversion", "mart_submission_quality")
    return {name: query(dsn, f"select * from marts.{name} order by 1, 2, 3, 4") for name in marts}


def _assert_build_info_is_current(dsn: str) -> None:
    """Every marts table is stamped and reflects the whole register."""
    [(max_id,)] = query(dsn, "select max(submission_id) from audit.submission")
    info = query(
        dsn, "select mart_name, register_max_submission_id, register_changes_since_build from marts.mart_build_info"
    )
    assert {name for name, _, _ in info} >= {
        "mart_coverage",
        "mart_service_counts",
        "mart_petition_conversion",
        "mart_submission_quality",
    }
    assert all(stamp_id == max_id and changes == 0 for _, stamp_id, changes in info), info


def test_files_in_unknown_type_and_department_folders_do_not_stop_the_marts(clean_warehouse):
    dsn = clean_warehouse
    landing = _landing()
    december = _landed(2025, 1, 6)
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月两个覆盖.csv"),
        [ORG_HEADER, org_row(1), org_row(2, form="未组建", union="否")],
        mtime=december,
    )
    # a meeting record in a folder named for no submission type, and a file from an unknown department
    write_xlsx(
        landing_path(landing, "xiangshan", "meeting_minutes", "会议纪要.xlsx"),
        [["会议纪要"], ["时间", "议题"], ["2024-12-20", "两新组织党建"]],
        mtime=december,
    )
    write_csv(landing_path(landing, "nowhere", "org_coverage", "a.csv"), [ORG_HEADER, org_row(3)], mtime=december)

    _run_ok()

    register = dict(query(dsn, "select submission_type || '/' || department_code, status from audit.submission"))
    assert register == {
        "org_coverage/xiangshan": "loaded",
        "meeting_minutes/xiangshan": "quarantined",
        "org_coverage/nowhere": "quarantined",
    }
    # the misfiled document shows in the quality mart as received and quarantined, never owed
    [misfiled] = query(
        dsn,
        """select period_month, submission_type_label, submissions_expected, submissions_received,
                  submissions_quarantined, submissions_accepted, latest_status
             from marts.mart_submission_quality
            where department_code = 'xiangshan' and submission_type = 'meeting_minutes'""",
    )
    assert misfiled == (dt.date(2024, 12, 1), "未知报送类型", 0, 1, 1, 0, "quarantined")
    [unknown_department] = query(
        dsn,
        """select department_name, submission_type_label, submissions_expected, submissions_quarantined
             from marts.mart_submission_quality where department_code = 'nowhere'""",
    )
    assert unknown_department == (None, "非公企业和社会组织“两个覆盖”台账", 0, 1)
    # the accepted snapshot counts as before
    [(orgs_total, with_party_org)] = query(
        dsn,
        "select sum(orgs_total), sum(orgs_with_party_org) from marts.mart_coverage where period_month = '2024-12-01'",
    )
    assert (orgs_total, with_party_org) == (2, 1)
    [(owed, accepted)] = query(
        dsn,
        """select submissions_expected, submissions_accepted from marts.mart_submission_quality
            where department_code = 'xiangshan' and submission_type = 'org_coverage' and period_month = '2024-12-01'""",
    )
    assert (owed, accepted) == (1, 1)
    # the misfiled file does not move the reporting horizon past the month it landed for
    [(horizon,)] = query(
        dsn, "select max(period_month) from marts.mart_submission_quality where submissions_expected = 1"
    )
    assert horizon == dt.date(2024, 12, 1)
    _assert_build_info_is_current(dsn)


def _suggestion(sid: str, received: str, status: str, concluded: str = "", title: str | None = None) -> list:
    return [sid, received, "信访", "340603", "民生服务", title or f"建议{sid}", status, concluded]


def _write_suggestion_files(landing: Path) -> None:
    folder = ("city_xfj", "suggestion")
    write_csv(
        landing_path(landing, *folder, "2024年11月人民建议.csv"),
        [
            SUGGESTION_HEADER,
            _suggestion("X-1", "2024-11-04", "已受理"),
            _suggestion("X-2", "2024-11-05", "办理中"),
            _suggestion("X-3", "2024-11-06", "办理中"),
        ],
        mtime=_landed(2024, 12, 3),
    )
    # the status update: X-1 resent unchanged (on another row), X-2 adopted, X-3 unchanged, X-4 new
    write_csv(
        landing_path(landing, *folder, "2024年12月人民建议（更新）.csv"),
        [
            SUGGESTION_HEADER,
            _suggestion("X-4", "2024-12-02", "已受理"),
            _suggestion("X-2", "2024-11-05", "已采纳", "2024-12-20"),
            _suggestion("X-1", "2024-11-04", "已受理"),
            _suggestion("X-3", "2024-11-06", "办理中"),
        ],
        mtime=_landed(2025, 1, 3),
    )


def test_a_resend_with_unchanged_rows_keeps_history_and_marts_in_step(clean_warehouse):
    dsn = clean_warehouse
    _write_suggestion_files(_landing())

    _run_ok()

    ids = dict(query(dsn, "select file_name, submission_id from audit.submission where status = 'loaded'"))
    first, update = ids["2024年11月人民建议.csv"], ids["2024年12月人民建议（更新）.csv"]
    # the latest landing is current everywhere: an unchanged resend is the current version
    history = {
        sid: rest
        for sid, *rest in query(
            dsn,
            """select suggestion_id, version_number, status, submission_id, source_row, first_submission_id
                 from intermediate.int_suggestion_status_history where is_current""",
        )
    }
    assert history == {
        "X-1": [1, "received", update, 4, first],
        "X-2": [2, "adopted", update, 3, update],
        "X-3": [1, "in_progress", update, 5, first],
        "X-4": [1, "received", update, 2, update],
    }
    # unchanged resends add no version: only X-2 changed
    assert query(dsn, "select count(*) from intermediate.int_suggestion_status_history") == [(5,)]
    rows = query(
        dsn,
        """select received_month, suggestions_received, suggestions_concluded, suggestions_adopted,
                  suggestions_converted, conversion_rate
             from marts.mart_petition_conversion order by received_month""",
    )
    assert [(m, r, c, a, v, float(rate)) for m, r, c, a, v, rate in rows] == [
        (dt.date(2024, 11, 1), 3, 1, 1, 1, 0.3333),
        (dt.date(2024, 12, 1), 1, 0, 0, 0, 0.0),
    ]
    _assert_build_info_is_current(dsn)

    # the same files dropped again: recorded once, every mart stays the same
    before = _marts_snapshot(dsn)
    _write_suggestion_files(_landing())
    _run_ok()
    assert query(dsn, "select count(*) from audit.submission") == [(2,)]
    assert _marts_snapshot(dsn) == before
    _assert_build_info_is_current(dsn)
