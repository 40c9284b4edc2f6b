"""`swdw explain MART KEY…`: one mart figure, its numerator and denominator, and the files behind it.

One answer source: everything printed is read from marts.mart_provenance, which dbt builds
and tests against the marts (every mart row covered, row counts adding up). The KEY arguments
are the mart row's grain columns in grain order, months as YYYY-MM, joined by "|" exactly as
the mart's `grain_key` (dbt macro grain_key), e.g. `swdw explain coverage 2024-12 340603 enterprise`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ingest.config import calendar_settings
from ingest.warehouse import provenance
from ingest.warehouse.connection import connect
from ingest.warehouse.provenance import KEY_SEPARATOR, PROVENANCE

EXAMPLE_KEYS = 5


class ExplainError(ValueError):
    """An unknown mart or key: the CLI prints it and exits 2."""


@dataclass(frozen=True)
class SourceFile:
    """One submission behind a mart row, as mart_provenance records it."""

    submission_id: int
    department_code: str
    department_name: str | None
    file_name: str
    received_at: dt.datetime
    sha256: str
    status: str
    status_label: str | None
    rows_used: int
    rows_in_numerator: int | None


@dataclass(frozen=True)
class Explanation:
    mart_name: str
    grain_key: str
    grain_columns: str
    figure_name: str
    figure: Decimal | None
    numerator_name: str | None
    numerator: int | None
    denominator_name: str | None
    denominator: int | None
    rows_counted_as: str
    files: list[SourceFile] = field(default_factory=list)


def mart_table(name: str) -> str:
    """`coverage`, `mart_coverage` and `marts.mart_coverage` all name marts.mart_coverage."""
    name = name.strip().lower().removeprefix("marts.")
    return name if name.startswith("mart_") else f"mart_{name}"


def explain(conn, mart: str, keys: list[str]) -> Explanation:
    """The provenance of one mart row; ExplainError for an unknown mart or key."""
    if not provenance.provenance_exists(conn):
        raise ExplainError(f"{PROVENANCE} is not built yet: run `swdw build` (or `swdw run`) first")
    table = mart_table(mart)
    marts = provenance.known_marts(conn)
    if table not in marts:
        known = ", ".join(sorted(m.removeprefix("mart_") for m in marts)) or "(none built yet)"
        raise ExplainError(f"unknown mart {mart!r}; known marts: {known}")
    grain_columns = marts[table]
    wanted = len(grain_columns.split(KEY_SEPARATOR))
    if len(keys) != wanted:
        raise ExplainError(
            f"{table} takes {wanted} key parts ({' '.join(grain_columns.split(KEY_SEPARATOR))}), "
            f"got {len(keys)}: {' '.join(keys) or '(none)'}"
        )
    grain_key = KEY_SEPARATOR.join(k.strip() for k in keys)
    rows = provenance.row_provenance(conn, table, grain_key)
    if not rows:
        raise ExplainError(f"no row {grain_key} in {table} ({grain_columns}); {_examples(conn, table, keys[0])}")
    first_file = len(provenance.ROW_COLUMNS)  # each row: the mart row's columns, then one file's
    figure_name, figure, numerator_name, numerator, denominator_name, denominator, counted_as = rows[0][:first_file]
    files = [SourceFile(*row[first_file:]) for row in rows if row[first_file] is not None]
    return Explanation(
        table,
        grain_key,
        grain_columns,
        figure_name,
        figure,
        numerator_name,
        numerator,
        denominator_name,
        denominator,
        counted_as,
        files,
    )


def _examples(conn, table: str, first_part: str) -> str:
    """Some keys the mart has, those sharing the first part (the month) first."""
    keys = provenance.example_keys(conn, table, first_part, EXAMPLE_KEYS)
    return "for example: " + "; ".join(k.replace(KEY_SEPARATOR, " ") for k in keys) if keys else "the mart is empty"


def _figure_text(explanation: Explanation) -> str:
    figure = explanation.figure
    if figure is None:
        return "null"
    if explanation.denominator_name is not None and explanation.figure_name.endswith("_rate"):
        return f"{figure} ({figure * 100:.2f}%)"
    return f"{figure.normalize() if isinstance(figure, Decimal) else figure:f}"


def format_explanation(explanation: Explanation) -> str:
    e, zone = explanation, ZoneInfo(calendar_settings()[1])  # landing times in the city's time
    lines = [
        f"{e.mart_name}  {e.grain_key.replace(KEY_SEPARATOR, ' ')}  ({e.grain_columns.replace(KEY_SEPARATOR, ' ')})",
        f"  {e.figure_name} = {_figure_text(e)}",
    ]
    if e.numerator_name:
        lines.append(f"  numerator   {e.numerator_name} = {e.numerator}")
    if e.denominator_name:
        lines.append(f"  denominator {e.denominator_name} = {e.denominator}")
    total = sum(f.rows_used for f in e.files)
    lines.append(f"  files behind it: {len(e.files)}, rows used {total} (= {e.rows_counted_as})")
    if not e.files:
        lines.append("    (none: nothing was submitted for this row)")
    for f in e.files:
        used = f"rows used {f.rows_used}"
        if f.rows_in_numerator is not None:
            used += f", in numerator {f.rows_in_numerator}"
        lines += [
            f"    #{f.submission_id} {f.department_code} {f.department_name or '(unknown department)'}  {f.file_name}",
            f"        landed {f.received_at.astimezone(zone):%Y-%m-%d %H:%M:%S %z}  status {f.status} {f.status_label or ''}",
            f"        sha256 {f.sha256}  {used}",
        ]
    return "\n".join(lines)


def print_explanation(mart: str, keys: list[str]) -> None:
    with connect() as conn:
        print(format_explanation(explain(conn, mart, keys)))
