"""The headline figures, read straight from marts.* (what `make demo` prints)."""

from __future__ import annotations

from ingest.artifact_store import ARCHIVE_KEY, DATA_DOCS_KEY, DBT_DOCS_KEY, QUARANTINE_KEY, artifact_store
from ingest.lineage.transport import lineage_location
from ingest.warehouse import marts_read, register
from ingest.warehouse.connection import connect, masked_dsn, warehouse_dsn


def headline_figures() -> dict:
    """coverage, suggestions and services from the marts; quality: the register's status counts."""
    with connect() as conn:
        return {**marts_read.headline_figures(conn), "quality": register.status_counts(conn)}


def print_summary() -> None:
    figures = headline_figures()
    store = artifact_store()
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
  GX Data Docs:                {store.uri(DATA_DOCS_KEY + "/index.html")}
  dbt docs:                    {store.uri(DBT_DOCS_KEY + "/index.html")}
  feedback reports:            {store.uri(QUARANTINE_KEY)}/<submission_id>/feedback.xlsx
  archived originals:          {store.uri(ARCHIVE_KEY)}
  one figure's files and rows: .venv/bin/swdw explain coverage {period} 340603 enterprise
  a month for the auditors:    .venv/bin/swdw audit pack --month {period}
  lineage (OpenLineage):       {lineage_location()}
  dashboards (Superset):       make bi, then http://127.0.0.1:8088/dashboard/list/
  Airflow UI (live services):  make airflow, then http://127.0.0.1:8080""")
