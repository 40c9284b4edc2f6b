"""`swdw backup` and `swdw restore` against real embedded PostgreSQL servers: restore from nothing.

The restore runs the real CLI in a subprocess with SWDW_HOME set to a new temporary folder, so it
starts a second embedded server of its own (stopped in a finally block).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from ingest.jobs.backup import backup
from ingest.jobs.pipeline import ingest_pass
from ingest.warehouse.audit_chain import heads_path

from .builders import ORG_HEADER, landing_path, org_row, write_csv, write_xlsx
from .helpers import new_home, query, run_cli, table_digest

REGISTER = (
    "select submission_id, department_code, submission_type, file_name, sha256, bytes, received_at, status, "
    "row_count, superseded_by, updated_at, chain_seq, row_hash from audit.submission order by submission_id"
)


FIRST_FILE = [ORG_HEADER, org_row(1), org_row(2), org_row(3, form="未组建")]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw_counts(dsn: str) -> dict[str, int]:
    tables = [name for (name,) in query(dsn, "select tablename from pg_tables where schemaname = 'raw' order by 1")]
    return {table: query(dsn, f"select count(*) from raw.{table}")[0][0] for table in tables}


# the register's paths to kept files: a restore into another home moves them there
MOVED_WITH_THE_HOME = ("archive_path", "feedback_path")


def _digests(dsn: str) -> dict[str, tuple[int, str]]:
    """Every raw and audit table's rows (the paths that move with the home left out)."""
    tables = query(
        dsn, "select format('%%I.%%I', schemaname, tablename) from pg_tables where schemaname in ('raw', 'audit')"
    )
    return {table: table_digest(dsn, table, MOVED_WITH_THE_HOME) for (table,) in tables}


