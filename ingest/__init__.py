"""swdw: landing zone → validated raw → dbt marts. Subpackages in the order a file meets them:
intake → quality → warehouse, run by jobs, scheduled by airflow; samples writes demo data."""
