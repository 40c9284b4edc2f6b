"""Finding submissions in the landing zone: <landing>/<department_code>/<submission_type>/<file>."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

SUPPORTED_SUFFIXES = (".xlsx", ".xls", ".csv", ".json")


@dataclass(frozen=True)
class LandingFile:
    path: str  # full path or fsspec URL
    department_code: str  # folder name as found ('' when the file is not at the documented depth)
    submission_type: str
    file_name: str
    modified: float

    def to_dict(self) -> dict:
        return asdict(self)


def landing_fs(landing: str):
    """The fsspec filesystem and root path of the landing zone (local path or URL)."""
    from fsspec.core import url_to_fs

    return url_to_fs(landing)


def _is_temporary(name: str) -> bool:
    # Excel lock files and editor droppings are not submissions
    return name.startswith(("~$", ".", ".~lock"))


def discover(landing: str) -> list[LandingFile]:
    """Every file in the landing zone, oldest first (ties by path), so later files supersede."""
    fs, root = landing_fs(landing)
    root = root.rstrip("/")
    if not fs.exists(root):
        return []
    found = []
    for path, info in fs.find(root, detail=True).items():
        rel = path[len(root) :].lstrip("/").split("/")
        name = rel[-1]
        if _is_temporary(name):
            continue
        department, submission_type = (rel[0], rel[1]) if len(rel) == 3 else ("", "")
        modified = info.get("mtime") or info.get("LastModified") or 0
        modified = modified.timestamp() if hasattr(modified, "timestamp") else float(modified)
        found.append(
            LandingFile(
                fs.unstrip_protocol(path) if "://" in landing else path, department, submission_type, name, modified
            )
        )
    return sorted(found, key=lambda f: (f.modified, f.path))


def remove_from_landing(landing_file: LandingFile) -> None:
    """Take a finished file out of the landing zone (its original is kept by then)."""
    fs, path = landing_fs(landing_file.path)
    if fs.exists(path):
        fs.rm(path)


def read_bytes(path: str) -> bytes:
    from fsspec.core import url_to_fs

    fs, local = url_to_fs(path)
    with fs.open(local, "rb") as handle:
        return handle.read()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
