"""The landing zone is a trust boundary, and one file never stops the others.

Each case drops one hostile entry beside a valid file: the valid file loads in the same run, the
hostile one ends in a final register state with its reason, and nothing outside the landing
root is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.jobs.pipeline import FileStatus, ingest_landing

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import query, run_cli


def _landing() -> Path:
    return Path(os.environ["SWDW_LANDING_DIR"])


def _valid_file(name: str = "2024年12月.csv") -> Path:
    return write_csv(landing_path(_landing(), "xiangshan", "org_coverage", name), [ORG_HEADER, org_row(1)])


def _register(dsn: str) -> dict[str, tuple]:
    rows = query(dsn, "select file_name, status, status_reason, sha256, archive_path from audit.submission")
    return {name: rest for name, *rest in rows}


def _links_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_symlink() and "pg" not in p.parts]


def _outcomes_by_name(outcomes) -> dict[str, str]:
    return {o.file_name: o.status for o in outcomes}


@pytest.mark.parametrize(
    ("target", "kind"),
    [("/etc/passwd", "符号链接"), ("/dev/zero", "符号链接")],
)
def test_a_symbolic_link_is_refused_without_being_followed(clean_warehouse, target, kind):
    _valid_file()
    link = landing_path(_landing(), "xiangshan", "org_coverage", "2024年11月.csv")
    link.symlink_to(target)
    home = Path(os.environ["SWDW_HOME"])
    links_before = set(_links_under(home))
    outcomes = _outcomes_by_name(ingest_landing())
    assert outcomes == {"2024年12月.csv": FileStatus.LOADED, "2024年11月.csv": FileStatus.QUARANTINED}
    status, reason, sha, kept = _register(clean_warehouse)["2024年11月.csv"]
    assert status == "quarantined" and kind in reason and target in reason and sha.startswith("unread:")
    # out of the landing zone, and kept as a regular file that names the target: no link in quarantine
    assert not link.is_symlink() and not link.exists()
    assert not Path(kept).is_symlink() and Path(kept).is_file()
    assert target.encode() in Path(kept).read_bytes()
    # other tests of the session may have left links of their own under SWDW_HOME: only new ones count
    assert set(_links_under(home)) - links_before == set()
    copies = [p for p in home.rglob("*") if p.is_file() and not p.is_symlink() and "pg" not in p.parts]
    if target == "/etc/passwd":
        secret = Path(target).read_bytes()
        assert not [p for p in copies if p.stat().st_size < 10_000_000 and secret in p.read_bytes()]


@pytest.mark.slow
def test_a_named_pipe_is_refused_and_the_run_does_not_hang(clean_warehouse):
    _valid_file()
    fifo = landing_path(_landing(), "xiangshan", "org_coverage", "管道.csv")
    os.mkfifo(fifo)
    result = run_cli("ingest", timeout=300)  # a hang fails the test through the timeout
    assert result.returncode == 0, result.stdout + result.stderr
    register = _register(clean_warehouse)
    assert register["2024年12月.csv"][0] == "loaded"
    assert register["管道.csv"][0] == "quarantined" and "命名管道" in register["管道.csv"][1]
    kept = Path(register["管道.csv"][3])
    assert kept.is_file() and not fifo.exists()  # a note of what it was, not the pipe itself


def test_a_linked_folder_and_a_hard_link_are_refused(clean_warehouse, tmp_path):
    _valid_file()
    outside = tmp_path / "outside"
    write_csv(outside / "org_coverage" / "外部.csv", [ORG_HEADER, org_row(5)])
    (_landing() / "duji").symlink_to(outside)
    elsewhere = write_csv(tmp_path / "elsewhere.csv", [ORG_HEADER, org_row(6)])
    os.link(elsewhere, landing_path(_landing(), "xiangshan", "org_coverage", "硬链接.csv"))
    outcomes = _outcomes_by_name(ingest_landing())
    assert outcomes == {
        "2024年12月.csv": FileStatus.LOADED,
        "duji": FileStatus.QUARANTINED,
        "硬链接.csv": FileStatus.QUARANTINED,
    }
    assert "硬链接" in _register(clean_warehouse)["硬链接.csv"][1]
    assert (outside / "org_coverage" / "外部.csv").exists()  # never touched through the link
    assert query(clean_warehouse, "select count(*) from raw.org_coverage") == [(1,)]


def test_an_oversize_file_is_refused_from_its_size(clean_warehouse, monkeypatch):
    monkeypatch.setenv("SWDW_MAX_FILE_BYTES", "4096")
    _valid_file()
    big = landing_path(_landing(), "xiangshan", "org_coverage", "大文件.csv")
    write_csv(big, [ORG_HEADER, *[org_row(n) for n in range(2, 200)]])
    outcomes = _outcomes_by_name(ingest_landing())
    assert outcomes["大文件.csv"] == FileStatus.QUARANTINED
    assert "文件过大" in _register(clean_warehouse)["大文件.csv"][1]


def test_an_internal_error_quarantines_that_file_only_naming_stage_and_exception(clean_warehouse, monkeypatch):
    import ingest.quality.evaluation as evaluation  # where the pipeline's parse_grid is looked up

    real = evaluation.parse_grid

    def broken(grid, contract, file_name, **options):
        if "坏" in file_name:
            raise KeyError("a defect nobody anticipated")
        return real(grid, contract, file_name, **options)

    monkeypatch.setattr(evaluation, "parse_grid", broken)
    write_csv(
        landing_path(_landing(), "xiangshan", "org_coverage", "坏.csv"),
        [ORG_HEADER, org_row(2, period="2024-11")],
        mtime=1,
    )
    _valid_file()
    outcomes = _outcomes_by_name(ingest_landing())
    assert outcomes == {"坏.csv": FileStatus.FAILED, "2024年12月.csv": FileStatus.LOADED}
    status, reason, _, kept = _register(clean_warehouse)["坏.csv"]
    assert status == "quarantined" and "normalise" in reason and "KeyError" in reason and "a defect" in reason
    assert Path(kept).read_bytes()  # the original is kept for reprocessing
    assert query(clean_warehouse, "select rule from audit.submission_finding where rule = 'internal_error'")
    assert not list(_landing().rglob("*.csv"))  # nothing left to block the next run
    # after the fix, reprocess takes it again from the kept original, under its own id
    from ingest.jobs.reprocess import reprocess_by_id

    monkeypatch.undo()
    [sid] = [
        sid
        for (sid,) in query(clean_warehouse, "select submission_id from audit.submission where file_name = '坏.csv'")
    ]
    [again] = reprocess_by_id(sid)
    assert (again["previous_status"], again["action"], again["new_status"]) == ("quarantined", "loaded", "loaded")


def test_a_file_interrupted_too_often_is_quarantined_not_retried_forever(clean_warehouse):
    from ingest.jobs.pipeline import MAX_ATTEMPTS

    _valid_file()
    [first] = ingest_landing()
    assert first.status == FileStatus.LOADED
    # a file whose earlier runs were killed while processing it (the row stayed `validating`)
    poison = _valid_file("毒.csv")
    write_csv(poison, [ORG_HEADER, org_row(9)])
    from ingest.intake.landing import discover
    from ingest.jobs.pipeline import process_landing_file
    from ingest.warehouse import register
    from ingest.warehouse.connection import connect

    [entry] = discover(str(_landing()))
    with connect(autocommit=True) as conn:
        sid, _ = register.register(
            conn,
            department="xiangshan",
            submission_type="org_coverage",
            file_name="毒.csv",
            landing_path=entry.path,
            sha256=__import__("hashlib").sha256(poison.read_bytes()).hexdigest(),
            size=poison.stat().st_size,
            received_at=None,
        )
        for _ in range(MAX_ATTEMPTS):
            register.start_attempt(conn, sid)
    outcome = process_landing_file(entry)
    assert outcome["status"] == FileStatus.FAILED
    status, reason, *_ = _register(clean_warehouse)["毒.csv"]
    assert status == "quarantined" and f"中断 {MAX_ATTEMPTS} 次" in reason


@pytest.mark.slow
def test_warehouse_stopped_mid_run_stops_cleanly_and_the_next_run_finishes(clean_warehouse):
    from ingest.warehouse.connection import warehouse_dsn

    for n in range(1, 4):
        write_csv(
            landing_path(_landing(), "xiangshan", "org_coverage", f"2024年{n}月.csv"),
            [ORG_HEADER, org_row(n, period=f"2024-0{n}"), org_row(n + 10, period=f"2024-0{n}")],
            mtime=1_700_000_000 + n,
        )
    stopped = run_cli("ingest", env={"SWDW_STOP_WAREHOUSE_AT": "mid_copy"}, timeout=300)
    assert stopped.returncode == 2, stopped.stdout + stopped.stderr
    assert "warehouse unreachable" in stopped.stderr and "Traceback" not in stopped.stderr
    assert len(list(_landing().rglob("*.csv"))) == 3  # every file still waits in the landing zone
    assert warehouse_dsn() == clean_warehouse  # started again on demand, same address
    again = run_cli("ingest", timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert query(clean_warehouse, "select status, count(*), sum(row_count) from audit.submission group by 1") == [
        ("loaded", 3, 6)
    ]
    assert query(
        clean_warehouse, "select count(*), count(distinct (submission_id, source_row)) from raw.org_coverage"
    ) == [(6, 6)]
    assert not list(_landing().rglob("*.csv"))
