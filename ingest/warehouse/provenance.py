"""Reads of marts.mart_provenance: the files and rows behind every mart row (built and tested by dbt)."""

from __future__ import annotations

PROVENANCE = "marts.mart_provenance"
# a mart row's key: its grain columns' values in grain order, months as YYYY-MM (dbt macro grain_key)
KEY_SEPARATOR = "|"
# one row's figure and fraction, then one file behind it (none when nothing was submitted for the row)
ROW_COLUMNS = (
    "figure_name",
    "figure",
    "numerator_name",
    "numerator",
    "denominator_name",
    "denominator",
    "rows_counted_as",
)
FILE_COLUMNS = (
    "submission_id",
    "department_code",
    "department_name",
    "file_name",
    "received_at",
    "sha256",
    "status",
    "status_label",
    "rows_used",
    "rows_in_numerator",
)


def provenance_exists(conn) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (PROVENANCE,)).fetchone()[0]


def known_marts(conn) -> dict[str, str]:
    """mart_name -> its grain columns joined by KEY_SEPARATOR, from the provenance mart itself."""
    return dict(conn.execute(f"select mart_name, min(grain_columns) from {PROVENANCE} group by mart_name").fetchall())


def row_provenance(conn, mart_name: str, grain_key: str) -> list[tuple]:
    """ROW_COLUMNS + FILE_COLUMNS of one mart row, one tuple per file in landing order; [] for no such row."""
    return conn.execute(
        f"""select {", ".join((*ROW_COLUMNS, *FILE_COLUMNS))}
              from {PROVENANCE}
             where mart_name = %s and grain_key = %s
             order by received_at, submission_id""",
        (mart_name, grain_key),
    ).fetchall()


def example_keys(conn, mart_name: str, first_part: str, limit: int) -> list[str]:
    """Some grain keys the mart has, those whose first part (the month) is ``first_part`` first."""
    rows = conn.execute(
        f"""select grain_key from (
                select distinct grain_key, split_part(grain_key, %s, 1) = %s as same_month
                  from {PROVENANCE} where mart_name = %s) as keys
             order by same_month desc, grain_key desc limit %s""",
        (KEY_SEPARATOR, first_part.strip(), mart_name, limit),
    ).fetchall()
    return [key for (key,) in rows]


def month_provenance(conn, month: str, columns) -> list[tuple]:
    """``columns`` of every provenance row of a reporting month (YYYY-MM), by mart, row and file."""
    return conn.execute(
        f"select {', '.join(columns)} from {PROVENANCE} "
        "where to_char(period_month, 'YYYY-MM') = %s order by mart_name, grain_key, submission_id",
        (month,),
    ).fetchall()
