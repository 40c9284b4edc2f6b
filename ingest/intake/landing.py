"""The landing zone, a trust boundary: <landing>/<department_code>/<submission_type>/<file>.

Only regular files are submissions. A symbolic link, a named pipe, a device, a socket or a
regular file with other names elsewhere (a hard link) is listed with a ``refusal`` and never
opened: following it could read outside the landing root, block forever or never end. A
regular file is opened without following links, checked again on the open descriptor (the
name may have been swapped since discovery), and read up to the size limit and no further.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".xlsx", ".xls", ".csv", ".json")

# file-system kinds that are refused without being opened: refusal code -> (中文, English)
REFUSALS = {
    "symlink": ("符号链接", "a symbolic link"),
    "fifo": ("命名管道", "a named pipe (FIFO)"),
    "device": ("设备文件", "a device file"),
    "socket": ("套接字", "a socket"),
    "hardlink": ("硬链接（文件另有其他名称）", "a hard link (the file has other names)"),
    "other": ("非普通文件", "not a regular file"),
}


class FileTooLarge(Exception):
    """The file is above the size limit: it is refused without reading it whole."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"file is {size} bytes, above the {limit} limit")
        self.size, self.limit = size, limit


class NotARegularFile(Exception):
    """The name no longer points at a regular file (swapped since discovery)."""

    def __init__(self, refusal: str):
        super().__init__(REFUSALS[refusal][1])
        self.refusal = refusal


@dataclass(frozen=True)
class LandingFile:
    path: str  # full path or fsspec URL
    department_code: str  # folder name as found ('' when the file is not at the documented depth)
    submission_type: str
    file_name: str
    modified: float
    size: int = 0
    refusal: str | None = None  # a REFUSALS code: never opened
    link_target: str | None = None  # what a symbolic link points at, for the record

    def to_dict(self) -> dict:
        return asdict(self)

    def identity(self) -> str:
        """A register key for a file whose bytes are never read: 'unread:' + a hash of what is known of it."""
        known = f"{self.refusal}|{self.department_code}/{self.submission_type}/{self.file_name}|{self.size}|"
        known += f"{self.modified}|{self.link_target}"
        return "unread:" + hashlib.sha256(known.encode()).hexdigest()


def landing_fs(landing: str):
    """The fsspec filesystem and root path of the landing zone (local path or URL)."""
    from fsspec.core import url_to_fs

    return url_to_fs(landing)


def _is_local(landing: str) -> bool:
    return "://" not in landing or landing.startswith("file://")


def _is_temporary(name: str) -> bool:
    # Excel lock files and editor droppings are not submissions
    return name.startswith(("~$", ".", ".~lock"))


def refusal_of(mode: int, links: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if not stat.S_ISREG(mode):
        return "other"
    return "hardlink" if links > 1 else None


def _entry(root: Path, path: Path) -> LandingFile:
    rel = path.relative_to(root).parts
    department, submission_type = (rel[0], rel[1]) if len(rel) == 3 else ("", "")
    info = path.lstat()
    refusal = refusal_of(info.st_mode, info.st_nlink)
    target = os.readlink(path) if refusal == "symlink" else None
    return LandingFile(str(path), department, submission_type, path.name, info.st_mtime, info.st_size, refusal, target)


def _discover_local(root: Path) -> list[LandingFile]:
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        # a symbolic link to a folder is listed as a refused entry and not descended into
        linked = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = sorted(d for d in dirs if d not in linked and not _is_temporary(d))
        for name in sorted([*files, *linked]):
            if not _is_temporary(name):
                found.append(_entry(root, here / name))
    return found


def discover(landing: str) -> list[LandingFile]:
    """Every entry in the landing zone, oldest first (ties by path), so later files supersede."""
    fs, root = landing_fs(landing)
    root = root.rstrip("/")
    if not fs.exists(root):
        return []
    if _is_local(landing):
        found = _discover_local(Path(root))
    else:  # an object store has no links, pipes or devices
        found = []
        for path, info in fs.find(root, detail=True).items():
            rel = path[len(root) :].lstrip("/").split("/")
            if _is_temporary(rel[-1]):
                continue
            department, submission_type = (rel[0], rel[1]) if len(rel) == 3 else ("", "")
            modified = info.get("mtime") or info.get("LastModified") or 0
            modified = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
            found.append(
                LandingFile(
                    fs.unstrip_protocol(path),
                    department,
                    submission_type,
                    rel[-1],
                    modified,
                    int(info.get("size") or 0),
                )
            )
    return sorted(found, key=lambda f: (f.modified, f.path))


def remove_from_landing(landing_file: LandingFile) -> None:
    """Take a finished entry out of the landing zone (its original is kept by then); never follows a link."""
    if _is_local(landing_file.path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(landing_file.path)
        return
    fs, path = landing_fs(landing_file.path)
    if fs.exists(path):
        fs.rm(path)


def read_landing_file(landing_file: LandingFile, limit: int) -> bytes:
    """The file's bytes, read from a regular file only and never more than ``limit``.

    Raises FileNotFoundError (gone), NotARegularFile (swapped for a link, pipe or device since
    discovery) or FileTooLarge (above the limit: stops reading there).
    """
    if not _is_local(landing_file.path):
        fs, path = landing_fs(landing_file.path)
        size = int(fs.info(path).get("size") or 0)
        if size > limit:
            raise FileTooLarge(size, limit)
        with fs.open(path, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise FileTooLarge(len(data), limit)
        return data
    # O_NOFOLLOW: a link is not followed; O_NONBLOCK: opening a FIFO does not wait for a writer
    fd = os.open(landing_file.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        refusal = refusal_of(info.st_mode, info.st_nlink)
        if refusal:
            raise NotARegularFile(refusal)
        if info.st_size > limit:
            raise FileTooLarge(info.st_size, limit)
        chunks, total = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise FileTooLarge(total, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
