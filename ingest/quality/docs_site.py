"""Where the validation pages are written, and how they reach the artifact store.

In a local store (the default, or a shared mount) GX's site *is* the store's folder
``artifacts/data_docs``: pages and index are written in place, under a file lock. In an object
store each worker renders into a working copy (``$SWDW_HOME/work/data_docs``) and uploads what it
wrote: a new page (and GX's static files, once); the paged index is read, changed and written back
under the warehouse's lock (``ArtifactStore.writing``), so concurrent workers lose no entry.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from ingest.artifact_store import DATA_DOCS_KEY, artifact_store
from ingest.config import settings

INDEX_FOLDER = "index"
ENTRIES_NAME = re.compile(r"entries-\d{4,}\.jsonl")  # one index page's entries


def working_site() -> Path:
    """The folder GX renders the site into: the store's own when local, else this worker's copy."""
    store = artifact_store()
    return store.local_path(DATA_DOCS_KEY) if store.is_local else settings().home / "work" / "data_docs"


def _key(site: Path, path: Path) -> str:
    return f"{DATA_DOCS_KEY}/{Path(path).relative_to(site).as_posix()}"


def relative_of(url: str) -> str | None:
    """The site-relative path of a page named by its store uri (None for a file:// or other url)."""
    prefix = artifact_store().uri(DATA_DOCS_KEY) + "/"
    return url.removeprefix(prefix) if url.startswith(prefix) and "://" in prefix else None


def publish_page(site: Path, path: Path, local_url: str | None = None) -> str:
    """Make a page just written reachable by every worker; returns the url the register keeps
    (``local_url``, GX's file url, when the site is the store's own folder)."""
    store = artifact_store()
    if store.is_local:
        return local_url or f"file://{path}"
    _push_static_once(str(site))
    return store.adopt_copy(Path(path), _key(site, path))


@functools.cache
def _push_static_once(site: str) -> None:
    """GX's static files (made offline), uploaded by each worker process once: identical everywhere."""
    store = artifact_store()
    for folder in sorted(p for p in Path(site).iterdir() if p.is_dir() and p.name not in (INDEX_FOLDER, "validations")):
        store.push_tree(folder, _key(Path(site), folder))


def page_path(site: Path, url: str) -> Path:
    """The file of a page in the site: named by a file:// url, a store uri or a site-relative path."""
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    return Path(site) / (relative_of(url) or url)


def local_page(site: Path, url: str) -> Path | None:
    """The page a url names, in the working copy (fetched from an object store); None when it is
    not there or not of this site."""
    try:
        relative = page_path(site, url).relative_to(site).as_posix()
    except ValueError:  # a file url of another site (e.g. before a restore elsewhere)
        return None
    return fetch_page(site, relative)


def fetch_page(site: Path, relative: str) -> Path | None:
    """The page in the working copy, fetched from an object store first; None when it is not there."""
    store, path = artifact_store(), Path(site) / relative
    if not store.is_local:
        key = f"{DATA_DOCS_KEY}/{relative}"
        if not store.exists(key):
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(store.get(key))
    return path if path.exists() else None


def last_page(numbers: list[int]) -> set[int]:
    """What an append needs of the index: the page it goes to (the last) or starts after."""
    return set(numbers[-1:])


@contextlib.contextmanager
def index_session(site: Path, needed: Callable[[list[int]], set[int]] = last_page):
    """One writer of the paged index at a time, on any worker.

    In an object store the index pages ``needed`` (given the numbers there are) are fetched into
    the working copy first, the others stand there as empty names (the index lists them; nothing
    writes them), so an update costs the same in the thousandth month as in the first; what
    changed is written back after."""
    store, folder = artifact_store(), Path(site) / INDEX_FOLDER
    with store.writing(f"{DATA_DOCS_KEY}/{INDEX_FOLDER}"):
        if store.is_local:
            folder.mkdir(parents=True, exist_ok=True)
            yield
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (Path(site) / "index.html").unlink(missing_ok=True)  # rewritten whole by whoever changes the index
        entries = {
            int(key.rsplit("-", 1)[1].removesuffix(".jsonl")): key
            for key in store.keys(f"{DATA_DOCS_KEY}/{INDEX_FOLDER}")
            if ENTRIES_NAME.fullmatch(key.rsplit("/", 1)[1])
        }
        wanted = needed(sorted(entries))
        for number, key in entries.items():
            local = folder / key.rsplit("/", 1)[1]
            local.write_bytes(store.get(key) if number in wanted else b"")
        before = _fingerprints(folder.rglob("*"))
        yield
        for path, fingerprint in _fingerprints([Path(site) / "index.html", *folder.rglob("*")]).items():
            if before.get(path) != fingerprint:
                store.put(_key(site, path), path.read_bytes())


def _fingerprints(paths) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}
