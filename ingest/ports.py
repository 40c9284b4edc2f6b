"""A free port on the loopback interface, for the local servers swdw starts (PostgreSQL, Airflow, Superset)."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now; the caller binds it soon after (a race the callers retry or accept)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
