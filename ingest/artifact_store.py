"""The artifact store: every file one process writes and another reads, in one fsspec location.

Kept originals, feedback reports, validation pages and their paged index, lineage events, dbt
target and docs, and the audit chain heads live under ``SWDW_ARTIFACTS_URL``: by default the local
folder ``$SWDW_HOME`` (a shared mount when workers run on several machines), or ``s3://bucket/prefix``
through s3fs for MinIO or a cloud store (credentials and endpoint from the usual ``AWS_*``
variables, e.g. ``AWS_ENDPOINT_URL_S3`` for MinIO). Keys keep the local folder's layout
(``archive/<department>/<id>_<file>``, ``quarantine/<id>/…``, ``artifacts/…``), so a local store
is exactly the folder it always was.

A file is written whole or not at all: locally by fsync and rename, on S3 by one PUT. The register
holds a kept file's ``uri``: an absolute path in a local store, ``s3://…`` otherwise, and ``read``
takes either.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import fsspec

from ingest.config import swdw_home

ARTIFACTS_URL_ENV = "SWDW_ARTIFACTS_URL"
# the store's folders
ARCHIVE_KEY = "archive"  # accepted originals: archive/<department>/<id>_<file>; mail: archive/mail/
QUARANTINE_KEY = "quarantine"  # quarantine/<id>/: the refused original and its feedback report
DATA_DOCS_KEY = "artifacts/data_docs"  # the validation pages and their paged index
DBT_DOCS_KEY = "artifacts/dbt_docs"  # dbt's docs site with its target files (manifest, catalog, run results)

# the lock an object store's writers share, which it has none of itself: the warehouse's advisory
# lock, given by ingest.warehouse.connection when it loads (this layer cannot import the warehouse)
_object_store_lock: Callable[[str], AbstractContextManager] | None = None


def use_object_store_lock(lock: Callable[[str], AbstractContextManager]) -> None:
    global _object_store_lock
    _object_store_lock = lock


@dataclass(frozen=True)
class ArtifactStore:
    url: str  # the root: a local folder or protocol://bucket/prefix, without a trailing slash

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        # not kept on the store: fsspec caches one instance per process and options, and a forked
        # child (a Celery worker's task) must not reuse its parent's connections
        return fsspec.core.url_to_fs(self.url, **_options(self.url))[0]

    @property
    def is_local(self) -> bool:
        return "://" not in self.url or self.url.startswith("file://")

    @functools.cached_property
    def _root(self) -> str:
        return fsspec.core.url_to_fs(self.url, **_options(self.url))[1].rstrip("/")

    def path(self, key: str) -> str:
        """The filesystem path of ``key`` (for the fs; not a URI)."""
        return f"{self._root}/{key.strip('/')}"

    def uri(self, key: str) -> str:
        """What the register and the pages name a file by: a local path, or protocol://bucket/key."""
        if self.is_local:
            return self.path(key)
        return f"{self.url.split('://', 1)[0]}://{self.path(key)}"

    def local_path(self, key: str) -> Path:
        """The file of ``key`` in a local store (a remote store has none)."""
        if not self.is_local:
            raise ValueError(f"{self.url} is not a local folder")
        return Path(self.path(key))

    def put(self, key: str, data: bytes) -> str:
        """Write ``key`` whole (readable by the service account alone when local); returns its uri."""
        if not self.is_local:
            self.fs.pipe_file(self.path(key), data)
            return self.uri(key)
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        return str(target)

    def put_text(self, key: str, text: str) -> str:
        return self.put(key, text.encode("utf-8"))

    def adopt(self, local: Path, key: str) -> str:
        """Take a finished local file into the store as ``key`` (moved when the store is local)."""
        if self.is_local:
            target = self.local_path(key)
            if Path(local).resolve() != target.resolve():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(local, target)
            return str(target)
        self.fs.put_file(str(local), self.path(key))
        Path(local).unlink()
        return self.uri(key)

    def adopt_copy(self, local: Path, key: str) -> str:
        """Copy a local file into the store as ``key`` (it stays where it is); returns its uri."""
        if self.is_local and Path(local).resolve() == self.local_path(key).resolve():
            return str(local)
        return self.put(key, Path(local).read_bytes())

    def get(self, key: str) -> bytes:
        return self.fs.cat_file(self.path(key))

    def get_text(self, key: str) -> str:
        return self.get(key).decode("utf-8")

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def keys(self, prefix: str) -> list[str]:
        """Every file's key under ``prefix`` (a folder), sorted."""
        return sorted(self.sizes(prefix))

    def sizes(self, prefix: str) -> dict[str, int]:
        """Every file's key under ``prefix`` (a folder) with its size in bytes, from one listing."""
        root = self.path(prefix)
        if not self.fs.exists(root):
            return {}
        base = self._root + "/"
        found = self.fs.find(root, detail=True)
        return {path.removeprefix(base): info["size"] for path, info in found.items() if not path.endswith(".part")}

    def append(self, key: str, data: bytes) -> None:
        """Add ``data`` at the end of ``key``; call it inside ``writing(key)``.

        A local file takes an appended, fsynced write; an object has no append, so it is written whole again.
        """
        if not self.is_local:
            before = self.get(key) if self.exists(key) else b""
            self.put(key, before + data)
            return
        target = self.local_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def delete(self, key: str) -> None:
        if self.fs.exists(self.path(key)):
            self.fs.rm_file(self.path(key))

    @contextlib.contextmanager
    def writing(self, key: str):
        """One writer at a time of the shared artifact ``key`` (read, changed, written back), on any machine.

        A local (or mounted) folder locks a file beside it; an object store takes the warehouse's lock.
        """
        if self.is_local:
            lock_file = self.local_path(f"{key}.lock")
            lock_file.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_file, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield
            return
        if _object_store_lock is None:
            raise RuntimeError(f"writing {key} to {self.url} needs the warehouse's lock (ingest.warehouse.connection)")
        with _object_store_lock(key):
            yield

    def push_tree(self, local: Path, prefix: str) -> int:
        """Upload every file under the local folder ``local`` to ``prefix``; returns how many."""
        files = [p for p in sorted(Path(local).rglob("*")) if p.is_file()]
        for file in files:
            self.fs.put_file(str(file), self.path(f"{prefix}/{file.relative_to(local).as_posix()}"))
        return len(files)

    def pull_tree(self, prefix: str, local: Path) -> int:
        """Download every file under ``prefix`` into the local folder ``local``; returns how many."""
        keys = self.keys(prefix)
        for key in keys:
            target = Path(local) / key.removeprefix(prefix.strip("/") + "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(self.path(key), str(target))
        return len(keys)


def artifact_store(env=None) -> ArtifactStore:
    """The store named by SWDW_ARTIFACTS_URL, else the local folder $SWDW_HOME (of ``env``, this process's by default)."""
    env = os.environ if env is None else env
    url = env.get(ARTIFACTS_URL_ENV) or str(swdw_home(env))
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    return ArtifactStore(url.rstrip("/"))


def _options(url: str) -> dict:
    """The endpoint of an S3-compatible store (MinIO), named in the options so that fsspec's cached
    instance is one per endpoint (botocore reads the same variables; they are explicit here)."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return {"endpoint_url": endpoint} if url.startswith("s3://") and endpoint else {}


def read(uri: str) -> bytes:
    """The bytes of a kept file named by its uri (a local path or protocol://…), as the register holds it."""
    with fsspec.open(uri, "rb", **_options(uri)) as handle:
        return handle.read()


def modified_at(uri: str) -> float:
    """When a kept file was written (seconds since the epoch), as its store says."""
    fs, path = fsspec.core.url_to_fs(uri, **_options(uri))
    return fs.modified(path).timestamp()


def readable(uri: str | None) -> bool:
    if not uri:
        return False
    fs, path = fsspec.core.url_to_fs(uri, **_options(uri))
    return fs.exists(path)
