"""Secrets that are generated once and kept in 0600 files under $SWDW_HOME/bi/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create(path: Path, env_var: str | None = None, nbytes: int = 24) -> tuple[str, bool]:
    """(secret, generated_now): the environment wins; else the file; else a new one written 0600.

    A value from the environment is not written down: whoever set it keeps it.
    """
    if env_var and (value := os.environ.get(env_var)):
        return value, False
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value, True
