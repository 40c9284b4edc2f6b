#!/usr/bin/env bash
# First start of the postgres container only (docker-entrypoint-initdb.d): the Airflow
# metadata database, the warehouse and Superset's metadata database, each with its own
# owner; the BI login that Superset uses. Passwords come from the environment, never the repo.
# Warehouse schemas, group roles and grants are created by `ingest.warehouse.connection.bootstrap()`
# (airflow-init runs it), so the owner swdw may create roles; swdw_bi is created here as a
# LOGIN role and bootstrap leaves it as it is.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v swdw_pw="$SWDW_DB_PASSWORD" \
  -v bi_pw="$SWDW_BI_PASSWORD" \
  -v superset_pw="$SUPERSET_DB_PASSWORD" <<'SQL'
create role airflow login password :'airflow_pw';
create database airflow owner airflow;

-- service account of the pipeline: owns the warehouse, runs bootstrap, loads raw, runs dbt
create role swdw login createrole password :'swdw_pw';
create database swdw owner swdw;
revoke all on database swdw from public;
grant connect on database swdw to swdw;

-- BI: read-only, marts only (USAGE + SELECT granted by bootstrap and dbt grants)
create role swdw_bi login password :'bi_pw' nosuperuser nocreatedb nocreaterole;
alter role swdw_bi set search_path = marts;
alter role swdw_bi set default_transaction_read_only = on;
grant connect on database swdw to swdw_bi;

create role superset login password :'superset_pw';
create database superset owner superset;
SQL
