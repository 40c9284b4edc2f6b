"""Runs inside Superset's own environment (bi/.venv, or the official image in compose) after
`superset db upgrade` + `superset init`: imports the committed bundle, then the viewer role
and users. Idempotent: `swdw bi up` runs it on every start, so a changed warehouse port or a
regenerated bundle is picked up.

Environment (set by ingest/bi/superset_env.py, or by docker-compose):
  SWDW_BI_ASSETS            the bundle directory (bi/assets)
  SWDW_BI_WAREHOUSE_URI     postgresql+psycopg2://<login in swdw_bi>:<password>@host:port/db
  SWDW_BI_ADMIN_PASSWORD    the admin's password (user `admin`)
  SWDW_BI_VIEWER_PASSWORD   the viewer's password (user `viewer`, role swdw_viewer)
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

DATABASE_FILE = "databases/swdw.yaml"
METADATA_FILE = "metadata.yaml"
PASSWORD_MASK = "XXXXXXXXXX"  # what Superset's exports carry instead of a password
VIEWER_ROLE = "swdw_viewer"
DISTRICT_ROLE = "swdw_district_{code}"  # a district's viewers: the viewer's rights, their rows only
# Gamma never has SQL Lab; these are dropped anyway, should a future Gamma gain any of them
FORBIDDEN_FOR_VIEWERS = {"SQL Lab", "SQLLab", "Query", "SavedQuery", "TabStateView", "SqlLab"}


def bundle_contents(assets: Path, warehouse_uri: str) -> tuple[dict[str, str], dict[str, str]]:
    """{bundle path: YAML text} with the placeholder URI replaced by the real host, port, user
    and database; the password travels separately, as Superset's importer expects."""
    url = urlsplit(warehouse_uri)
    password = unquote(url.password or "")
    masked = url._replace(netloc=f"{url.username}:{PASSWORD_MASK}@{url.hostname}:{url.port or 5432}").geturl()
    contents = {}
    for path in sorted(assets.rglob("*.yaml")):
        relative = path.relative_to(assets).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative == DATABASE_FILE:
            config = yaml.safe_load(text)
            config["sqlalchemy_uri"] = masked
            text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        contents[relative] = text
    return contents, {DATABASE_FILE: password}


def charts_only(contents: dict[str, str]) -> dict[str, str]:
    """The bundle as a chart export (its metadata names the type it holds): charts, their
    datasets and the database, no dashboards."""
    metadata = {**yaml.safe_load(contents[METADATA_FILE]), "type": "Slice"}
    return {
        METADATA_FILE: yaml.safe_dump(metadata),
        **{path: text for path, text in contents.items() if not path.startswith(("dashboards/", METADATA_FILE))},
    }


def check_query_contexts(contents: dict[str, str]) -> None:
    """Every chart of the bundle has a saved query context that reads its own dataset: what the
    chart-data API, CSV export and reports run."""
    from superset import db
    from superset.models.slice import Slice

    for path, text in contents.items():
        if not path.startswith("charts/"):
            continue
        chart = db.session.query(Slice).filter_by(uuid=uuid.UUID(yaml.safe_load(text)["uuid"])).one()
        saved = json.loads(chart.query_context or "null")
        if not saved or saved["datasource"] != {"id": chart.datasource_id, "type": "table"}:
            raise SystemExit(
                f"chart {chart.slice_name!r} has no query context on its dataset: {saved and saved['datasource']}"
            )


def bundle_uuids(contents: dict[str, str], kind: str) -> set[str]:
    """The uuids of the bundle's files under `kind/` (charts, dashboards, datasets, databases)."""
    return {yaml.safe_load(text)["uuid"] for path, text in contents.items() if path.startswith(f"{kind}/")}


