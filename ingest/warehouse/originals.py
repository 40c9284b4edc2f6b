"""The kept originals: accepted files under archive/, rejected ones under quarantine/<id>/ (DESIGN §4)."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.config import settings


def keep_copy(data: bytes, folder: Path, file_name: str) -> Path:
    """Write the original bytes durably (fsync, then rename), readable by the service account alone."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / file_name
    tmp = target.with_name(target.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    return target


def archive_original(data: bytes, submission_id: int, department_code: str, file_name: str) -> Path:
    return keep_copy(data, settings().archive_dir / department_code, f"{submission_id}_{file_name}")


def quarantine_folder(submission_id: int) -> Path:
    return settings().quarantine_dir / str(submission_id)


def set_aside(path: str, folder: Path, file_name: str) -> Path | None:
    """Move a landing entry that is never read (a link, a pipe, an oversize file) into ``folder`` as it is.

    A rename moves the entry itself, not what a link points at. Across file systems a rename is
    impossible and copying would mean reading: the entry is left in place (it stays registered,
    so later runs only see it as a duplicate).
    """
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / file_name
    try:
        os.rename(path, target)
    except OSError:
        return None
    return target
