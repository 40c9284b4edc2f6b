"""`swdw backup` and `swdw restore`: the warehouse and its kept files as one folder with a manifest.

A backup folder holds
- ``warehouse.dump``: pg_dump (custom format) of swdw's schemas, one snapshot (ingest.warehouse.dump);
- ``files/archive``, ``files/quarantine``, ``files/artifacts``: the kept originals, the quarantined
  files with their feedback, and the artifacts (Data Docs, validation pages, lineage, dbt docs,
  the audit chain heads), copied after the dump from the artifact store (a local folder or
  ``s3://…``, ``SWDW_ARTIFACTS_URL``) and restored into the target's store;
- ``secrets/`` (0700, files 0600) only with ``--include-secrets``: the PII key file and the
  generated passwords and secret keys;
- ``MANIFEST.json``: the sha256 and size of every other file, the swdw and PostgreSQL versions,
  the schema version, the audit chain heads of the dump's snapshot.

Consistency: the files are read after the dump. An original is written before its register row
commits, so every submission in the dump finds its files; a file kept after the snapshot is
extra and harmless (its landing file is not registered in the restored warehouse, so a rerun
loads it again). The recorded chain heads are the exception: a head recorded after the snapshot
names rows the dump lacks, so the copy keeps only the recordings the snapshot reaches and adds
the snapshot's own heads, which `swdw audit verify` then checks the restored chains against.

Restore checks every file against the manifest before writing anything, refuses a target that
holds a record (a raw or audit row, or kept files), then restores the dump, the files and the
secrets, and verifies the audit chains. A restore stopped halfway (killed, disk full) leaves a
partial target: the database part is one transaction, the file copy is not; remove the target
home (or empty the database) and run it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ingest.artifact_store import ARCHIVE_KEY, QUARANTINE_KEY, ArtifactStore, artifact_store
from ingest.config import settings
from ingest.intake.pii import key_fingerprint
from ingest.warehouse.audit_chain import HEADS_KEY, print_verification, verify_chains
from ingest.warehouse.connection import bootstrap
from ingest.warehouse.dump import (
    DumpError,
    dump_warehouse,
    nonempty_record_tables,
    relocate_kept_paths,
    restore_warehouse,
)

MANIFEST = "MANIFEST.json"
MANIFEST_FORMAT = 1
DUMP_FILE = "warehouse.dump"
FILES_DIR = "files"
SECRETS_DIR = "secrets"
CHUNK = 1024 * 1024
PROGRESS_SECONDS = 2.0


class BackupError(RuntimeError):
    """A backup or restore refused or failed: the message says which file or what to do."""


# the artifact store's folders a backup copies, by their name in the backup too
KEPT_FOLDERS = (ARCHIVE_KEY, QUARANTINE_KEY, "artifacts")


def _kept_files(store: ArtifactStore) -> dict[str, int]:
    """Every kept file's key in the store with its size (the chain heads are copied apart; lock files are not kept)."""
    return {
        key: size
        for folder in KEPT_FOLDERS
        for key, size in sorted(store.sizes(folder).items())
        if key != HEADS_KEY and not key.endswith(".lock")
    }


