"""swdw: landing zone → validated raw → dbt marts. Subpackages in the order a file meets them:
intake → quality → warehouse, run by jobs, scheduled by airflow; lineage names what they read and
write; samples writes demo data. tests/test_import_graph.py holds the layers to that order."""
