"""The kept originals: accepted files under archive/, rejected ones under quarantine/<id>/ (docs/design.md §4),
keys of the artifact store (``ingest.artifact_store``): the register names each by its uri."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ingest.artifact_store import ARCHIVE_KEY, QUARANTINE_KEY, artifact_store
from ingest.config import settings
from ingest.intake.landing import REFUSALS, refusal_of


def keep_copy(data: bytes, folder: str, file_name: str) -> str:
    """Keep the original bytes whole in the artifact store under ``folder`` (a key); returns the uri."""
    return artifact_store().put(f"{folder}/{file_name}", data)


def archive_original(data: bytes, submission_id: int, department_code: str, file_name: str) -> str:
    return keep_copy(data, f"{ARCHIVE_KEY}/{department_code}", f"{submission_id}_{file_name}")


def quarantine_folder(submission_id: int) -> str:
    """The key of a quarantined submission's folder: its original and its feedback report."""
    return f"{QUARANTINE_KEY}/{submission_id}"


def set_aside(path: str, folder: str, file_name: str) -> str | None:
    """Take a landing entry that is never read (a link, a pipe, an oversize file) into ``folder`` (a key), unopened.

    The quarantine holds regular files only. The entry is moved first by a rename, which moves
    the entry itself, not what a link points at; there, out of reach of whoever writes the
    landing zone, a regular file takes its name, and anything else (a symbolic link, a pipe, a
    device, a file with other names elsewhere) is replaced by a note of what it was, such as
    `<name>.symlink.txt` naming the link's target: whoever opens the kept original never reads
    through it. Across file systems a rename is impossible and copying would mean reading: a
    regular file is left in place (it stays registered, so later runs only see it as a
    duplicate); anything else is noted and removed from the landing zone. The entry is moved into
    the local set-aside folder (the store's own folder when it is local); a regular file is then
    taken into the store, which reads it as a stream, never parsed.
    """
    store = artifact_store()
    local = store.local_path(folder) if store.is_local else settings().home / "set_aside" / folder
    local.mkdir(parents=True, exist_ok=True)
    os.chmod(local, 0o700)
    moved = local / ".entry"  # the folder is this submission's alone
    try:
        os.rename(path, moved)
    except OSError:
        moved = None
    entry = moved or Path(path)
    try:
        info = os.lstat(entry)
    except OSError:
        return None
    refusal = refusal_of(info.st_mode, info.st_nlink)
    if refusal is None:
        if moved is None:
            return None
        return store.adopt(moved, f"{folder}/{file_name}")
    note = keep_copy(_entry_note(entry, refusal), folder, f"{file_name}.{refusal}.txt")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(entry)  # removes the link, pipe or device node itself, never what it leads to
    return note


def _entry_note(entry: Path, refusal: str) -> bytes:
    """What a refused entry was, in both languages; a link's target as its bytes are (not followed)."""
    zh, en = REFUSALS[refusal]
    note = (
        f"此项是{zh}，不是可接受的普通文件：未读取，其内容未保存。\n"
        f"this entry is {en}, not a regular file to accept: not read, nothing of it kept.\n"
    ).encode()
    if refusal == "symlink":
        note += "指向 / pointing at: ".encode() + os.fsencode(os.readlink(entry)) + b"\n"
    return note