def delete_stale_assets(contents: dict[str, str]) -> dict[str, list[str]]:
    """Delete what the bundle owns but no longer holds, so a chart taken out of bi/assets does not
    linger. Owned: datasets of the bundle's database, charts reading them, dashboards whose every
    chart is owned; anything else in Superset (another database's, a hand-made empty
    dashboard) is left alone. Idempotent: a second run finds nothing."""
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    databases = {uuid.UUID(u) for u in bundle_uuids(contents, "databases")}
    owned_datasets = [t for t in db.session.query(SqlaTable) if t.database and t.database.uuid in databases]
    owned_dataset_ids = {t.id for t in owned_datasets}
    owned_charts = [
        c for c in db.session.query(Slice) if c.datasource_type == "table" and c.datasource_id in owned_dataset_ids
    ]
    owned_chart_ids = {c.id for c in owned_charts}
    owned_dashboards = [
        d for d in db.session.query(Dashboard) if d.slices and all(c.id in owned_chart_ids for c in d.slices)
    ]
    deleted: dict[str, list[str]] = {}
    for kind, owned, name in (
        ("dashboards", owned_dashboards, lambda d: d.dashboard_title),
        ("charts", owned_charts, lambda c: c.slice_name),
        ("datasets", owned_datasets, lambda t: t.table_name),
    ):
        keep = bundle_uuids(contents, kind)
        for item in owned:
            if str(item.uuid) not in keep:
                deleted.setdefault(kind, []).append(name(item))
                db.session.delete(item)
        db.session.flush()  # dashboards before their charts, charts before their datasets
    db.session.commit()
    return deleted


def ensure_user(sm, username: str, password: str, role_names: list[str], first: str) -> None:
    roles = [sm.find_role(name) for name in role_names]
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, first, "swdw", f"{username}@example.invalid", roles, password=password)
        if not user:
            raise SystemExit(f"could not create the Superset user {username}")
        return
    from werkzeug.security import generate_password_hash

    user.roles = roles
    user.password = generate_password_hash(password)
    user.active = True
    sm.update_user(user)


def ensure_viewer_role(sm, dataset_perms: list[str]) -> None:
    """Gamma (see dashboards and charts, no SQL Lab, no editing of data sources) plus
    datasource access to exactly the mart datasets: nothing else of the database."""
    from superset import db

    role = sm.add_role(VIEWER_ROLE)
    gamma = sm.find_role("Gamma")
    pvms = [p for p in gamma.permissions if p.view_menu.name not in FORBIDDEN_FOR_VIEWERS]
    for perm in dataset_perms:
        pvm = sm.add_permission_view_menu("datasource_access", perm)
        pvms.append(pvm)
    role.permissions = pvms
    db.session.commit()