def _secret_files() -> dict[str, Path]:
    """Secrets generated into $SWDW_HOME, by their path relative to it; copied only when asked."""
    home = settings().home
    bi = home / "bi"  # Superset's home (ingest.bi.superset_env; an edge above jobs, so not imported)
    airflow = home / "airflow"  # AIRFLOW_HOME of the local services (ingest.airflow.local_runner)
    paths = [
        home / "pii.key",
        bi / "secret_key",
        bi / "admin_password",
        bi / "viewer_password",
        bi / "warehouse_reader_password",
        airflow / "simple_auth_manager_passwords.json",
        airflow / "run" / "api_secret_key",
        airflow / "run" / "jwt_secret",
    ]
    return {str(path.relative_to(home)): path for path in paths}


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _regular_files(root: Path) -> list[Path]:
    """Every regular file under ``root`` (links are not followed: the kept files are regular files)."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


class _Copier:
    """Copies files with a progress line on stderr every few seconds."""

    def __init__(self, verb: str, total_files: int, total_bytes: int):
        self.verb, self.total_files, self.total_bytes = verb, total_files, total_bytes
        self.files = self.bytes = 0
        self.last = time.monotonic()
        _progress(f"{verb}: {total_files} files, {_size(total_bytes)}")

    def copy(self, source: Path, target: Path, mode: int | None = None) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
        shutil.copy2(source, target)
        if mode is not None:
            os.chmod(target, mode)
        self._count(source.stat().st_size)

    def fetch(self, store: ArtifactStore, key: str, target: Path) -> None:
        """A kept file out of the artifact store into the backup (0600 as every kept file)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
        store.fs.get_file(store.path(key), str(target))
        os.chmod(target, 0o600)
        self._count(target.stat().st_size)

    def upload(self, source: Path, store: ArtifactStore, key: str) -> None:
        """A kept file of the backup into the target's artifact store."""
        store.put(key, source.read_bytes())
        self._count(source.stat().st_size)

    def _count(self, size: int) -> None:
        self.files += 1
        self.bytes += size
        if time.monotonic() - self.last >= PROGRESS_SECONDS:
            self.last = time.monotonic()
            _progress(
                f"{self.verb}: {self.files}/{self.total_files} files, {_size(self.bytes)}/{_size(self.total_bytes)}"
            )


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB"


def _swdw_version() -> str:
    try:
        return metadata.version("swdw")
    except metadata.PackageNotFoundError:
        return "unknown"


