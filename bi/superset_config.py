"""Superset's configuration for swdw (SUPERSET_CONFIG_PATH points here, locally and in compose).

Everything secret or machine-specific comes from the environment that `swdw bi up`
(ingest/bi/superset_env.py) or docker-compose sets; nothing here reaches the network.
"""

import os
from pathlib import Path

BI_HOME = Path(os.environ.get("SWDW_BI_HOME", "/app/superset_home"))

# generated once into $SWDW_HOME/bi/secret_key (0600) by `swdw bi up`; compose passes it in
SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or (BI_HOME / "secret_key").read_text().strip()
# metadata (users, dashboards): SQLite locally, PostgreSQL in compose
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URI") or f"sqlite:///{BI_HOME / 'superset.db'}"

# the staff read Chinese: the UI in zh (the wheel ships compiled messages.mo/.json), English on request
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

FEATURE_FLAGS = {
    # render every chart when a dashboard opens, not only those scrolled into view: the
    # browser test and the benchmark wait for all of them, and the dashboards are short
    "DASHBOARD_VIRTUALIZATION": False,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "ENABLE_TEMPLATE_PROCESSING": False,
}
# Never enable ALLOW_ADHOC_SUBQUERY: with it, a chart request could carry `(select … from raw.x)`
# — the database grant would still refuse, but Superset should refuse first.

# query results cached on disk across workers and restarts: the "warm" render in benchmarks/
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": str(BI_HOME / "cache" / "data"),
    "CACHE_DEFAULT_TIMEOUT": 24 * 3600,
}
CACHE_CONFIG = {
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": str(BI_HOME / "cache" / "app"),
    "CACHE_DEFAULT_TIMEOUT": 24 * 3600,
}

# no telemetry, no example data, no outbound calls
SCARF_ANALYTICS = False
SUPERSET_WEBSERVER_TIMEOUT = 120
PREVENT_UNSAFE_DB_CONNECTIONS = True
# the server binds to 127.0.0.1 locally; cookies need not be Secure over plain http there
SESSION_COOKIE_SECURE = os.environ.get("SUPERSET_COOKIE_SECURE", "false") == "true"
SESSION_COOKIE_SAMESITE = "Lax"
