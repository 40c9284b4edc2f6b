"""dbt invocations shared by the CLI, the DAGs and the tests.

dbt runs in-process through dbtRunner against dbt_project/, with the connection handed
over as SWDW_PG_* variables that dbt_project/profiles.yml reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.config import DBT_PROJECT_DIR
from ingest.jobs.lineage_dbt import emit_dbt_lineage


def dbt_environment() -> None:
    """Point dbt at the warehouse and keep it offline."""
    from ingest.warehouse.connection import dbt_env

    os.environ.update(dbt_env())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _invoke(args: list[str]):
    from dbt.cli.main import dbtRunner

    dbt_environment()
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return dbtRunner().invoke([*args, *common])


def run_dbt(args: list[str]) -> bool:
    """Run one dbt command in-process; True when it succeeded. A failed build alerts (report_failed_build)."""
    result = _invoke(args)
    emit_dbt_lineage(args, bool(result.success))  # OpenLineage events of what ran, under $SWDW_HOME/artifacts/lineage
    if not result.success and args and args[0] == "build":
        report_failed_build(failed_nodes(result))
    return bool(result.success)


def dbt_build(full_refresh: bool = False) -> bool:
    """Seeds, models and tests in dependency order."""
    from ingest.warehouse.connection import bootstrap

    bootstrap()
    return run_dbt(["build", *(["--full-refresh"] if full_refresh else [])])


def failed_nodes(result) -> list[str]:
    """'model.mart_coverage: error'-style names of the nodes that failed or errored in a dbt result."""
    outcome = getattr(result, "result", None)
    failed = []
    for item in getattr(outcome, "results", None) or []:
        status = str(getattr(item.status, "value", item.status))
        if status in ("error", "fail", "runtime error"):
            failed.append(f"{item.node.resource_type}.{item.node.name}: {status}")
    if not failed and getattr(result, "exception", None) is not None:
        failed.append(f"dbt: {result.exception}")
    return failed


def stale_marts() -> list[str]:
    """Marts tables that do not reflect the register as it is now (marts.mart_build_info)."""
    from ingest.warehouse.connection import connect

    try:
        with connect() as conn:
            rows = conn.execute(
                "select mart_name from marts.mart_build_info "
                "where built_at is null or register_changes_since_build > 0 order by mart_name"
            ).fetchall()
    except Exception as exc:  # no build has ever finished: every mart is stale
        return [f"(marts.mart_build_info unreadable: {type(exc).__name__})"]
    return [name for (name,) in rows]


def report_failed_build(failed: list[str]) -> dict:
    """Alert that the marts are stale, naming the failing dbt nodes and the stale tables."""
    from ingest.notify import notify

    stale = stale_marts()
    return notify(
        "build_failed",
        "dbt build 失败，集市未更新 / dbt build failed: marts are stale",
        [*(f"failed: {node}" for node in failed), *(f"stale: marts.{name}" for name in stale)],
        {"failed_nodes": failed, "stale_marts": stale},
    )


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