def districts(warehouse_uri: str) -> dict[str, list[str]]:
    """{district code: the departments reporting for it} from the district and department
    dimensions (built from the seeds), the city level excepted: it sees everything. Empty while
    the marts are not built yet; the next `swdw bi up` after a build provisions them."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(warehouse_uri)
    try:
        with engine.connect() as conn:
            if conn.execute(sqlalchemy.text("select to_regclass('marts.dim_district')")).scalar() is None:
                return {}
            rows = conn.execute(
                sqlalchemy.text(
                    """select d.district_code, p.department_code
                         from marts.dim_district d
                         left join marts.dim_department p
                           on d.district_code = any(string_to_array(p.reports_for, '|'))
                        where not d.is_city_level
                        order by 1, 2"""
                )
            ).fetchall()
    finally:
        engine.dispose()
    result: dict[str, list[str]] = {}
    for district, department in rows:
        result.setdefault(district, [])
        if department:
            result[district].append(department)
    return result


def district_filters(datasets: list, district: str, departments: list[str]) -> dict[str, tuple[str, list]]:
    """The row filters of one district: {key column: (clause, datasets)} — its district code, or
    for per-department data the departments reporting for it."""
    # the codes go into SQL text: seeds are edited by hand, so only plain codes pass
    for code in (district, *departments):
        if not re.fullmatch(r"[0-9A-Za-z_]+", code):
            raise SystemExit(f"district or department code {code!r} is not a plain code")
    filters: dict[str, tuple[str, list]] = {}
    for dataset in datasets:
        columns = {c.column_name for c in dataset.columns}
        if "district_code" in columns:
            key, clause = "district_code", f"district_code = '{district}'"
        elif "department_code" in columns:
            listed = ", ".join(f"'{d}'" for d in departments)
            key, clause = "department_code", f"department_code in ({listed})" if departments else "1 = 0"
        else:
            raise SystemExit(f"dataset {dataset.table_name} has neither a district nor a department column")
        filters.setdefault(key, (clause, []))[1].append(dataset)
    return filters


def ensure_district_roles(sm, datasets: list, by_district: dict[str, list[str]]) -> None:
    """One role per district: the viewer's permissions, and row-level security filters on every
    mart dataset so its users see their district's rows only, on screen and through the API.
    A district gone from the seed loses its filters and its access."""
    from superset import db
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.utils.core import RowLevelSecurityFilterType

    viewer_permissions = list(sm.find_role(VIEWER_ROLE).permissions)
    wanted = {}
    for code, departments in by_district.items():
        role = sm.add_role(DISTRICT_ROLE.format(code=code))
        role.permissions = list(viewer_permissions)
        for key, (clause, tables) in district_filters(datasets, code, departments).items():
            wanted[f"{role.name}:{key}"] = (role, key, clause, tables)
    existing = {
        rls.name: rls
        for rls in db.session.query(RowLevelSecurityFilter).filter(RowLevelSecurityFilter.name.like("swdw_district_%"))
    }
    for name, rls in existing.items():
        if name not in wanted:
            for role in rls.roles:
                role.permissions = []
            db.session.delete(rls)
    for name, (role, key, clause, tables) in wanted.items():
        rls = existing.get(name) or RowLevelSecurityFilter(name=name)
        rls.filter_type = RowLevelSecurityFilterType.REGULAR
        # filters sharing a group key are OR-ed: a user of two districts sees both
        rls.group_key = key
        rls.clause = clause
        rls.tables = tables
        rls.roles = [role]
        rls.description = "swdw: a district's rows (bi/provision.py)"
        db.session.add(rls)
    db.session.commit()


def main() -> None:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.chart.importers.v1 import ImportChartsCommand
        from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
        from superset.connectors.sqla.models import SqlaTable

        ensure_user(security_manager, "admin", os.environ["SWDW_BI_ADMIN_PASSWORD"], ["Admin"], "admin")
        db.session.commit()
        from superset.utils.core import override_user

        contents, passwords = bundle_contents(Path(os.environ["SWDW_BI_ASSETS"]), os.environ["SWDW_BI_WAREHOUSE_URI"])
        with override_user(security_manager.find_user(username="admin")):  # owner of what is imported
            ImportDashboardsCommand(contents, passwords=passwords, overwrite=True).run()
            # the dashboard import overwrites dashboards but keeps charts it already has: import
            # the charts again, overwriting, so a regenerated bundle reaches an existing Superset
            ImportChartsCommand(charts_only(contents), passwords=passwords, overwrite=True).run()
        db.session.commit()
        check_query_contexts(contents)
        deleted = delete_stale_assets(contents)
        if deleted:
            print(f"deleted what the bundle no longer holds: {deleted}")

        dataset_uuids = bundle_uuids(contents, "datasets")
        datasets = [d for d in db.session.query(SqlaTable).all() if str(d.uuid) in dataset_uuids]
        if len(datasets) != len(dataset_uuids):
            raise SystemExit(f"expected {len(dataset_uuids)} datasets after the import, found {len(datasets)}")
        outside = [d.table_name for d in datasets if d.schema != "marts"]
        if outside:
            raise SystemExit(f"datasets outside marts: {outside}")
        ensure_viewer_role(security_manager, [d.perm for d in datasets])
        ensure_user(security_manager, "viewer", os.environ["SWDW_BI_VIEWER_PASSWORD"], [VIEWER_ROLE], "viewer")
        db.session.commit()
        by_district = districts(os.environ["SWDW_BI_WAREHOUSE_URI"])
        ensure_district_roles(security_manager, datasets, by_district)
        print(
            f"imported {len(contents)} bundle files; role {VIEWER_ROLE} reads {len(datasets)} mart datasets; "
            f"{len(by_district)} district roles"
        )


if __name__ == "__main__":
    main()