def _heads_within(recorded: str, target: Path, snapshot_heads: dict[str, dict], created_at: str) -> None:
    """Copy heads.jsonl keeping the recordings the snapshot reaches, then the snapshot's own heads."""
    kept = []
    if recorded:
        for line in recorded.splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            reached = all(
                head["chain_seq"] <= snapshot_heads.get(table, {}).get("chain_seq", 0)
                for table, head in entry["heads"].items()
            )
            if reached:
                kept.append(line)
    snapshot_line = {"recorded_at": created_at, "source": "backup", "heads": snapshot_heads}
    kept.append(json.dumps(snapshot_line, sort_keys=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")


def _default_out() -> Path:
    return Path.cwd() / f"swdw-backup-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}"


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    manifest: dict
    secrets: list[str]  # relative to $SWDW_HOME, copied into secrets/
    secrets_left_out: list[str]


def backup(out: str | None = None, include_secrets: bool = False) -> BackupResult:
    folder = Path(out).resolve() if out else _default_out()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give --out a new or empty folder")
    store = artifact_store()
    roots = [store.local_path(name) for name in KEPT_FOLDERS] if store.is_local else []
    if inside := [root for root in roots if folder.is_relative_to(root)]:
        raise BackupError(f"{folder} is inside {inside[0]}, which the backup copies: choose a folder outside it")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # the originals hold personal data
    try:
        return _write_backup(folder, include_secrets)
    except BaseException:
        # a partial backup must not pass for one: remove what this run wrote
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise


def _write_backup(folder: Path, include_secrets: bool) -> BackupResult:
    config = settings()
    bootstrap()  # as every command: a warehouse never used yet gets its schemas, so the dump has them
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    _progress("backup: dumping the warehouse database (one snapshot)")
    started = time.monotonic()
    try:
        facts = dump_warehouse(folder / DUMP_FILE)
    except DumpError as exc:
        raise BackupError(str(exc)) from exc
    _progress(f"backup: {DUMP_FILE} {_size((folder / DUMP_FILE).stat().st_size)} in {time.monotonic() - started:.1f} s")

    store = artifact_store()
    keys = _kept_files(store)
    copier = _Copier("backup: copying kept files", len(keys), sum(keys.values()))
    for key in keys:
        copier.fetch(store, key, folder / FILES_DIR / key)
    heads = store.get_text(HEADS_KEY) if store.exists(HEADS_KEY) else ""
    _heads_within(heads, folder / FILES_DIR / HEADS_KEY, facts.chain_heads, created_at)

    secrets = [(relative, path) for relative, path in _secret_files().items() if path.is_file()]
    if include_secrets:
        for relative, path in secrets:
            target = folder / SECRETS_DIR / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(folder / SECRETS_DIR, 0o700)
            shutil.copyfile(path, target)
            os.chmod(target, 0o600)

    _progress("backup: hashing every file for the manifest")
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": created_at,
        "swdw_version": _swdw_version(),
        "postgresql_server_version": facts.server_version,
        "schema_version": facts.schema_version,
        "source_home": str(config.home),
        "source_store": store.uri(""),
        "external_database": bool(config.warehouse_dsn),
        "submissions": facts.submissions,
        "roles": facts.roles,
        "chain_heads": facts.chain_heads,
        "includes_secrets": include_secrets,
        "files": {
            str(path.relative_to(folder)): {"sha256": _sha256(path), "size": path.stat().st_size}
            for path in _regular_files(folder)
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return BackupResult(
        folder=folder,
        manifest=manifest,
        secrets=[relative for relative, _ in secrets] if include_secrets else [],
        secrets_left_out=[] if include_secrets else [relative for relative, _ in secrets],
    )


def print_backup(out: str | None, include_secrets: bool) -> None:
    result = backup(out, include_secrets)
    manifest = result.manifest
    total = sum(entry["size"] for entry in manifest["files"].values())
    print(
        f"backup: {result.folder}  ({len(manifest['files'])} files, {_size(total)}; "
        f"{manifest['submissions']} submissions; PostgreSQL {manifest['postgresql_server_version']}, "
        f"schema version {manifest['schema_version'] or 'none recorded'}, swdw {manifest['swdw_version']})"
    )
    if result.secrets:
        print(f"secrets included under {result.folder / SECRETS_DIR} (0600): {', '.join(result.secrets)}")
        print("keep this backup as carefully as the secrets themselves")
    else:
        left_out = ", ".join(result.secrets_left_out) or "none found under $SWDW_HOME"
        print(f"secrets not included (--include-secrets to add them): {left_out}")
    # the fingerprint names the key this backup needs (the warehouse refuses a pass under any other)
    if os.environ.get("SWDW_PII_KEY"):
        print(
            f"the PII key (fingerprint {key_fingerprint()}) comes from SWDW_PII_KEY: keep it apart; "
            "without it restored hashes no longer join"
        )
    elif not result.secrets:
        known = f" (fingerprint {key_fingerprint()})" if (settings().home / "pii.key").exists() else ""
        print(
            f"keep the PII key ($SWDW_HOME/pii.key){known} apart from this backup: without it new hashes no longer join"
        )


def _load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path}: missing, {folder} is not a swdw backup") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not a readable manifest ({exc})") from None
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{path}: not a swdw backup manifest of format {MANIFEST_FORMAT}")
    return manifest


def verify_backup(folder: Path) -> dict:
    """The manifest, once every file matches it: a missing, changed, truncated or extra file is named."""
    manifest = _load_manifest(folder)
    listed = manifest["files"]
    if DUMP_FILE not in listed:
        raise BackupError(f"{folder / MANIFEST}: lists no {DUMP_FILE}")
    present = {str(path.relative_to(folder)) for path in _regular_files(folder)} - {MANIFEST}
    if extras := sorted(present - set(listed)):
        raise BackupError(f"damaged backup: {folder / extras[0]} is not in the manifest")
    _progress(f"restore: checking {len(listed)} files against the manifest")
    for relative, expected in sorted(listed.items()):
        path = folder / relative
        if not path.is_file():
            raise BackupError(f"damaged backup: {path} is missing")
        size = path.stat().st_size
        if size != expected["size"]:
            raise BackupError(f"damaged backup: {path} has {size} bytes, the manifest says {expected['size']}")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"damaged backup: {path} does not match its sha256 in the manifest")
    return manifest


