"""audit.pii_key: the fingerprint of the key the warehouse's personal-data hashes were made with."""

from __future__ import annotations


class PiiKeyMismatch(RuntimeError):
    """The PII key of this command is not the one the warehouse's hashes were made with."""


def check_pii_key(conn, fingerprint: str) -> None:
    """Record the fingerprint on the first pass; refuse any later pass whose key differs."""
    conn.execute("insert into audit.pii_key (fingerprint) values (%s) on conflict do nothing", (fingerprint,))
    [(expected,)] = conn.execute("select fingerprint from audit.pii_key").fetchall()
    if expected != fingerprint:
        raise PiiKeyMismatch(
            f"the PII key in use (fingerprint {fingerprint}) is not the one this warehouse's personal data "
            f"was hashed with (fingerprint {expected}): old and new hashes would no longer join, so nothing "
            "is loaded. Set SWDW_PII_KEY or $SWDW_HOME/pii.key to that key (a backup made with "
            "--include-secrets holds it in secrets/pii.key); `swdw pii-fingerprint` prints a key's fingerprint."
        )
