"""The PII key is part of the record: hashes made under one key join only with hashes made under it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.intake.pii import key_fingerprint
from ingest.jobs.pipeline import ingest_landing

from .builders import ORG_HEADER, landing_path, org_row, write_csv
from .helpers import query, run_cli


def _land(name: str, n: int) -> Path:
    landing = Path(os.environ["SWDW_LANDING_DIR"])
    return write_csv(landing_path(landing, "xiangshan", "org_coverage", name), [ORG_HEADER, org_row(n)])


@pytest.mark.slow  # three runs of the real `swdw` command
def test_a_pass_under_another_key_is_refused_naming_both_fingerprints(clean_warehouse):
    _land("2024年11月.csv", 1)
    ingest_landing(progress=None)  # the first pass records the key it hashed with
    expected = key_fingerprint()
    assert query(clean_warehouse, "select fingerprint from audit.pii_key") == [(expected,)]
    waiting = _land("2024年12月.csv", 2)

    refused = run_cli("ingest", env={"SWDW_PII_KEY": "a-key-from-somewhere-else"})

    given = key_fingerprint(b"a-key-from-somewhere-else")
    assert refused.returncode != 0 and given != expected
    assert expected in refused.stderr and given in refused.stderr and "Traceback" not in refused.stderr
    assert waiting.exists()  # nothing loaded, nothing lost: the file waits for the right key
    assert query(clean_warehouse, "select count(*) from audit.submission") == [(1,)]
    assert query(clean_warehouse, "select count(*) from audit.pipeline_run") == [(1,)]

    shown = run_cli("pii-fingerprint")
    assert shown.returncode == 0 and shown.stdout.strip() == expected
    assert run_cli("ingest").returncode == 0  # under the warehouse's key the file loads
    assert not waiting.exists()
    assert query(clean_warehouse, "select count(*) from audit.submission") == [(2,)]
