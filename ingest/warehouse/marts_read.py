"""Reads of the marts for the CLI's summary and the build: the headline figures and the build stamps
(marts.mart_build_info). The files behind a figure are ingest.warehouse.provenance's."""

from __future__ import annotations

# (month, organisations, party %, mass %, new party organisations); {where} picks the months
COVERAGE_SQL = """
        select to_char(period_month, 'YYYY-MM'),
               sum(orgs_total),
               round(100.0 * sum(orgs_with_party_org) / nullif(sum(orgs_total), 0), 2),
               round(100.0 * (sum(orgs_with_union) + sum(orgs_with_youth_league)
                              + sum(orgs_with_womens_federation)) / nullif(3 * sum(orgs_total), 0), 2),
               sum(new_party_orgs)
          from marts.mart_coverage {where}
         group by period_month order by period_month desc limit 1"""

HEADLINE_SQL = {
    "coverage": COVERAGE_SQL.format(where=""),
    "suggestions": """
        select extract(year from received_month)::int, sum(suggestions_received), sum(suggestions_converted)
          from marts.mart_petition_conversion
         group by 1 order by 1 desc limit 1""",
    "services": """
        select extract(year from activity_month)::int, sum(activities), sum(participants),
               sum(volunteers), sum(service_hours)
          from marts.mart_service_counts group by 1 order by 1 desc limit 1""",
}


def headline_figures(conn) -> dict[str, tuple | None]:
    """coverage (latest month), suggestions and services (latest year): one row each, None before any data."""
    return {name: conn.execute(sql).fetchone() for name, sql in HEADLINE_SQL.items()}


def month_coverage(conn, month: str) -> tuple | None:
    """The coverage headline row of one month (YYYY-MM), None when the month has no data."""
    return conn.execute(COVERAGE_SQL.format(where="where to_char(period_month, 'YYYY-MM') = %s"), (month,)).fetchone()


def month_ratios(conn, month: str) -> dict[str, tuple[int, int]]:
    """{figure name: (numerator, denominator)} of the month, summed over the mart rows of the
    provenance mart (one row per mart row and file there: each mart row is counted once), for
    each row's figure and its second figure (mart_coverage's mass-organisation coverage)."""
    rows = conn.execute(
        """select figures.name, sum(figures.numerator)::bigint, sum(figures.denominator)::bigint
             from (select distinct mart_name, grain_key, figure_name, numerator, denominator,
                          second_figure_name, second_numerator, second_denominator
                     from marts.mart_provenance
                    where to_char(period_month, 'YYYY-MM') = %s) as mart_rows
            cross join lateral (values (figure_name, numerator, denominator),
                                       (second_figure_name, second_numerator, second_denominator))
                  as figures (name, numerator, denominator)
            where figures.denominator is not null
            group by figures.name""",
        (month,),
    ).fetchall()
    return {name: (numerator, denominator) for name, numerator, denominator in rows}


def build_position(conn) -> tuple:
    """(newest build time, newest register submission id it reflects, register changes since)."""
    return conn.execute(
        "select max(built_at), max(register_max_submission_id), coalesce(max(register_changes_since_build), 0) "
        "from marts.mart_build_info"
    ).fetchone()


def build_stamp_counts(conn) -> tuple[int, int]:
    """(marts tables, those with a build stamp); raises when no build has created mart_build_info yet."""
    return conn.execute("select count(*), count(built_at) from marts.mart_build_info").fetchone()


# a marts table that does not reflect the register as it is now: never built, or a register row added
# or changed since its build (what BI and the build DAG's staleness check report)
STALE_MART = "built_at is null or register_changes_since_build > 0"
# the stricter test of a build that may be skipped: also the register's position (dbt macro
# register_position) exactly as the build found it, which a change during the build fails. Not the
# staleness the build DAG reports: files landing while it builds are the next build's, not its failure
CURRENT_MART = f"not ({STALE_MART}) and built_from_current_register"


def stale_mart_names(conn) -> list[str]:
    """Marts tables that do not reflect the register as it is now; raises before the first build."""
    rows = conn.execute(f"select mart_name from marts.mart_build_info where {STALE_MART} order by mart_name").fetchall()
    return [name for (name,) in rows]


def current_register_position(conn, project_hash: str) -> int | None:
    """The register's highest submission id when every marts table reflects the register as it is now
    and was built from the dbt project files of this hash; None otherwise. Raises before the first build."""
    tables, outdated, position = conn.execute(
        f"select count(*), count(*) filter (where not ({CURRENT_MART}) or dbt_project_hash is distinct from %s), "
        "coalesce(max(register_max_submission_id), 0) from marts.mart_build_info",
        (project_hash,),
    ).fetchone()
    return position if tables and not outdated else None
