"""Apache Superset for the marts (docs/design.md §8 `swdw bi up|down|status`).

Superset runs from its own locked environment in bi/.venv (its pins conflict with Airflow's),
so this package never imports it: it prepares secrets and the warehouse login, then drives
Superset's command line and server as subprocesses.
"""
