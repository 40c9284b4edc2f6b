"""The headline figures, read straight from marts.* (what `make demo` prints)."""

from __future__ import annotations

from ingest.config import settings
from ingest.lineage.transport import lineage_dir

HEADLINE_SQL = {
    "coverage": """
        select to_char(period_month, 'YYYY-MM'),
               sum(orgs_total),
               round(100.0 * sum(orgs_with_party_org) / nullif(sum(orgs_total), 0), 2),
               round(100.0 * (sum(orgs_with_union) + sum(orgs_with_youth_league)
                              + sum(orgs_with_womens_federation)) / nullif(3 * sum(orgs_total), 0), 2),
               sum(new_party_orgs)
          from marts.mart_coverage
         group by period_month order by period_month desc limit 1""",
    "suggestions": """
        select extract(year from received_month)::int, sum(suggestions_received), sum(suggestions_converted)
          from marts.mart_petition_conversion
         group by 1 order by 1 desc limit 1""",
    "services": """
        select extract(year from activity_month)::int, sum(activities), sum(participants),
               sum(volunteers), sum(service_hours)
          from marts.mart_service_counts group by 1 order by 1 desc limit 1""",
    "quality": """
        select count(*) filter (where status = 'loaded'), count(*) filter (where status = 'quarantined'),
               count(*) filter (where status = 'superseded'), count(*)
          from audit.submission""",
}


def headline_figures() -> dict:
    from ingest.warehouse.connection import connect

    with connect() as conn:
        return {name: conn.execute(sql).fetchone() for name, sql in HEADLINE_SQL.items()}


def print_summary() -> None:
    from ingest.warehouse.connection import masked_dsn, warehouse_dsn

    figures = headline_figures()
    config = settings()
    period, orgs, party, mass, new = figures["coverage"] or (None,) * 5
    year, received, converted = figures["suggestions"] or (None,) * 3
    _, activities, participants, volunteers, hours = figures["services"] or (None,) * 5
    loaded, quarantined, superseded, total = figures["quality"]
    print(f"""
swdw marts summary
  party-organisation coverage {period}: {party}% of {orgs} organisations ({new} new party organisations)
  mass-organisation average coverage {period}: {mass}%
  people's suggestions {year}: {received} collected, {converted} converted
  service activities {year}: {activities} activities, {participants} participants, {volunteers} volunteers, {hours} hours
  submissions: {total} registered, {loaded} loaded, {superseded} superseded, {quarantined} quarantined

Where to look next
  warehouse (psql, BI tools):  {masked_dsn(warehouse_dsn())}  (with its password: .venv/bin/swdw dsn)
  submission register:         .venv/bin/swdw status
  GX Data Docs:                {config.data_docs_dir / "index.html"}
  dbt docs:                    {config.dbt_docs_dir / "index.html"}
  feedback reports:            {config.quarantine_dir}/<submission_id>/feedback.xlsx
  archived originals:          {config.archive_dir}
  one figure's files and rows: .venv/bin/swdw explain coverage {period} 340603 enterprise
  a month for the auditors:    .venv/bin/swdw audit pack --month {period}
  lineage (OpenLineage):       {lineage_dir()}
  dashboards (Superset):       make bi, then http://127.0.0.1:8088/dashboard/list/
  Airflow UI (live services):  make airflow, then http://127.0.0.1:8080""")
