"""The build DAG's selection (ingest.jobs.transform.incremental_selection): after one new file of a
type, building only what that type feeds gives the marts a full refresh gives, row for row, and
leaves no mart stale in marts.mart_build_info.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ingest import samples as sample

from .helpers import query
from .test_dbt import _copy_relations, _differences, _relations

pytestmark = [pytest.mark.slow]

TYPES = ("service_activity", "suggestion", "org_coverage")


def test_selection_by_submission_type_equals_a_full_refresh(clean_warehouse, tmp_path):
    from ingest.jobs.pipeline import ingest_landing
    from ingest.jobs.transform import dbt_build, incremental_selection, stale_marts

    dsn = clean_warehouse
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    written, held = tmp_path / "written", tmp_path / "held"
    sample.write_samples(written)
    # one district's year (every type) keeps the builds short; its newest file of each type is held back
    shutil.copytree(written / "duji", landing / "duji", copy_function=shutil.copy2)
    newest = {}
    for submission_type in TYPES:
        files = sorted((landing / "duji" / submission_type).iterdir(), key=lambda p: p.stat().st_mtime)
        newest[submission_type] = held / files[-1].name
        held.mkdir(exist_ok=True)
        shutil.move(files[-1], newest[submission_type])
    ingest_landing(trigger="test", progress=None)
    assert dbt_build(), "first build failed"
    assert incremental_selection([]) == ["fqn:*"]

    for submission_type in TYPES:
        _copy_relations(dsn, "before_file")
        shutil.copy2(newest[submission_type], landing / "duji" / submission_type / newest[submission_type].name)
        outcomes = ingest_landing(trigger="test", progress=None)
        assert [o.status for o in outcomes] == ["loaded"], outcomes
        selection = incremental_selection([submission_type])
        assert f"source:raw.{submission_type}+" in selection
        assert dbt_build(select=selection), f"selective build after a {submission_type} file failed"
        assert stale_marts() == [], f"marts stale after the selective build for {submission_type}"
        _copy_relations(dsn, "after_selection")

        assert dbt_build(full_refresh=True), "full refresh failed"
        for schema, name in _relations():
            rows, only_selection, only_full = _differences(dsn, "after_selection", schema, name)
            assert (only_selection, only_full) == (0, 0), f"{submission_type}: {name} differs from a full refresh"
        # not vacuous: the new file changed some mart
        changed = [n for s, n in _relations() if _differences(dsn, "before_file", s, n)[1:] != (0, 0)]
        assert changed, f"a {submission_type} file changed no mart"
    assert query(dsn, "select count(*) from audit.submission where status = 'loaded'")[0][0] > 3