@pytest.fixture()
def loaded(clean_warehouse):
    """Three files through an ingest pass: one loaded, one superseding it, one quarantined."""
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    write_csv(landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账.csv"), FIRST_FILE, mtime=1_700_000_000)
    assert ingest_pass(trigger="test")[1].counts  # heads recorded after the pass
    write_csv(
        landing_path(landing, "xiangshan", "org_coverage", "2024年12月台账_更正.csv"),
        [ORG_HEADER, org_row(1), org_row(2)],
        mtime=1_700_000_100,
    )
    bad_code = org_row(5)
    bad_code[1] = bad_code[1][:-1] + ("0" if bad_code[1][-1] != "0" else "1")
    write_xlsx(landing_path(landing, "duji", "org_coverage", "bad.xlsx"), [ORG_HEADER, org_row(4), bad_code])
    outcomes, _ = ingest_pass(trigger="test")
    assert sorted(o.status for o in outcomes) == ["loaded", "quarantined"]
    return clean_warehouse


def test_restore_into_a_new_home_gives_back_the_record(loaded, swdw_home, tmp_path):
    out = tmp_path / "backup"
    made = run_cli("backup", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "backup: dumping" in made.stderr  # progress on stderr
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert not (out / "secrets").exists() and not manifest["includes_secrets"]
    [(seq, head)] = query(loaded, "select chain_seq, row_hash from audit.submission order by chain_seq desc limit 1")
    assert manifest["chain_heads"]["audit.submission"] == {"chain_seq": seq, "row_hash": head}
    assert manifest["postgresql_server_version"] == query(loaded, "show server_version")[0][0]

    register = query(loaded, REGISTER)
    raw_counts = _raw_counts(loaded)
    digests = _digests(loaded)
    originals = query(loaded, "select submission_id, archive_path, sha256 from audit.submission order by 1")
    assert len(register) == 3 and raw_counts["org_coverage"] == 5

    with new_home() as (home, env):
        restored = run_cli("restore", str(out), env=env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "every chain holds" in restored.stdout
        dsn = run_cli("dsn", env=env).stdout.strip()
        assert dsn != loaded

        assert query(dsn, REGISTER) == register
        assert _raw_counts(dsn) == raw_counts
        assert _digests(dsn) == digests  # every row of every raw and audit table
        restored_originals = query(dsn, "select submission_id, archive_path, sha256 from audit.submission order by 1")
        for (sid, source_path, sha), (_, target_path, _) in zip(originals, restored_originals, strict=True):
            # the register now points into the new home, where the same bytes are kept
            assert Path(target_path) == home / Path(source_path).relative_to(swdw_home)
            assert _sha256(Path(target_path)) == _sha256(Path(source_path)) == sha, sid
        [(feedback,)] = query(dsn, "select feedback_path from audit.submission where status = 'quarantined'")
        assert Path(feedback).is_relative_to(home) and Path(feedback).exists()

        verified = run_cli("audit", "verify", env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"{seq} rows  intact" in verified.stdout

        # the restored register knows the files it holds: the same bytes landed again load nothing
        landing = tmp_path / "landing_again"
        write_csv(landing_path(landing, "xiangshan", "org_coverage", "resent.csv"), FIRST_FILE)
        resent = run_cli("ingest", env={**env, "SWDW_LANDING_DIR": str(landing)})
        assert resent.returncode == 0, resent.stdout + resent.stderr
        assert query(dsn, "select count(*) from audit.submission")[0][0] == len(register)
        assert _raw_counts(dsn) == raw_counts
        # and a new file loads on top of the restored record
        write_csv(
            landing_path(landing, "xiangshan", "org_coverage", "2024年11月台账.csv"),
            [ORG_HEADER, org_row(7, period="2024-11")],
        )
        fresh = run_cli("ingest", env={**env, "SWDW_LANDING_DIR": str(landing)})
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        assert query(dsn, "select count(*) from audit.submission where status = 'loaded'")[0][0] == 2
        assert run_cli("audit", "verify", env=env).returncode == 0

        again = run_cli("restore", str(out), env=env)
        assert again.returncode == 2 and "not empty" in again.stderr, again.stderr
        assert "Traceback" not in again.stderr
        assert query(dsn, REGISTER)[: len(register)] == register


def test_restore_refuses_a_nonempty_database(loaded, tmp_path):
    """Kept files gone but the record still in the database: still refused, naming the table."""
    out = tmp_path / "backup"
    backup(str(out))
    with new_home() as (home, env):
        dsn = run_cli("dsn", env=env).stdout.strip()
        shutil.copytree(out, tmp_path / "copy")
        assert run_cli("restore", str(tmp_path / "copy"), env=env).returncode == 0
        for folder in ("archive", "quarantine", "artifacts"):
            shutil.rmtree(home / folder, ignore_errors=True)
        refused = run_cli("restore", str(out), env=env)
        assert refused.returncode == 2 and "audit.submission" in refused.stderr, refused.stderr
        assert query(dsn, "select count(*) from audit.submission")[0][0] == 3


@pytest.mark.parametrize("damage", ["changed", "truncated dump", "missing", "extra"])
def test_a_damaged_backup_is_refused_naming_the_file(loaded, tmp_path, damage):
    out = tmp_path / "backup"
    manifest = backup(str(out)).manifest
    originals = sorted(name for name in manifest["files"] if name.startswith("files/archive/"))
    if damage == "changed":
        named = out / originals[0]
        named.write_bytes(named.read_bytes().replace(b"2", b"3", 1))
    elif damage == "truncated dump":
        named = out / "warehouse.dump"
        named.write_bytes(named.read_bytes()[:-100])
    elif damage == "missing":
        named = out / originals[-1]
        named.unlink()
    else:
        named = out / "files" / "archive" / "slipped_in.csv"
        named.write_text("x")
    with new_home() as (home, env):
        refused = run_cli("restore", str(out), env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert str(named) in refused.stderr and "damaged backup" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert list(home.iterdir()) == []  # refused before anything was written


def test_secrets_only_when_asked(loaded, swdw_home, tmp_path):
    secrets = {"pii.key": "a-pii-key-not-for-backups", "bi/admin_password": "an-admin-password"}
    # earlier tests of the session may have written secrets of their own there: kept and put back
    earlier = {r: (swdw_home / r).read_bytes() for r in secrets if (swdw_home / r).exists()}
    for relative, value in secrets.items():
        (swdw_home / relative).parent.mkdir(parents=True, exist_ok=True)
        (swdw_home / relative).write_text(value)
    try:
        plain = backup(str(tmp_path / "plain"))
        assert set(secrets) <= set(plain.secrets_left_out)
        for path in (tmp_path / "plain").rglob("*"):
            if path.is_file():
                assert not any(value.encode() in path.read_bytes() for value in secrets.values()), path

        kept = backup(str(tmp_path / "kept"), include_secrets=True)
        for relative, value in secrets.items():
            copy = tmp_path / "kept" / "secrets" / relative
            assert copy.read_text() == value and (copy.stat().st_mode & 0o777) == 0o600
            assert f"secrets/{relative}" in kept.manifest["files"]
    finally:
        for relative in secrets:
            if relative in earlier:
                (swdw_home / relative).write_bytes(earlier[relative])
            else:
                (swdw_home / relative).unlink()


def test_chain_heads_recorded_after_the_snapshot_stay_out(loaded, swdw_home, tmp_path):
    """A head recorded after the dump's snapshot names rows the dump lacks: the backup leaves it out,
    else `audit verify` on the restored warehouse would report those rows deleted."""
    heads_file = heads_path()
    [(seq,)] = query(loaded, "select max(chain_seq) from audit.submission")
    later = json.loads(heads_file.read_text().splitlines()[-1])
    later["heads"]["audit.submission"] = {"chain_seq": seq + 1, "row_hash": "0" * 64}
    later["source"] = "recorded after the snapshot"
    with open(heads_file, "a") as handle:
        handle.write(json.dumps(later) + "\n")
    try:
        result = backup(str(tmp_path / "backup"))
        copy = tmp_path / "backup" / "files" / "artifacts" / heads_file.relative_to(swdw_home / "artifacts")
        lines = [json.loads(line) for line in copy.read_text().splitlines()]
        assert max(line["heads"]["audit.submission"]["chain_seq"] for line in lines) == seq
        assert len(lines) == len(heads_file.read_text().splitlines())  # the others kept, the snapshot's added
        assert lines[-1]["heads"] == result.manifest["chain_heads"]
    finally:
        heads_file.write_text("".join(heads_file.read_text().splitlines(keepends=True)[:-1]))
