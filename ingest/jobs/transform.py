"""dbt invocations shared by the CLI, the DAGs and the tests.

dbt runs in-process through dbtRunner against dbt_project/, with the connection handed
over as SWDW_PG_* variables that dbt_project/profiles.yml reads.
"""

from __future__ import annotations

import os

from ingest.artifact_store import DBT_DOCS_KEY, artifact_store
from ingest.config import DBT_PROJECT_DIR, PROJECT_HASH_ENV, dbt_project_hash, settings
from ingest.lineage.dbt_events import emit_dbt_lineage
from ingest.notify import notify
from ingest.warehouse import marts_read
from ingest.warehouse.connection import bootstrap, connect, dbt_env
from ingest.warehouse.locks import dbt_build_lock


def dbt_environment() -> None:
    """Point dbt at the warehouse and keep it offline."""
    os.environ.update(dbt_env())
    os.environ[PROJECT_HASH_ENV] = dbt_project_hash()
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


def dbt_build(full_refresh: bool = False, select: list[str] | None = None) -> bool:
    """Seeds, models and tests in dependency order; ``select``: only those nodes (and their tests)."""
    bootstrap()
    selection = ["--select", *select] if select else []
    with connect(autocommit=True) as conn, dbt_build_lock(conn):  # after a build DAG's, never beside it
        return run_dbt(["build", *(["--full-refresh"] if full_refresh else []), *selection])


# Every node: what an unknown change (no submission types given) rebuilds.
FULL_SELECTION = ["fqn:*"]


def incremental_selection(submission_types) -> list[str]:
    """The dbt selectors of what newly loaded submissions of these types can change.

    - ``source:raw.<type>+``: the type's staging view, versions, history or incremental
      table and its mart. The other types' intermediate tables cannot change: every
      ``int_*`` of a type joins the register on that type only (the register's rows of
      other types do not enter them).
    - ``int_submission_periods+``: the register's own chain (arrivals, obligations,
      mart_submission_quality), which every new register row changes.
    - ``path:models/marts``: every marts table is rebuilt from its (unchanged or rebuilt)
      inputs, so each carries a fresh build stamp and marts.mart_build_info reports none
      stale. They are small aggregates; the cost is in the intermediate layer.
    The result equals a full refresh (tests/test_incremental_build.py). It is every node
    without types (a run that did not say what it loaded) and before the first complete build
    (the selection relies on the seeds, dimensions and other types' tables being there).
    """
    types = sorted({t for t in submission_types or [] if t})
    if not types or not warehouse_is_built():
        return list(FULL_SELECTION)
    return [*(f"source:raw.{t}+" for t in types), "int_submission_periods+", "path:models/marts"]


def warehouse_is_built() -> bool:
    """Every marts table carries a build stamp: a complete build has run on this warehouse."""
    try:
        with connect() as conn:
            tables, stamped = marts_read.build_stamp_counts(conn)
    except Exception:  # no build yet: the view does not exist
        return False
    return tables > 0 and tables == stamped


def selection_for_asset_events(triggering_asset_events) -> str:
    """The --select value of a build run triggered by these asset events (a Jinja macro of swdw_build_marts).

    Asset events of swdw_ingest_submissions carry the loaded submission types in their extra;
    a run with any event that does not (a manual run, an older event) builds everything.
    """
    types: set[str] = set()
    for events in (triggering_asset_events or {}).values():
        for event in events:
            loaded = (getattr(event, "extra", None) or {}).get("submission_types")
            if not loaded:
                return " ".join(FULL_SELECTION)
            types.update(loaded)
    return " ".join(incremental_selection(types))


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
    try:
        with connect() as conn:
            return marts_read.stale_mart_names(conn)
    except Exception as exc:  # no build has ever finished: every mart is stale
        return [f"(marts.mart_build_info unreadable: {type(exc).__name__})"]


def current_register_position() -> int | None:
    """The register position (highest submission id) the marts reflect when a build would change nothing:
    every marts table built from the register as it is now and from the dbt project files as they are
    (marts.mart_build_info); None when a build is due, before the first build included."""
    try:
        with connect() as conn:
            return marts_read.current_register_position(conn, dbt_project_hash())
    except Exception:  # no build has ever finished: marts.mart_build_info does not exist
        return None


def build_skip_reason(loaded_types, forced: bool) -> str | None:
    """Why a pass's build can be skipped (one line), or None when it must run: it is not forced,
    the pass loaded nothing and the marts are current (``current_register_position``)."""
    position = None if forced or loaded_types else current_register_position()
    if position is None:
        return None
    return f"marts current at register position {position}: build skipped; --build forces one"


def report_failed_build(failed: list[str]) -> dict:
    """Alert that the marts are stale, naming the failing dbt nodes and the stale tables."""
    stale = stale_marts()
    return notify(
        "build_failed",
        "dbt build 失败，集市未更新 / dbt build failed: marts are stale",
        [*(f"failed: {node}" for node in failed), *(f"stale: marts.{name}" for name in stale)],
        {"failed_nodes": failed, "stale_marts": stale},
    )


def generate_docs() -> str:
    """dbt docs (catalog included, one static page) and dbt's target files (manifest, catalog, run
    results) in artifacts/dbt_docs of the artifact store; returns the uri of its index.html.

    Generated in the store's own folder when it is local, else in this worker's and then uploaded."""
    store = artifact_store()
    target = store.local_path(DBT_DOCS_KEY) if store.is_local else settings().home / "work" / "dbt_docs"
    target.mkdir(parents=True, exist_ok=True)
    if not run_dbt(["docs", "generate", "--static", "--target-path", str(target)]):
        raise RuntimeError("dbt docs generate failed")
    if not store.is_local:
        store.push_tree(target, DBT_DOCS_KEY)
    return store.uri(f"{DBT_DOCS_KEY}/index.html")


def dbt_parse() -> bool:
    """Write target/manifest.json without touching the warehouse (run by `make install`)."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ[PROJECT_HASH_ENV] = dbt_project_hash()  # as a build sets it: the manifest stays the build's
    from dbt.cli.main import dbtRunner

    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return bool(dbtRunner().invoke(["parse", *common]).success)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["parse"]:
        sys.exit(0 if dbt_parse() else 1)
    sys.exit(0 if run_dbt(sys.argv[1:]) else 1)