def _nonempty_target_folders(store: ArtifactStore) -> list[str]:
    return [store.uri(name) for name in KEPT_FOLDERS if store.keys(name)]


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    files: int
    secrets: list[str]
    relocated_paths: int


def restore(source: str) -> RestoreResult:
    folder = Path(source).resolve()
    manifest = verify_backup(folder)  # before anything is written
    config, store = settings(), artifact_store()
    if busy := _nonempty_target_folders(store):
        raise BackupError(
            f"refused: the target home {config.home} is not empty ({', '.join(map(str, busy))}); "
            "restore into a new SWDW_HOME (and an empty SWDW_ARTIFACTS_URL)"
        )
    secret_names = [name for name in manifest["files"] if Path(name).parts[0] == SECRETS_DIR]
    secret_targets = {name: config.home / Path(name).relative_to(SECRETS_DIR) for name in secret_names}
    if clash := [str(path) for path in secret_targets.values() if path.exists()]:
        raise BackupError(
            f"refused: the target home already holds secrets the backup would replace: {', '.join(clash)}"
        )
    _progress("restore: checking that the target database holds no record")
    try:
        if tables := nonempty_record_tables():
            raise BackupError(
                f"refused: the target database is not empty ({', '.join(tables[:5])}"
                f"{', …' if len(tables) > 5 else ''} hold rows); restore into an empty database"
            )
        _progress(f"restore: pg_restore of {DUMP_FILE}")
        restore_warehouse(folder / DUMP_FILE, manifest.get("roles", []))
    except DumpError as exc:
        raise BackupError(str(exc)) from exc

    kept = [
        (folder / name, Path(name).relative_to(FILES_DIR).as_posix())
        for name in manifest["files"]
        if Path(name).parts[0] == FILES_DIR
    ]
    copier = _Copier("restore: copying kept files", len(kept), sum(s.stat().st_size for s, _ in kept))
    for source_path, key in kept:
        if store.is_local:
            copier.copy(source_path, store.local_path(key))
        else:
            copier.upload(source_path, store, key)
    for name, target in secret_targets.items():
        copier.copy(folder / name, target, mode=0o600)

    relocated = 0
    # the register names kept files by their uri in the store they were kept in (a backup of before
    # the artifact store was named: its home)
    source_store = manifest.get("source_store") or manifest.get("source_home", "").rstrip("/") + "/"
    if manifest.get("source_home") and source_store != store.uri(""):
        relocated = relocate_kept_paths(source_store, store.uri(""))
    return RestoreResult(manifest, len(kept), sorted(secret_targets), relocated)


def print_restore(source: str) -> bool:
    """Restore, report, then verify the audit chains as `swdw audit verify` does; True when they hold."""
    result = restore(source)
    manifest = result.manifest
    print(
        f"restore: {manifest['submissions']} submissions and {result.files} kept files from the backup of "
        f"{manifest['created_at']} (swdw {manifest['swdw_version']}, PostgreSQL {manifest['postgresql_server_version']}) "
        f"into {settings().home}"
    )
    if result.relocated_paths:
        print(
            f"restore: {result.relocated_paths} register paths moved from {manifest.get('source_store') or manifest['source_home']} to {artifact_store().uri('')}"
        )
    if result.secrets:
        print(f"restore: secrets restored (0600): {', '.join(result.secrets)}")
    elif not os.environ.get("SWDW_PII_KEY"):
        print(
            "restore: the backup holds no PII key: put the original key in $SWDW_HOME/pii.key or SWDW_PII_KEY "
            "before the next ingest (the warehouse refuses a pass under another key), or use "
            "`swdw pii-fingerprint` to check a key against it"
        )
    print(
        "restore: Superset and Airflow metadata are not in the backup (run history and UI state are not the "
        "record): `swdw airflow up` creates and migrates Airflow's metadata database on the restored server "
        "(airflow db migrate), `swdw bi up` runs superset db upgrade and init and imports the committed bundle"
    )
    _progress("restore: verifying the audit chains")
    reports = verify_chains()
    print_verification(reports)
    return not any(report.broken for report in reports)
