"""The warehouse login Superset uses: `swdw_bi_reader`, a member of swdw_bi (marts only).

Never the superuser: swdw_bi has USAGE + SELECT on `marts` and nothing else (docs/design.md §7), and
the login is read-only by default, so whatever a chart sends, the database refuses `raw`,
`audit` and every write.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

READER_ROLE = "swdw_bi_reader"


def ensure_reader_login(admin_dsn: str, password: str) -> None:
    """Create or update the login (idempotent; the password follows the env var or 0600 file)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", (READER_ROLE,)).fetchone()
        verb = "alter" if exists else "create"
        conn.execute(
            sql.SQL(verb + " role {} login inherit password {} nosuperuser nocreatedb nocreaterole").format(
                sql.Identifier(READER_ROLE), sql.Literal(password)
            )
        )
        # the login holds no grant of its own: everything it may read comes from swdw_bi
        conn.execute(sql.SQL("grant swdw_bi to {}").format(sql.Identifier(READER_ROLE)))
        database = conn.execute("select current_database()").fetchone()[0]
        conn.execute(sql.SQL("grant connect on database {} to swdw_bi").format(sql.Identifier(database)))
        conn.execute(sql.SQL("alter role {} set search_path = marts").format(sql.Identifier(READER_ROLE)))
        conn.execute(
            sql.SQL("alter role {} set default_transaction_read_only = on").format(sql.Identifier(READER_ROLE))
        )


def reader_dsn(admin_dsn: str, password: str) -> str:
    """The reader's libpq URI: same host, port and database, the reader's login."""
    url = urlsplit(admin_dsn)
    netloc = f"{READER_ROLE}:{quote(password, safe='')}@{url.hostname}:{url.port or 5432}"
    return f"postgresql://{netloc}{url.path}"


def reader_uri(admin_dsn: str, password: str) -> str:
    """The SQLAlchemy URI Superset stores: the reader's DSN with Superset's driver."""
    return reader_dsn(admin_dsn, password).replace("postgresql://", "postgresql+psycopg2://", 1)
