"""dbt invocations shared by the CLI, the DAGs and the tests.

dbt runs in-process through dbtRunner against dbt_project/, with the connection handed
over as SWDW_PG_* variables that dbt_project/profiles.yml reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.config import DBT_PROJECT_DIR


def dbt_environment() -> None:
    """Point dbt at the warehouse and keep it offline."""
    from ingest.warehouse.connection import dbt_env

    os.environ.update(dbt_env())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def run_dbt(args: list[str]) -> bool:
    """Run one dbt command in-process; True when it succeeded."""
    from dbt.cli.main import dbtRunner

    dbt_environment()
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke([*args, *common])
    return bool(result.success)


def dbt_build(full_refresh: bool = False) -> bool:
    """Seeds, models and tests in dependency order."""
    from ingest.warehouse.connection import bootstrap

    bootstrap()
    return run_dbt(["build", *(["--full-refresh"] if full_refresh else [])])


def generate_docs() -> Path:
    """dbt docs (catalog included, one static page) under $SWDW_HOME/artifacts/dbt_docs."""
    from ingest.config import settings

    target = settings().dbt_docs_dir
    target.mkdir(parents=True, exist_ok=True)
    if not run_dbt(["docs", "generate", "--static", "--target-path", str(target)]):
        raise RuntimeError("dbt docs generate failed")
    return target


def dbt_parse() -> bool:
    """Write target/manifest.json without touching the warehouse (run by `make install`)."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    from dbt.cli.main import dbtRunner

    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return bool(dbtRunner().invoke(["parse", *common]).success)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["parse"]:
        sys.exit(0 if dbt_parse() else 1)
    sys.exit(0 if run_dbt(sys.argv[1:]) else 1)
