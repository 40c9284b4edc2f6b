"""Apache Superset for the marts (issue 14, DESIGN §8 `swdw bi up|down|status`).

Superset runs from its own locked environment in bi/.venv (its pins conflict with Airflow's),
so this package never imports it: it prepares secrets and the warehouse login, then drives
Superset's command line and server as subprocesses.
"""
