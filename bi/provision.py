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
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

DATABASE_FILE = "databases/swdw.yaml"
METADATA_FILE = "metadata.yaml"
PASSWORD_MASK = "XXXXXXXXXX"  # what Superset's exports carry instead of a password
VIEWER_ROLE = "swdw_viewer"
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

        dataset_uuids = {
            yaml.safe_load(text)["uuid"] for path, text in contents.items() if path.startswith("datasets/")
        }
        datasets = [d for d in db.session.query(SqlaTable).all() if str(d.uuid) in dataset_uuids]
        if len(datasets) != len(dataset_uuids):
            raise SystemExit(f"expected {len(dataset_uuids)} datasets after the import, found {len(datasets)}")
        outside = [d.table_name for d in datasets if d.schema != "marts"]
        if outside:
            raise SystemExit(f"datasets outside marts: {outside}")
        ensure_viewer_role(security_manager, [d.perm for d in datasets])
        ensure_user(security_manager, "viewer", os.environ["SWDW_BI_VIEWER_PASSWORD"], [VIEWER_ROLE], "viewer")
        db.session.commit()
        print(f"imported {len(contents)} bundle files; role {VIEWER_ROLE} reads {len(datasets)} mart datasets")


if __name__ == "__main__":
    main()
