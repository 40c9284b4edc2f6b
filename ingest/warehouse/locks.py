"""PostgreSQL advisory locks: every key swdw takes, in one place so no two uses collide."""

from __future__ import annotations

from contextlib import contextmanager

# catalog changes (CREATE ... IF NOT EXISTS races on the catalog when two runs bootstrap at once)
BOOTSTRAP_KEY = 4242001
# (namespace, submission_id): one run at a time works on a submission (ingest or reprocess)
SUBMISSION_NAMESPACE = 4242
# (namespace, table oid): one writer at a time appends to an audit table's hash chain; taken by the
# chain trigger (ingest.warehouse.schema) and held to commit
CHAIN_NAMESPACE = 4243
# one poll of the intake mailbox at a time: a message is landed and answered once
MAILBOX_KEY = 4242002
# one dbt build at a time on the warehouse, whoever starts it (the CLI, the build DAG on any worker)
DBT_BUILD_KEY = 4242003
# (namespace, hash of department, type and period): one transaction at a time settles which
# snapshot of a period stays loaded; taken by the load and held to commit
SNAPSHOT_PERIOD_NAMESPACE = 4244
# (namespace, hash of a key of the artifact store): one read-modify-write of a shared artifact (the
# paged index of the validation pages, the chain heads) at a time, on any machine
ARTIFACT_NAMESPACE = 4245


@contextmanager
def bootstrap_lock(conn):
    """Serialise warehouse DDL across processes (session-level lock on an autocommit connection)."""
    conn.execute("select pg_advisory_lock(%s)", (BOOTSTRAP_KEY,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (BOOTSTRAP_KEY,))


@contextmanager
def mailbox_lock(conn):
    """Serialise polls of the intake mailbox across processes (session-level, autocommit connection)."""
    conn.execute("select pg_advisory_lock(%s)", (MAILBOX_KEY,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (MAILBOX_KEY,))


def lock_snapshot_period(conn, department_code: str, submission_type: str, report_period) -> None:
    """Wait until no other transaction is settling this department's snapshots of the period.

    Two snapshots of one period loaded at once (two workers) would each see only itself loaded and
    both stay loaded; with the lock the second one's supersede runs after the first committed and
    sees both. A transaction-level lock: released at commit or rollback, never left behind.
    """
    key = f"{department_code}|{submission_type}|{report_period}"
    conn.execute("select pg_advisory_xact_lock(%s, hashtext(%s))", (SNAPSHOT_PERIOD_NAMESPACE, key))


@contextmanager
def dbt_build_lock(conn):
    """One dbt build at a time: a second one waits for the first (queued, not failed).

    Session-level on an autocommit connection of the build's own: a build whose process dies
    releases it with its connection.
    """
    conn.execute("select pg_advisory_lock(%s)", (DBT_BUILD_KEY,))
    try:
        yield
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (DBT_BUILD_KEY,))


def try_lock_submission(conn, submission_id: int) -> bool:
    """True when this session now holds the submission; False when another run does."""
    return conn.execute("select pg_try_advisory_lock(%s, %s)", (SUBMISSION_NAMESPACE, submission_id)).fetchone()[0]


def unlock_submission(conn, submission_id: int) -> None:
    conn.execute("select pg_advisory_unlock(%s, %s)", (SUBMISSION_NAMESPACE, submission_id))


class SubmissionBusy(RuntimeError):
    """Another run holds the submission: transient, the caller retries later (``connection.is_transient``)."""

    def __init__(self, submission_id: int):
        super().__init__(f"submission {submission_id} is being processed by another run")
        self.submission_id = submission_id
